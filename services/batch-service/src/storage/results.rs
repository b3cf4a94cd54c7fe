//! Result sets: the results a worker uploads for one run, in chunks, and the set that
//! FinishBatch closes. A set is created by the first chunk of a run (or by the finish
//! of a run that uploaded nothing), is invisible until the run finishes, and is
//! numbered then with the batch's new `results_count`, so `next_result_set_id` is
//! always `results_count + 1`. Sets expire (`expires_at`) and are purged by
//! [`purge_expired`]; they go with their batch through `ON DELETE CASCADE`.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection as _, AsyncPgConnection, RunQueryDsl};
use serde_json::Value;

use super::columns::Json;
use super::schema::{batch_runs, batches, result_sets, results};
use super::{BatchRecord, TenantId};
use crate::domain::{Action, BatchId, BatchState, Refusal, Resource, RunOutcome, ShortText};

/// Results per page of a set's downloads (the REST door's files and the webhook links).
pub const RESULTS_PER_PAGE: i64 = 1_000;

/// Where a result set's completion webhook stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookStatus {
    /// The batch had no webhook when the run finished.
    None,
    Pending,
    Ok,
    Failed,
}

impl WebhookStatus {
    pub fn as_db_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Pending => "pending",
            Self::Ok => "ok",
            Self::Failed => "failed",
        }
    }

    pub(super) fn from_db_str(raw: &str) -> Option<Self> {
        [Self::None, Self::Pending, Self::Ok, Self::Failed]
            .into_iter()
            .find(|s| s.as_db_str() == raw)
    }
}

/// A whole `result_sets` row.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = result_sets, check_for_backend(diesel::pg::Pg))]
pub struct ResultSetRecord {
    pub id: i64,
    pub batch_id: i64,
    pub run_id: i64,
    pub number: Option<i32>,
    /// SUCCEEDED or FAILED once the run finished.
    pub outcome: Option<BatchState>,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub searches_total: i64,
    pub searches_completed: i64,
    pub searches_failed: i64,
    pub webhook_status: WebhookStatus,
    pub webhook_url: String,
    pub webhook_attempts: i32,
    pub webhook_due_at: Option<DateTime<Utc>>,
    /// Oldest first.
    #[diesel(deserialize_as = Json<Vec<WebhookLogEntry>>)]
    pub webhook_log: Vec<WebhookLogEntry>,
}

/// One line of a set's webhook log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WebhookLogEntry {
    /// ISO 8601 UTC with milliseconds, as SerpWow writes times.
    pub date_time: String,
    pub text: String,
}

impl WebhookLogEntry {
    pub fn now(text: impl Into<String>) -> Self {
        Self {
            date_time: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
            text: text.into(),
        }
    }
}

impl ResultSetRecord {
    /// Pages of [`RESULTS_PER_PAGE`]; an empty set still has one (empty) page.
    pub fn page_count(&self) -> i64 {
        pages(self.searches_total)
    }
}

/// Pages of [`RESULTS_PER_PAGE`] for `total` results, at least 1.
pub fn pages(total: i64) -> i64 {
    ((total + RESULTS_PER_PAGE - 1) / RESULTS_PER_PAGE).max(1)
}

/// One search's result, as a worker uploads it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewResult {
    /// 0 when the worker names the search only by custom id.
    pub item_id: i64,
    pub custom_id: ShortText,
    pub succeeded: bool,
    pub document: Value,
}

/// A stored result.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = results, check_for_backend(diesel::pg::Pg))]
pub struct ResultRecord {
    pub position: i64,
    pub item_id: i64,
    pub custom_id: String,
    pub succeeded: bool,
    pub document: Value,
}

/// Stores one chunk of the running batch's results at `offset`; returns how many
/// results the run has stored so far.
#[tracing::instrument(name = "INSERT results", skip_all, fields(otel.kind = "client", db.system.name = "postgresql", db.operation.name = "INSERT", db.collection.name = "results", batch.id = id.get()))]
pub async fn upload(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: BatchId,
    offset: i64,
    new: &[NewResult],
) -> QueryResult<Result<i64, Refusal>> {
    conn.transaction(async |conn| {
        // A share lock: a concurrent finish (which updates the row) waits for this
        // chunk, so the set it closes holds it.
        let state: Option<BatchState> = batches::table
            .filter(batches::id.eq(id.get()))
            .filter(batches::tenant_id.eq(tenant.0))
            .select(batches::state)
            .for_share()
            .first(conn)
            .await
            .optional()?;
        let Some(state) = state else {
            return Ok(Err(Refusal::batch_not_found(id)));
        };
        if let Err(refusal) = Action::UploadResults.check(id, state) {
            return Ok(Err(refusal));
        }
        let set_id = open_set(conn, id.get()).await?;
        let stored: i64 = results::table
            .filter(results::result_set_id.eq(set_id))
            .count()
            .get_result(conn)
            .await?;
        if offset > stored {
            return Ok(Err(Refusal::ResultsGap { stored }));
        }
        if !new.is_empty() {
            let rows: Vec<_> = new
                .iter()
                .zip(offset..)
                .map(|(r, position)| {
                    (
                        results::result_set_id.eq(set_id),
                        results::position.eq(position),
                        results::item_id.eq(r.item_id),
                        results::custom_id.eq(r.custom_id.as_str()),
                        results::succeeded.eq(r.succeeded),
                        results::document.eq(&r.document),
                    )
                })
                .collect();
            // A chunk sent again (its answer was lost) changes nothing.
            diesel::insert_into(results::table)
                .values(&rows)
                .on_conflict_do_nothing()
                .execute(conn)
                .await?;
        }
        // Positions are dense from 0, so this is the new count.
        Ok(Ok(stored.max(offset + new.len() as i64)))
    })
    .await
}

/// The id of the set of the batch's open run, created if needed, locked for the
/// rest of the transaction (so concurrent chunks of one run take turns). A batch made
/// RUNNING by UpdateBatch rather than claimed has no run yet: one is recorded here.
async fn open_set(conn: &mut AsyncPgConnection, batch_id: i64) -> QueryResult<i64> {
    let open: Option<(i64, DateTime<Utc>)> = batch_runs::table
        .filter(batch_runs::batch_id.eq(batch_id))
        .filter(batch_runs::finished_at.is_null())
        .order_by(batch_runs::id.desc())
        .select((batch_runs::id, batch_runs::started_at))
        .first(conn)
        .await
        .optional()?;
    let (run_id, started_at) = match open {
        Some(run) => run,
        None => {
            diesel::insert_into(batch_runs::table)
                .values(batch_runs::batch_id.eq(batch_id))
                .returning((batch_runs::id, batch_runs::started_at))
                .get_result(conn)
                .await?
        }
    };
    diesel::insert_into(result_sets::table)
        .values((
            result_sets::batch_id.eq(batch_id),
            result_sets::run_id.eq(run_id),
            result_sets::started_at.eq(started_at),
        ))
        .on_conflict(result_sets::run_id)
        .do_nothing()
        .execute(conn)
        .await?;
    result_sets::table
        .filter(result_sets::run_id.eq(run_id))
        .select(result_sets::id)
        .for_update()
        .first(conn)
        .await
}

/// Closes the set of the open run of `batch` (just finished in the caller's
/// transaction, before the run itself is closed): numbers it, counts its results, sets its expiry and queues its
/// webhook when the batch has one.
pub(crate) async fn close(
    conn: &mut AsyncPgConnection,
    batch: &BatchRecord,
    outcome: RunOutcome,
    retention: Duration,
) -> QueryResult<()> {
    let set_id = open_set(conn, batch.id).await?;
    let total: i64 = results::table
        .filter(results::result_set_id.eq(set_id))
        .count()
        .get_result(conn)
        .await?;
    let completed: i64 = results::table
        .filter(results::result_set_id.eq(set_id))
        .filter(results::succeeded)
        .count()
        .get_result(conn)
        .await?;
    let webhook = batch.notification.webhook_url.to_string();
    let now = Utc::now();
    let (status, due) = if webhook.is_empty() {
        (WebhookStatus::None, None)
    } else {
        (WebhookStatus::Pending, Some(now))
    };
    diesel::update(result_sets::table.find(set_id))
        .set((
            result_sets::number.eq(batch.results_count),
            result_sets::outcome.eq(BatchState::from(outcome)),
            result_sets::ended_at.eq(now),
            result_sets::expires_at.eq(now + retention),
            result_sets::searches_total.eq(total),
            result_sets::searches_completed.eq(completed),
            result_sets::searches_failed.eq(total - completed),
            result_sets::webhook_status.eq(status.as_db_str()),
            result_sets::webhook_url.eq(webhook),
            result_sets::webhook_due_at.eq(due),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The batch and its unexpired, finished sets, newest first.
#[tracing::instrument(name = "SELECT result_sets", skip_all, fields(otel.kind = "client", db.system.name = "postgresql", db.operation.name = "SELECT", db.collection.name = "result_sets", batch.id = id.get()))]
pub async fn list_sets(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: BatchId,
) -> QueryResult<Result<(BatchRecord, Vec<ResultSetRecord>), Refusal>> {
    let Some(batch) = super::batches::find(conn, tenant, id).await? else {
        return Ok(Err(Refusal::batch_not_found(id)));
    };
    let sets = result_sets::table
        .filter(result_sets::batch_id.eq(id.get()))
        .filter(result_sets::number.is_not_null())
        .filter(result_sets::expires_at.gt(Utc::now()))
        .order_by(result_sets::number.desc())
        .select(ResultSetRecord::as_select())
        .load(conn)
        .await?;
    Ok(Ok((batch, sets)))
}

/// One finished, unexpired set of the tenant's batch.
#[tracing::instrument(name = "SELECT result_sets", skip_all, fields(otel.kind = "client", db.system.name = "postgresql", db.operation.name = "SELECT", db.collection.name = "result_sets", batch.id = id.get()))]
pub async fn find_set(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: BatchId,
    number: i32,
) -> QueryResult<Result<ResultSetRecord, Refusal>> {
    let found: Option<(i64, Option<ResultSetRecord>)> = batches::table
        .left_join(
            result_sets::table.on(result_sets::batch_id
                .eq(batches::id)
                .and(result_sets::number.eq(number))
                .and(result_sets::expires_at.gt(Utc::now()))),
        )
        .filter(batches::id.eq(id.get()))
        .filter(batches::tenant_id.eq(tenant.0))
        .select((batches::id, Option::<ResultSetRecord>::as_select()))
        .first(conn)
        .await
        .optional()?;
    Ok(match found {
        None => Err(Refusal::batch_not_found(id)),
        Some((_, None)) => Err(Refusal::NotFound {
            resource: Resource::ResultSet,
            ids: vec![i64::from(number)],
        }),
        Some((_, Some(set))) => Ok(set),
    })
}

/// Up to `limit` results of one set from position `offset`, and the set's size.
#[tracing::instrument(name = "SELECT results", skip_all, fields(otel.kind = "client", db.system.name = "postgresql", db.operation.name = "SELECT", db.collection.name = "results", batch.id = id.get()))]
pub async fn list_results(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: BatchId,
    number: i32,
    offset: i64,
    limit: i64,
) -> QueryResult<Result<(Vec<ResultRecord>, i64), Refusal>> {
    let set = match find_set(conn, tenant, id, number).await? {
        Ok(set) => set,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let rows = results::table
        .filter(results::result_set_id.eq(set.id))
        .filter(results::position.ge(offset))
        .order_by(results::position.asc())
        .limit(limit)
        .select(ResultRecord::as_select())
        .load(conn)
        .await?;
    Ok(Ok((rows, set.searches_total)))
}

/// Queues the set's webhook again, to the batch's current webhook URL.
#[tracing::instrument(name = "UPDATE result_sets", skip_all, fields(otel.kind = "client", db.system.name = "postgresql", db.operation.name = "UPDATE", db.collection.name = "result_sets", batch.id = id.get()))]
pub async fn resend_webhook(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: BatchId,
    number: i32,
) -> QueryResult<Result<ResultSetRecord, Refusal>> {
    let set = match find_set(conn, tenant, id, number).await? {
        Ok(set) => set,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let Some(batch) = super::batches::find(conn, tenant, id).await? else {
        return Ok(Err(Refusal::batch_not_found(id)));
    };
    let url = batch.notification.webhook_url.to_string();
    if url.is_empty() {
        return Ok(Err(Refusal::NoWebhook { id }));
    }
    let entry = serde_json::json!([WebhookLogEntry::now("Webhook resend requested.")]);
    let set = diesel::update(result_sets::table.find(set.id))
        .set((
            result_sets::webhook_status.eq(WebhookStatus::Pending.as_db_str()),
            result_sets::webhook_url.eq(url),
            result_sets::webhook_attempts.eq(0),
            result_sets::webhook_due_at.eq(Utc::now()),
            result_sets::webhook_log.eq(result_sets::webhook_log.concat(entry)),
        ))
        .returning(ResultSetRecord::as_returning())
        .get_result(conn)
        .await?;
    Ok(Ok(set))
}

/// Deletes expired sets (and their results), and the never-finished sets of runs
/// that were stopped; returns how many.
#[tracing::instrument(name = "DELETE result_sets", skip_all, fields(otel.kind = "client", db.system.name = "postgresql", db.operation.name = "DELETE", db.collection.name = "result_sets"))]
pub async fn purge_expired(conn: &mut AsyncPgConnection) -> QueryResult<usize> {
    let abandoned = batch_runs::table
        .filter(batch_runs::finished_at.is_not_null())
        .select(batch_runs::id);
    diesel::delete(
        result_sets::table.filter(
            result_sets::expires_at
                .lt(Utc::now())
                .or(result_sets::number
                    .is_null()
                    .and(result_sets::run_id.eq_any(abandoned))),
        ),
    )
    .execute(conn)
    .await
}
