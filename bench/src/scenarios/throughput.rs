//! Closed-loop single deletes at full speed through one route: PostgreSQL alone (the
//! baseline), gRPC `DeleteBatches`, or a door end to end. Each run gets a fresh set of
//! batches, reports deletes per second and CPU per delete of every party, checks that
//! the rows really went, and reads the translator's memory after the run.

use futures::future::try_join_all;

use super::Context;
use crate::clients::{DELETE_ONE, Door, GrpcWorker, HttpWorker, SqlWorker, grpc_channels};
use crate::cpu::{self, CpuPerRequest, CpuSample};
use crate::database::Seeded;
use crate::load::{self, LoadStats, Worker};
use crate::report::{RunRow, Throughput};

/// How much faster than the baseline an end-to-end run is allowed to be before it runs
/// out of seeded ids (it should be slower; the margin covers a noisy baseline).
const HEADROOM_OVER_BASELINE: f64 = 1.5;

/// Which way single deletes travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    Sql,
    Grpc,
    Door(Door),
}

impl Route {
    fn label(self) -> &'static str {
        match self {
            Route::Sql => "PostgreSQL alone (prepared single deletes)",
            Route::Grpc => "gRPC DeleteBatches, one id per call",
            Route::Door(Door::Rest) => "REST door: DELETE /live/batches/{id}",
            Route::Door(Door::Soap) => "SOAP door: DeleteBatchTask",
        }
    }
}

/// Runs the closed loop with `workers`, sampling the CPU of `watched` and of the
/// PostgreSQL processes serving the database at the edges of the measured window.
async fn measure<W: Worker>(
    context: &Context<'_>,
    workers: Vec<W>,
    seeded: Seeded,
    watched: &[u32],
) -> anyhow::Result<LoadStats<CpuSample>> {
    let mut postgres: Option<Vec<u32>> = None;
    load::closed_loop(workers, seeded, context.plan(), async || {
        // Listed when the window opens, when the clients' connections all exist.
        if postgres.is_none() {
            postgres = Some(context.data.server_pids().await.unwrap_or_default());
        }
        cpu::sample(watched, postgres.as_deref().unwrap_or_default())
    })
    .await
}

/// Measures `route` for the warm-up and duration of the arguments.
pub(crate) async fn run(context: &mut Context<'_>, route: Route) -> anyhow::Result<Throughput> {
    let args = context.args;
    let expected_rate = match (route, &context.results.baseline) {
        (Route::Sql, _) | (_, None) => args.seed_rate as f64,
        (_, Some(baseline)) => baseline.run.rate * HEADROOM_OVER_BASELINE,
    };
    let batches = (expected_rate * context.plan().total().as_secs_f64()).ceil() as i64
        + args.concurrency as i64;
    let seeded = context.data.reset_and_seed(batches).await?;

    let service_pid = match route {
        Route::Sql => None,
        _ => Some(context.service()?.process.pid()),
    };
    let translator_pid = match route {
        Route::Door(door) => Some(context.door(door)?.process.pid()),
        _ => None,
    };
    let watched: Vec<u32> = service_pid.into_iter().chain(translator_pid).collect();
    let n = args.concurrency;
    let stats = match route {
        Route::Sql => {
            let tenant = context.data.tenant_id();
            let url = context.database_url;
            let workers = try_join_all((0..n).map(|_| SqlWorker::connect(url, DELETE_ONE, tenant)));
            measure(context, workers.await?, seeded, &watched).await?
        }
        Route::Grpc => {
            let channels = grpc_channels(context.service_addr()?, args.grpc_channels).await?;
            let workers = (0..n)
                .map(|i| GrpcWorker::new(channels[i % channels.len()].clone()))
                .collect();
            measure(context, workers, seeded, &watched).await?
        }
        Route::Door(door) => {
            let addr = context.door(door)?.addr;
            let workers = try_join_all((0..n).map(|_| HttpWorker::connect(door, addr)));
            measure(context, workers.await?, seeded, &watched).await?
        }
    };

    let cpu = CpuPerRequest::between(&stats.samples.0, &stats.samples.1, stats.ok);
    let mut row = RunRow::new(route.label(), &stats);
    row.cpu = Some(cpu.clone());
    row.service_cpu = service_pid.map(|_| cpu.watched[0]);
    row.translator_cpu = translator_pid.map(|_| cpu.watched[watched.len() - 1]);
    row.mismatch = context.check_deleted(seeded, stats.ok_total).await?;
    let translator_memory = match translator_pid {
        Some(pid) => Some(cpu::memory(pid)?),
        None => None,
    };
    Ok(Throughput {
        run: row,
        translator_memory,
    })
}
