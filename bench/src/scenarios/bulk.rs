//! 10,000 ids in one `DeleteBatches` call against the same delete as one raw SQL
//! transaction (`id = ANY($1)`, one statement, autocommit), each on its own equally
//! fresh range of the same big table. The two
//! alternate which goes first and which set they get, so that neither always meets the
//! warmer cache; one warm-up repetition is not counted.

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::ensure;

use super::Context;
use crate::clients::{DELETE_MANY, GrpcWorker, SqlWorker, grpc_channels};
use crate::cpu;
use crate::results::Bulk;

/// Ids per delete: the service's default limit for one call.
pub(crate) const IDS_PER_CALL: i64 = 10_000;

/// Times `delete`, which must delete all [`IDS_PER_CALL`] batches it was given.
async fn timed<T>(delete: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<Duration>
where
    T: TryInto<i64> + Copy + std::fmt::Debug,
{
    let started = Instant::now();
    let deleted = delete.await?;
    let elapsed = started.elapsed();
    ensure!(
        deleted.try_into().ok() == Some(IDS_PER_CALL),
        "{deleted:?} of {IDS_PER_CALL} batches were deleted"
    );
    Ok(elapsed)
}

pub(crate) async fn run(context: &mut Context<'_>) -> anyhow::Result<Bulk> {
    let repetitions = context.args.bulk_repetitions.max(1);
    let sets = 2 * (repetitions as i64 + 1);
    let (seeded, _) = context
        .pool
        .take(&context.data, sets * IDS_PER_CALL)
        .await?;
    let service_pid = context.service()?.process.pid();
    let channel = grpc_channels(context.service()?.addr, 1).await?.remove(0);
    let mut grpc = GrpcWorker::new(channel);
    let sql =
        SqlWorker::connect(context.database_url, DELETE_MANY, context.data.tenant_id()).await?;

    let mut bulk = Bulk::default();
    let mut service_ticks = 0;
    for repetition in 0..=repetitions {
        let set = |n: i64| -> Vec<i64> {
            let first = seeded.first + (2 * repetition as i64 + n) * IDS_PER_CALL;
            (first..first + IDS_PER_CALL).collect()
        };
        let even = repetition % 2 == 0;
        let (grpc_ids, sql_ids) = if even {
            (set(0), set(1))
        } else {
            (set(1), set(0))
        };
        let before = cpu::process_ticks(service_pid)?;
        let (grpc_time, sql_time) = if even {
            let grpc_time = timed(grpc.delete_many(grpc_ids)).await?;
            (grpc_time, timed(sql.delete_many(&sql_ids)).await?)
        } else {
            let sql_time = timed(sql.delete_many(&sql_ids)).await?;
            (timed(grpc.delete_many(grpc_ids)).await?, sql_time)
        };
        if repetition > 0 {
            service_ticks += cpu::process_ticks(service_pid)? - before;
            bulk.grpc.push(grpc_time);
            bulk.sql.push(sql_time);
        }
    }
    bulk.service_cpu = cpu::ticks_as_duration(service_ticks) / repetitions as u32;
    Ok(bulk)
}
