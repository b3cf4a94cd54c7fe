//! State changes of a batch's run: start, stop, claim, progress, finish. Each is a
//! conditional UPDATE, so the check and the change happen atomically under the row
//! lock; a second look at the row happens only on the refusal path, to say why.

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncConnection as _, AsyncPgConnection, RunQueryDsl};

use super::schema::{batch_runs, batches};
use super::{BatchRecord, TenantId};
use crate::domain::{Action, BatchId, BatchState, Refusal, RunOutcome};

/// A state change's answer: the batch as it is afterwards, or why it was refused.
pub type Transition = Result<BatchRecord, Refusal>;

/// Why `action` changed nothing: the batch is missing or in another state.
async fn explain_refusal(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: BatchId,
    action: Action,
) -> QueryResult<Transition> {
    Ok(Err(match super::batches::find(conn, tenant, id).await? {
        Some(batch) => action.refused(id, batch.state),
        None => Refusal::batch_not_found(id),
    }))
}

/// Queues a run of a NEW, SUCCEEDED or FAILED batch.
#[tracing::instrument(name = "UPDATE batches", skip_all, fields(otel.kind = "client", db.system.name = "postgresql", db.operation.name = "UPDATE", db.collection.name = "batches", batch.id = id.get()))]
pub async fn start(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: BatchId,
) -> QueryResult<Transition> {
    let now = Utc::now();
    let started = diesel::update(
        batches::table
            .filter(batches::id.eq(id.get()))
            .filter(batches::tenant_id.eq(tenant.0))
            .filter(batches::state.eq_any(Action::Start.allowed_in())),
    )
    .set((
        batches::state.eq(BatchState::Queued),
        batches::queued_at.eq(now),
        batches::updated_at.eq(now),
    ))
    .returning(BatchRecord::as_returning())
    .get_result(conn)
    .await
    .optional()?;
    match started {
        Some(batch) => Ok(Ok(batch)),
        None => explain_refusal(conn, tenant, id, Action::Start).await,
    }
}

/// The result text a stopped batch carries.
pub const STOPPED_RESULT: &str = "stopped";

/// Stops a QUEUED or RUNNING batch: it becomes FAILED with result "stopped".
#[tracing::instrument(name = "UPDATE batches", skip_all, fields(otel.kind = "client", db.system.name = "postgresql", db.operation.name = "UPDATE", db.collection.name = "batches", batch.id = id.get()))]
pub async fn stop(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: BatchId,
) -> QueryResult<Transition> {
    let stopped = conn
        .transaction(async |conn| {
            let stopped = stop_where(conn, tenant, Some(id)).await?;
            Ok::<_, diesel::result::Error>(stopped.into_iter().next())
        })
        .await?;
    match stopped {
        Some(batch) => Ok(Ok(batch)),
        None => explain_refusal(conn, tenant, id, Action::Stop).await,
    }
}

/// Stops every QUEUED or RUNNING batch of the tenant; returns the stopped ids.
#[tracing::instrument(name = "UPDATE batches", skip_all, fields(otel.kind = "client", db.system.name = "postgresql", db.operation.name = "UPDATE", db.collection.name = "batches"))]
pub async fn stop_all(conn: &mut AsyncPgConnection, tenant: TenantId) -> QueryResult<Vec<i64>> {
    conn.transaction(async |conn| {
        let stopped = stop_where(conn, tenant, None).await?;
        Ok(stopped.into_iter().map(|b| b.id).collect())
    })
    .await
}

async fn stop_where(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    only: Option<BatchId>,
) -> QueryResult<Vec<BatchRecord>> {
    let now = Utc::now();
    let mut target = diesel::update(batches::table)
        .filter(batches::tenant_id.eq(tenant.0))
        .filter(batches::state.eq_any(Action::Stop.allowed_in()))
        .into_boxed();
    if let Some(id) = only {
        target = target.filter(batches::id.eq(id.get()));
    }
    let stopped: Vec<BatchRecord> = target
        .set((
            batches::state.eq(BatchState::Failed),
            batches::result.eq(STOPPED_RESULT),
            batches::updated_at.eq(now),
        ))
        .returning(BatchRecord::as_returning())
        .get_results(conn)
        .await?;
    let ids: Vec<i64> = stopped.iter().map(|b| b.id).collect();
    close_runs(conn, &ids, BatchState::Failed, STOPPED_RESULT).await?;
    Ok(stopped)
}

async fn close_runs(
    conn: &mut AsyncPgConnection,
    batch_ids: &[i64],
    outcome: BatchState,
    result: &str,
) -> QueryResult<usize> {
    diesel::update(
        batch_runs::table
            .filter(batch_runs::batch_id.eq_any(batch_ids))
            .filter(batch_runs::finished_at.is_null()),
    )
    .set((
        batch_runs::finished_at.eq(Utc::now()),
        batch_runs::outcome.eq(outcome),
        batch_runs::result.eq(result),
    ))
    .execute(conn)
    .await
}

/// Marks the tenant's next QUEUED batch (highest priority, then longest queued) as
/// RUNNING and records the run. Rows locked by a concurrent delete or claim are
/// skipped, so claimers never wait on each other.
#[tracing::instrument(name = "UPDATE batches", skip_all, fields(otel.kind = "client", db.system.name = "postgresql", db.operation.name = "UPDATE", db.collection.name = "batches"))]
pub async fn claim_next(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    worker: &str,
) -> QueryResult<Option<BatchRecord>> {
    conn.transaction(async |conn| {
        let next = batches::table
            .filter(batches::tenant_id.eq(tenant.0))
            .filter(batches::state.eq(BatchState::Queued))
            .order_by((
                batches::priority.desc(),
                batches::queued_at.asc(),
                batches::id.asc(),
            ))
            .select(batches::id)
            .limit(1)
            .for_update()
            .skip_locked()
            .first::<i64>(conn)
            .await
            .optional()?;
        let Some(id) = next else {
            return Ok(None);
        };
        let now = Utc::now();
        let claimed = diesel::update(batches::table.find(id))
            .set((
                batches::state.eq(BatchState::Running),
                batches::start_count.eq(batches::start_count + 1),
                batches::last_started_at.eq(now),
                batches::progress_percent.eq(0),
                batches::progress_description.eq(""),
                batches::updated_at.eq(now),
            ))
            .returning(BatchRecord::as_returning())
            .get_result(conn)
            .await?;
        diesel::insert_into(batch_runs::table)
            .values((batch_runs::batch_id.eq(id), batch_runs::worker.eq(worker)))
            .execute(conn)
            .await?;
        Ok(Some(claimed))
    })
    .await
}

/// Records the progress of a RUNNING batch.
#[tracing::instrument(name = "UPDATE batches", skip_all, fields(otel.kind = "client", db.system.name = "postgresql", db.operation.name = "UPDATE", db.collection.name = "batches", batch.id = id.get()))]
pub async fn report_progress(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: BatchId,
    percent: i32,
    description: &str,
) -> QueryResult<Transition> {
    let updated = diesel::update(
        batches::table
            .filter(batches::id.eq(id.get()))
            .filter(batches::tenant_id.eq(tenant.0))
            .filter(batches::state.eq_any(Action::ReportProgress.allowed_in())),
    )
    .set((
        batches::progress_percent.eq(percent),
        batches::progress_description.eq(description),
        batches::updated_at.eq(Utc::now()),
    ))
    .returning(BatchRecord::as_returning())
    .get_result(conn)
    .await
    .optional()?;
    match updated {
        Some(batch) => Ok(Ok(batch)),
        None => explain_refusal(conn, tenant, id, Action::ReportProgress).await,
    }
}

/// Ends the run of a RUNNING batch, and closes the run's result set, kept for
/// `retention`.
#[tracing::instrument(name = "UPDATE batches", skip_all, fields(otel.kind = "client", db.system.name = "postgresql", db.operation.name = "UPDATE", db.collection.name = "batches", batch.id = id.get()))]
pub async fn finish(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: BatchId,
    outcome: RunOutcome,
    result: &str,
    retention: chrono::Duration,
) -> QueryResult<Transition> {
    let finished = conn
        .transaction(async |conn| {
            let finished = diesel::update(
                batches::table
                    .filter(batches::id.eq(id.get()))
                    .filter(batches::tenant_id.eq(tenant.0))
                    .filter(batches::state.eq_any(Action::Finish.allowed_in())),
            )
            .set((
                batches::state.eq(BatchState::from(outcome)),
                batches::result.eq(result),
                batches::results_count.eq(batches::results_count + 1),
                batches::updated_at.eq(Utc::now()),
            ))
            .returning(BatchRecord::as_returning())
            .get_result(conn)
            .await
            .optional()?;
            if let Some(batch) = &finished {
                // The set first: it belongs to the run that is still open.
                super::results::close(conn, batch, outcome, retention).await?;
                close_runs(conn, &[id.get()], outcome.into(), result).await?;
            }
            Ok::<_, diesel::result::Error>(finished)
        })
        .await?;
    match finished {
        Some(batch) => Ok(Ok(batch)),
        None => explain_refusal(conn, tenant, id, Action::Finish).await,
    }
}
