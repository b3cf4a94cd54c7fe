//! How the cost grows with the work, for PostgreSQL alone and for gRPC side by side:
//!
//! - concurrency: the same table, 1, 8, 32 and 128 clients (`--sweep-clients`);
//! - table size: 100,000, 500,000 and 2,000,000 batches at the usual number of clients
//!   (`--sweep-table-sizes`); the smallest is seeded anew, each larger one grows the
//!   same table at its high end. The table holds at least the size while a run
//!   deletes from it.
//!
//! Each point runs the baseline and then gRPC, for the shorter sweep plan
//! (`--sweep-warmup-secs`, `--sweep-duration-secs`). The report shows rates and the CPU
//! per delete of batch-service and PostgreSQL at each point.

use super::{Context, throughput};
use crate::clients::Route;
use crate::pool::IdPool;
use crate::results::SweepPoint;
use crate::scenarios::Scenario;

/// The routes of every point, in the order they run.
const ROUTES: [Route; 2] = [Route::Sql, Route::Grpc];

/// Runs both routes at `clients`; a failing run is filed and the other still runs.
async fn point(
    context: &mut Context<'_>,
    scenario: Scenario,
    clients: usize,
    nominal_table: i64,
) -> Vec<SweepPoint> {
    let plan = context.sweep_plan();
    let mut points = Vec::new();
    for route in ROUTES {
        eprintln!(
            "batch-bench: {}: {} with {clients} clients, table {nominal_table}",
            scenario.name(),
            route.name()
        );
        match throughput::run(context, route, clients, plan).await {
            Ok(run) => points.push(SweepPoint { nominal_table, run }),
            Err(error) => context.results.failures.push((
                scenario,
                format!("{} at {clients} clients: {error:#}", route.name()),
            )),
        }
    }
    points
}

pub(crate) async fn concurrency(context: &mut Context<'_>) -> anyhow::Result<()> {
    let table = context.args.table_size;
    for clients in context.args.sweep_clients.clone() {
        let points = point(context, Scenario::Concurrency, clients, table).await;
        context.results.concurrency_sweep.extend(points);
    }
    Ok(())
}

pub(crate) async fn table_size(context: &mut Context<'_>) -> anyhow::Result<()> {
    let clients = context.args.concurrency;
    let mut sizes = context.args.sweep_table_sizes.clone();
    sizes.sort_unstable();
    sizes.dedup();
    for (index, size) in sizes.into_iter().enumerate() {
        if index == 0 {
            // Smaller than the main table: start over with a table of this size and room
            // for one run at the fastest rate seen; the next run tops it up to its need.
            let plan = context.sweep_plan();
            let rate = context
                .results
                .fastest_rate()
                .unwrap_or(context.args.seed_rate as f64);
            let reserve = (1.5 * rate * plan.total().as_secs_f64()).ceil() as i64;
            eprintln!("batch-bench: table-size: reseeding with {size} batches (+{reserve})");
            context.pool = IdPool::seed(&context.data, size, reserve).await?.tight();
        } else {
            // Larger: grow the same table at its high end (cheaper than seeding anew).
            context.pool.set_floor(size);
        }
        let points = point(context, Scenario::TableSize, clients, size).await;
        context.results.table_size_sweep.extend(points);
    }
    Ok(())
}
