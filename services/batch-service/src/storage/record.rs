//! Rows as diesel reads and writes them. Reads decode every column into its domain
//! type strictly (see `columns`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::columns::Json;
use super::schema::{batch_items, batches};
use crate::domain::{
    BatchState, DestinationId, NewBatch, Notification, Parameter, Priority, Schedule,
};

/// A whole `batches` row. Its plain text columns stay `String`: that text only goes
/// out, to the caller, and is never written back, so checking its bound on the way out
/// would protect nothing (and calling it bounded without a check would be a claim, not
/// a fact). The JSON columns are different: their types are shared with what callers
/// write (an update merges a stored schedule with the new one), so they are decoded
/// into their bounded types, and text out of bounds fails the read (see `columns`).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = batches, check_for_backend(diesel::pg::Pg))]
pub struct BatchRecord {
    pub id: i64,
    pub tenant_id: i64,
    pub name: String,
    pub description: String,
    pub state: BatchState,
    pub owner_id: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub queued_at: Option<DateTime<Utc>>,
    pub last_started_at: Option<DateTime<Utc>>,
    pub start_count: i32,
    pub details_table: i32,
    pub details_record: i32,
    pub is_system_task: bool,
    pub is_internal_task: bool,
    #[diesel(deserialize_as = Json<Vec<Parameter>>)]
    pub parameters: Vec<Parameter>,
    pub database_serial_number: String,
    pub context: String,
    pub result: String,
    pub request: String,
    pub response: String,
    pub progress_description: String,
    pub progress_percent: i32,
    pub enabled: bool,
    pub priority: Priority,
    pub destination_ids: Vec<String>,
    #[diesel(deserialize_as = Json<Schedule>)]
    pub schedule: Schedule,
    #[diesel(deserialize_as = Json<Notification>)]
    pub notification: Notification,
    pub items_type: String,
    pub item_count: i64,
    pub results_count: i32,
}

/// The insertable form of a new batch.
#[derive(Debug, Insertable)]
#[diesel(table_name = batches)]
pub(crate) struct NewBatchRow<'a> {
    pub(crate) tenant_id: i64,
    pub(crate) name: &'a str,
    pub(crate) description: &'a str,
    pub(crate) state: BatchState,
    pub(crate) owner_id: i64,
    pub(crate) queued_at: Option<DateTime<Utc>>,
    pub(crate) details_table: i32,
    pub(crate) details_record: i32,
    pub(crate) is_system_task: bool,
    pub(crate) is_internal_task: bool,
    pub(crate) parameters: serde_json::Value,
    pub(crate) database_serial_number: &'a str,
    pub(crate) context: &'a str,
    pub(crate) result: &'a str,
    pub(crate) request: &'a str,
    pub(crate) response: &'a str,
    pub(crate) progress_description: &'a str,
    pub(crate) progress_percent: i32,
    pub(crate) enabled: bool,
    pub(crate) priority: Priority,
    pub(crate) destination_ids: Vec<&'a str>,
    pub(crate) schedule: serde_json::Value,
    pub(crate) notification: serde_json::Value,
    pub(crate) items_type: &'a str,
}

impl<'a> NewBatchRow<'a> {
    pub(crate) fn new(tenant_id: i64, batch: &'a NewBatch, state: BatchState) -> Self {
        Self {
            tenant_id,
            name: batch.name.as_str(),
            description: batch.description.as_str(),
            state,
            owner_id: batch.owner_id,
            queued_at: (state == BatchState::Queued).then(Utc::now),
            details_table: batch.details_table,
            details_record: batch.details_record,
            is_system_task: batch.is_system_task,
            is_internal_task: batch.is_internal_task,
            parameters: to_json(&batch.parameters),
            database_serial_number: batch.database_serial_number.as_str(),
            context: batch.context.as_str(),
            result: batch.result.as_str(),
            request: batch.request.as_str(),
            response: batch.response.as_str(),
            progress_description: batch.progress_description.as_str(),
            progress_percent: batch.progress_percent,
            enabled: batch.enabled,
            priority: batch.priority,
            destination_ids: destination_ids(&batch.destination_ids),
            schedule: to_json(&batch.schedule),
            notification: to_json(&batch.notification),
            items_type: batch.items_type.as_str(),
        }
    }
}

/// The `destination_ids` column's value.
pub(crate) fn destination_ids(ids: &[DestinationId]) -> Vec<&str> {
    ids.iter().map(DestinationId::as_str).collect()
}

/// Serialises one of our own plain structs, which cannot fail.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// A whole `batch_items` row.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = batch_items, check_for_backend(diesel::pg::Pg))]
pub struct ItemRecord {
    pub id: i64,
    pub batch_id: i64,
    pub custom_id: String,
    /// A JSON object.
    #[diesel(deserialize_as = Json<serde_json::Map<String, serde_json::Value>>)]
    pub parameters: serde_json::Map<String, serde_json::Value>,
    pub created_at: DateTime<Utc>,
}
