//! The queue of completion webhooks: result sets whose `webhook_status` is `pending`
//! and whose `webhook_due_at` has come. Claiming pushes `webhook_due_at` forward by a
//! lease (so another replica, or this one after a crash, retries only when the lease
//! runs out) and counts the attempt; recording ends the attempt.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection as _, AsyncPgConnection, RunQueryDsl};

use super::columns::Json;
use super::results::{WebhookLogEntry, WebhookStatus};
use super::schema::{batches, result_sets};
use crate::domain::Notification;

/// One notification to send, with everything its payload needs.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub set_id: i64,
    pub batch_id: i64,
    pub batch_name: String,
    pub notification: Notification,
    pub url: String,
    /// 1 for the first attempt.
    pub attempt: i32,
    pub number: i32,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub searches_total: i64,
    pub searches_completed: i64,
    pub searches_failed: i64,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Delivered(String),
    /// Failed; try again at `at`.
    Retry {
        text: String,
        at: DateTime<Utc>,
    },
    /// Failed for good.
    GaveUp(String),
}

/// Claims up to `limit` due deliveries for `lease`.
#[tracing::instrument(name = "UPDATE result_sets", skip_all, fields(otel.kind = "client", db.system.name = "postgresql", db.operation.name = "UPDATE", db.collection.name = "result_sets"))]
pub async fn claim_due(
    conn: &mut AsyncPgConnection,
    limit: i64,
    lease: Duration,
) -> QueryResult<Vec<Delivery>> {
    conn.transaction(async |conn| {
        let now = Utc::now();
        let due: Vec<i64> = result_sets::table
            .filter(result_sets::webhook_status.eq(WebhookStatus::Pending.as_db_str()))
            .filter(result_sets::webhook_due_at.le(now))
            .order_by(result_sets::webhook_due_at.asc())
            .limit(limit)
            .select(result_sets::id)
            .for_update()
            .skip_locked()
            .load(conn)
            .await?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        type Row = (
            i64,
            i64,
            String,
            i32,
            Option<i32>,
            DateTime<Utc>,
            Option<DateTime<Utc>>,
            i64,
            i64,
            i64,
        );
        let claimed: Vec<Row> = diesel::update(result_sets::table)
            .filter(result_sets::id.eq_any(&due))
            .set((
                result_sets::webhook_due_at.eq(now + lease),
                result_sets::webhook_attempts.eq(result_sets::webhook_attempts + 1),
            ))
            .returning((
                result_sets::id,
                result_sets::batch_id,
                result_sets::webhook_url,
                result_sets::webhook_attempts,
                result_sets::number,
                result_sets::started_at,
                result_sets::ended_at,
                result_sets::searches_total,
                result_sets::searches_completed,
                result_sets::searches_failed,
            ))
            .get_results(conn)
            .await?;
        let batch_ids: Vec<i64> = claimed.iter().map(|row| row.1).collect();
        let batches: Vec<(i64, String, Json<Notification>)> = batches::table
            .filter(batches::id.eq_any(&batch_ids))
            .select((batches::id, batches::name, batches::notification))
            .load(conn)
            .await?;
        Ok(claimed
            .into_iter()
            .filter_map(|row| {
                let (_, name, notification) = batches.iter().find(|b| b.0 == row.1)?;
                Some(Delivery {
                    set_id: row.0,
                    batch_id: row.1,
                    batch_name: name.clone(),
                    notification: notification.0.clone(),
                    url: row.2,
                    attempt: row.3,
                    number: row.4.unwrap_or_default(),
                    started_at: row.5,
                    ended_at: row.6,
                    searches_total: row.7,
                    searches_completed: row.8,
                    searches_failed: row.9,
                })
            })
            .collect())
    })
    .await
}

/// Records how an attempt ended (unless the set was resent meanwhile, which restarted
/// its attempts: then only the log line is kept).
#[tracing::instrument(name = "UPDATE result_sets", skip_all, fields(otel.kind = "client", db.system.name = "postgresql", db.operation.name = "UPDATE", db.collection.name = "result_sets"))]
pub async fn record(
    conn: &mut AsyncPgConnection,
    set_id: i64,
    attempt_number: i32,
    attempt: &Attempt,
) -> QueryResult<()> {
    let (status, due, text) = match attempt {
        Attempt::Delivered(text) => (WebhookStatus::Ok, None, text),
        Attempt::Retry { text, at } => (WebhookStatus::Pending, Some(*at), text),
        Attempt::GaveUp(text) => (WebhookStatus::Failed, None, text),
    };
    let entry = serde_json::json!([WebhookLogEntry::now(text.clone())]);
    let updated = diesel::update(
        result_sets::table
            .find(set_id)
            .filter(result_sets::webhook_status.eq(WebhookStatus::Pending.as_db_str()))
            .filter(result_sets::webhook_attempts.eq(attempt_number)),
    )
    .set((
        result_sets::webhook_status.eq(status.as_db_str()),
        result_sets::webhook_due_at.eq(due),
        result_sets::webhook_log.eq(result_sets::webhook_log.concat(entry.clone())),
    ))
    .execute(conn)
    .await?;
    if updated == 0 {
        diesel::update(result_sets::table.find(set_id))
            .set(result_sets::webhook_log.eq(result_sets::webhook_log.concat(entry)))
            .execute(conn)
            .await?;
    }
    Ok(())
}
