//! Latency through one door at half of the peak its throughput run measured: an open
//! loop at a fixed rate over the same number of keep-alive connections, latency counted
//! from when each request was due.

use anyhow::Context as _;
use futures::future::try_join_all;

use super::Context;
use crate::clients::{Door, HttpWorker};
use crate::load::{self, Schedule};
use crate::report::{Latency, RunRow};

/// The share of the door's peak rate the latency is measured at.
pub(crate) const SHARE_OF_PEAK: f64 = 0.5;

pub(crate) async fn run(context: &mut Context<'_>, door: Door) -> anyhow::Result<Latency> {
    let peak = context
        .results
        .door(door)
        .with_context(|| format!("no {} peak was measured to take half of", door.name()))?
        .run
        .rate;
    let rate = peak * SHARE_OF_PEAK;
    let n = context.args.concurrency;
    let schedule = Schedule::new(rate, n, context.plan());
    let batches = i64::try_from(schedule.total())? + n as i64;
    let seeded = context.data.reset_and_seed(batches).await?;
    let addr = context.door(door)?.addr;
    let workers = try_join_all((0..n).map(|_| HttpWorker::connect(door, addr))).await?;
    let outcome = load::open_loop(workers, seeded, schedule).await?;
    let label = format!(
        "{} door at {:.0} % of peak ({rate:.0}/s, open loop)",
        door.name(),
        SHARE_OF_PEAK * 100.0
    );
    let mut row = RunRow::new(&label, &outcome.stats);
    row.mismatch = context
        .check_deleted(seeded, outcome.stats.ok_total)
        .await?;
    Ok(Latency {
        run: row,
        target_rate: rate,
        not_sent: outcome.not_sent,
    })
}
