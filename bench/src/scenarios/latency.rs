//! Latency through one route (gRPC or a door) at half of the peak its throughput rounds
//! measured (their median rate): an open loop at a fixed rate over the same number of
//! clients, latency counted from when each request was due (see
//! [`crate::load::open_loop`]), so that p99 is not flattered by coordinated omission.

use std::time::Instant;

use anyhow::Context as _;

use super::Context;
use crate::clients::{Route, connect_workers};
use crate::groups::GroupTotals;
use crate::load::open_loop::{Pacing, Schedule, open_loop};
use crate::results::{Latency, RunRow};

/// The share of the route's peak rate the latency is measured at.
pub(crate) const SHARE_OF_PEAK: f64 = 0.5;

pub(crate) async fn run(context: &mut Context<'_>, route: Route) -> anyhow::Result<Latency> {
    let peak = context
        .results
        .median_rate(route)
        .with_context(|| format!("no {} peak was measured to take half of", route.name()))?;
    let rate = peak * SHARE_OF_PEAK;
    let clients = context.args.concurrency;
    let schedule = Schedule::new(rate, clients, context.plan());
    let count = i64::try_from(schedule.total())? + clients as i64;
    let (ids, table_batches) = context.pool.take(&context.data, count).await?;
    let workers = connect_workers(route, clients, context.endpoints()).await?;
    // The service's grouping over the whole run, warm-up included: whether its
    // statements alone take longer than the latency target allows.
    let service_metrics = context.stack.service.as_ref().map(|s| s.metrics);
    let read_groups = async || match service_metrics {
        Some(metrics) => GroupTotals::read(metrics).await,
        None => None,
    };
    let groups_before = read_groups().await;
    let started = Instant::now();
    let outcome = open_loop(workers, ids, schedule, Pacing::Thread).await?;
    let elapsed = started.elapsed();
    let groups_after = read_groups().await;
    context.pool.give_back(ids, outcome.stats.next_unclaimed);
    let mut run = RunRow::new(route, clients, &outcome.stats);
    run.table_batches = table_batches;
    run.grouping = GroupTotals::between(groups_before, groups_after, elapsed);
    run.mismatch = context.check_deleted(ids, outcome.stats.ok_total).await?;
    Ok(Latency {
        run,
        target_rate: rate,
        not_sent: outcome.not_sent,
    })
}
