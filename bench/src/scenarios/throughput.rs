//! One closed-loop run at full speed through one route: PostgreSQL alone (the
//! baseline), gRPC `DeleteBatches`, or a door end to end, with a given number of
//! clients. It takes fresh ids from the pool, reports deletes per second and the CPU
//! per delete of every party, checks that the rows really went, and reads the memory of
//! the started processes after the run.

use super::Context;
use crate::clients::{Route, connect_workers};
use crate::cpu::{self, CpuPerRequest, CpuSample};
use crate::groups::GroupTotals;
use crate::load::{self, LoadStats, Plan, RanOut};
use crate::results::RunRow;

/// How much faster than the fastest run so far a route may get before it runs out of
/// ids, once it was measured itself (the margin covers a noisy earlier run).
const HEADROOM_OVER_ITSELF: f64 = 1.5;
/// How much faster than the fastest run so far a route not measured yet may be: the
/// service may beat the baseline by grouping deletes. A run that is faster still uses
/// up its ids late in its window and keeps its figures (see `load::closed_loop`).
const HEADROOM_OVER_OTHERS: f64 = 2.0;
/// How many times more ids a run that used up its ids too early gets the second time.
const RETRY_GROWTH: i64 = 4;

/// The ids a run of `route` needs for `plan`: enough for the fastest rate seen so far,
/// of this route (which may have been measured with fewer clients) or of any other, with
/// a margin; `--seed-rate` before anything was measured.
fn ids_needed(context: &Context<'_>, route: Route, clients: usize, plan: Plan) -> i64 {
    let results = &context.results;
    let own = results.fastest_rate_of(route);
    let others_headroom = if own.is_some() {
        HEADROOM_OVER_ITSELF
    } else {
        HEADROOM_OVER_OTHERS
    };
    let expected_rate = match (own, results.fastest_rate()) {
        (None, None) => context.args.seed_rate as f64,
        (own, any) => f64::max(
            own.unwrap_or_default() * HEADROOM_OVER_ITSELF,
            any.unwrap_or_default() * others_headroom,
        ),
    };
    (expected_rate * plan.total().as_secs_f64()).ceil() as i64 + clients as i64
}

/// Runs `route` with `clients` clients for `plan`; once more with more ids if it used
/// up its ids too early.
pub(crate) async fn run(
    context: &mut Context<'_>,
    route: Route,
    clients: usize,
    plan: Plan,
) -> anyhow::Result<RunRow> {
    let count = ids_needed(context, route, clients, plan);
    match run_with(context, route, clients, plan, count).await {
        Err(error) if error.downcast_ref::<RanOut>().is_some() => {
            // Faster than anything before it (grouped deletes can be): once more, with
            // room for that. The used ids are gone; the pool hands out fresh ones.
            eprintln!("batch-bench: {error:#}; running {} again", route.name());
            let count = count.saturating_mul(RETRY_GROWTH);
            run_with(context, route, clients, plan, count).await
        }
        outcome => outcome,
    }
}

/// Runs `route` with `clients` clients for `plan` on `count` fresh ids.
async fn run_with(
    context: &mut Context<'_>,
    route: Route,
    clients: usize,
    plan: Plan,
    count: i64,
) -> anyhow::Result<RunRow> {
    let (ids, table_batches) = context.pool.take(&context.data, count).await?;
    let workers = connect_workers(route, clients, context.endpoints()).await?;
    let parties = context.stack.parties();
    let postmaster = context.data.postmaster_pid().await.ok();
    let service_metrics = context.stack.service.as_ref().map(|s| s.metrics);
    let stats: LoadStats<(CpuSample, Option<GroupTotals>)> =
        load::closed_loop(workers, ids, plan, async || {
            let cpu = cpu::sample(parties, postmaster);
            let groups = match service_metrics {
                Some(metrics) => GroupTotals::read(metrics).await,
                None => None,
            };
            (cpu, groups)
        })
        .await?;
    context.pool.give_back(ids, stats.next_unclaimed);

    let mut row = RunRow::new(route, clients, &stats);
    row.table_batches = table_batches;
    let ((cpu_before, groups_before), (cpu_after, groups_after)) = &stats.samples;
    row.cpu = Some(CpuPerRequest::between(cpu_before, cpu_after, stats.ok));
    row.grouping = GroupTotals::between(*groups_before, *groups_after, stats.window);
    row.mismatch = context.check_deleted(ids, stats.ok_total).await?;
    row.memory = context.stack.memory()?;
    Ok(row)
}
