//! How soon a freshly started batch-service serves its first delete: start a new
//! service process (beside the one the other scenarios use, over the same database),
//! call `DeleteBatches` on a fresh batch until the first OK, and take the time from the
//! start. Connecting and calling are retried every millisecond, so the figure is the
//! service's start-up, not the poll interval. Repeated a few times; the median counts.

use std::time::Duration;

use anyhow::{Context as _, bail};
use tokio::time::Instant;
use tonic::transport::Channel;

use super::Context;
use crate::clients::GrpcWorker;
use crate::load::Worker as _;
use crate::processes::{Running, spawn_service};
use crate::results::FirstDelete;

/// Starts measured.
const STARTS: usize = 3;
/// Pause between two attempts.
const RETRY_PAUSE: Duration = Duration::from_millis(1);
/// How long a start may take before the scenario gives up.
const GIVE_UP_AFTER: Duration = Duration::from_secs(20);
/// How many attempts a start may take before the scenario gives up.
const MAX_ATTEMPTS: u32 = 20_000;
/// How long one connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(200);

/// One start: (time to the first OK, attempts).
async fn first_ok(context: &Context<'_>, id: i64) -> anyhow::Result<(Duration, u32)> {
    let Running {
        mut process, addr, ..
    } = spawn_service(
        "batch-service-first-delete",
        &context.binaries.service,
        context.database_url,
        &context.args.log_dir,
    )?;
    let started = Instant::now();
    let mut attempts = 0;
    let mut worker: Option<GrpcWorker> = None;
    let outcome = loop {
        attempts += 1;
        if started.elapsed() > GIVE_UP_AFTER || attempts > MAX_ATTEMPTS {
            break Err(anyhow::anyhow!(
                "no successful delete after {:?} and {} attempts",
                started.elapsed(),
                attempts - 1
            ));
        }
        if let Err(error) = process.ensure_running() {
            break Err(error);
        }
        if worker.is_none() {
            let endpoint = Channel::from_shared(format!("http://{addr}"))?
                .tcp_nodelay(true)
                .connect_timeout(CONNECT_TIMEOUT);
            worker = endpoint.connect().await.ok().map(GrpcWorker::new);
        }
        if let Some(worker) = worker.as_mut()
            && worker.delete(id).await.is_ok()
        {
            break Ok((started.elapsed(), attempts));
        }
        tokio::time::sleep(RETRY_PAUSE).await;
    };
    let stopped = process.stop().await;
    let outcome = outcome?;
    stopped?;
    Ok(outcome)
}

pub(crate) async fn run(context: &mut Context<'_>) -> anyhow::Result<FirstDelete> {
    let (ids, _) = context.pool.take(&context.data, STARTS as i64).await?;
    let mut first_delete = FirstDelete::default();
    for id in ids.first..=ids.last {
        let (time, attempts) = first_ok(context, id)
            .await
            .with_context(|| format!("start {}", first_delete.times.len() + 1))?;
        first_delete.times.push(time);
        first_delete.attempts.push(attempts);
    }
    if context.data.remaining(ids).await? != 0 {
        bail!("a delete answered OK but its batch is still there");
    }
    Ok(first_delete)
}
