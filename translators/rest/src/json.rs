//! SerpWow's JSON response shapes, built from `batch.v1` messages.
//!
//! Every answer is wrapped in `request_info`. Optional fields that are unset are left
//! out, not `null`, as SerpWow's own list example does. Field order follows SerpWow's
//! documented examples.

use batch_proto::prost_types::Timestamp;
use batch_proto::v1::{Batch, BatchItem};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::ids::page_count;
use crate::values;
use crate::vocab::{PriorityWord, ScheduleKind, Status};

/// SerpWow lists searches 1000 to a page; `searches_page_count` counts such pages.
pub(crate) const SEARCHES_PER_PAGE: u32 = 1000;

/// The wrapper every SerpWow answer starts with.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct RequestInfo {
    /// `true` for a 2xx answer, `false` with an error status.
    pub(crate) success: bool,
    /// What happened, for confirmations and every error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) message: Option<String>,
}

impl RequestInfo {
    pub(crate) const SUCCESS: Self = Self {
        success: true,
        message: None,
    };
}

/// An answer that is only a `request_info`: confirmations and errors.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"request_info": {"success": true, "message": "batch deleted"}}))]
pub(crate) struct Message {
    pub(crate) request_info: RequestInfo,
}

impl Message {
    /// A success with a confirmation text, e.g. `batch deleted`.
    pub(crate) fn ok(message: impl Into<String>) -> Self {
        Self {
            request_info: RequestInfo {
                success: true,
                message: Some(message.into()),
            },
        }
    }

    /// An error body.
    pub(crate) fn failure(message: impl Into<String>) -> Self {
        Self {
            request_info: RequestInfo {
                success: false,
                message: Some(message.into()),
            },
        }
    }
}

/// A batch as SerpWow shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct BatchJson {
    /// The service's id, as a decimal string.
    #[schema(example = "123456")]
    pub(crate) id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "2020-01-01T00:00:00.000Z")]
    pub(crate) created_at: Option<String>,
    /// When the last run started; absent when the batch never ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) last_run: Option<String>,
    pub(crate) name: String,
    pub(crate) schedule_type: ScheduleKind,
    pub(crate) priority: PriorityWord,
    pub(crate) destination_ids: Vec<String>,
    pub(crate) enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) status: Option<Status>,
    pub(crate) searches_total_count: i64,
    pub(crate) searches_page_count: i64,
    /// One credit per search and run.
    pub(crate) credits_required: i64,
    pub(crate) next_result_set_id: i64,
    pub(crate) results_count: i32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) schedule_hours: Vec<i32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) schedule_days_of_week: Vec<i32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) schedule_days_of_month: Vec<i32>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub(crate) schedule_minutes: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub(crate) notification_email: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub(crate) notification_webhook: String,
    pub(crate) notification_as_json: bool,
    pub(crate) notification_as_jsonlines: bool,
    pub(crate) notification_as_csv: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub(crate) notification_csv_fields: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub(crate) searches_type: String,
}

impl From<Batch> for BatchJson {
    fn from(batch: Batch) -> Self {
        let state = batch.state();
        let priority = batch.priority();
        let schedule = batch.schedule.unwrap_or_default();
        let notification = batch.notification.unwrap_or_default();
        let items = batch.item_count.max(0);
        Self {
            id: batch.id.to_string(),
            created_at: batch.create_time.as_ref().and_then(timestamp),
            last_run: batch.last_start_time.as_ref().and_then(timestamp),
            name: batch.name,
            schedule_type: ScheduleKind::from_proto(schedule.r#type()),
            priority: PriorityWord::from_proto(priority),
            destination_ids: batch.destination_ids,
            enabled: batch.enabled,
            status: Status::from_proto(state),
            searches_total_count: items,
            searches_page_count: page_count(items, SEARCHES_PER_PAGE),
            credits_required: items,
            next_result_set_id: i64::from(batch.results_count) + 1,
            results_count: batch.results_count,
            schedule_hours: schedule.hours,
            schedule_days_of_week: schedule.days_of_week,
            schedule_days_of_month: schedule.days_of_month,
            schedule_minutes: schedule.minutes,
            notification_email: notification.email,
            notification_webhook: notification.webhook_url,
            notification_as_json: notification.as_json,
            notification_as_jsonlines: notification.as_jsonlines,
            notification_as_csv: notification.as_csv,
            notification_csv_fields: notification.csv_fields,
            searches_type: batch.items_type,
        }
    }
}

/// `{"request_info":{...},"batch":{...}}`: create, get, update, start, stop.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct BatchResponse {
    pub(crate) request_info: RequestInfo,
    pub(crate) batch: BatchJson,
}

impl BatchResponse {
    /// A batch with a bare `success: true`.
    pub(crate) fn new(batch: Batch) -> Self {
        Self {
            request_info: RequestInfo::SUCCESS,
            batch: batch.into(),
        }
    }

    /// A batch with a confirmation text (`Batch started`).
    pub(crate) fn with_message(batch: Batch, message: &str) -> Self {
        Self {
            request_info: Message::ok(message).request_info,
            batch: batch.into(),
        }
    }
}

/// One page of `GET /batches`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct BatchList {
    pub(crate) request_info: RequestInfo,
    /// Batches matching the filters, over all pages.
    pub(crate) total_count: i64,
    pub(crate) total_pages: i64,
    pub(crate) current_page: u32,
    pub(crate) count_this_page: usize,
    pub(crate) batches: Vec<BatchJson>,
}

impl BatchList {
    pub(crate) fn new(batches: Vec<Batch>, total: i64, page: u32, page_size: u32) -> Self {
        Self {
            request_info: RequestInfo::SUCCESS,
            total_count: total,
            total_pages: page_count(total, page_size),
            current_page: page,
            count_this_page: batches.len(),
            batches: batches.into_iter().map(BatchJson::from).collect(),
        }
    }
}

/// The answer of `GET /batches/stopall`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"request_info": {"success": true, "message": "23 Batches stopped"},
    "batches_stopped": 23, "batches_failed_to_stop": 0}))]
pub(crate) struct StopAllResponse {
    pub(crate) request_info: RequestInfo,
    pub(crate) batches_stopped: usize,
    pub(crate) batches_failed_to_stop: usize,
}

impl StopAllResponse {
    pub(crate) fn new(stopped: usize) -> Self {
        Self {
            request_info: Message::ok(format!("{stopped} Batches stopped")).request_info,
            batches_stopped: stopped,
            // The service stops all or nothing: a failure is an error answer instead.
            batches_failed_to_stop: 0,
        }
    }
}

/// A search: its Search API parameters, then `custom_id` and `id`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"q": "mcdonalds", "location": "United States",
    "custom_id": "MyCustomID_001", "id": "7"}))]
pub(crate) struct SearchJson {
    /// The Search API parameters as they were added (`q`, `location`, ...).
    #[serde(flatten)]
    pub(crate) parameters: Map<String, Value>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub(crate) custom_id: String,
    /// The service's id of the search, as a decimal string.
    pub(crate) id: String,
}

impl From<BatchItem> for SearchJson {
    fn from(item: BatchItem) -> Self {
        let mut parameters = item.parameters.map(values::from_struct).unwrap_or_default();
        // These two are ours; a parameter of the same name must not shadow them.
        parameters.remove("id");
        parameters.remove("custom_id");
        Self {
            parameters,
            custom_id: item.custom_id,
            id: item.id.to_string(),
        }
    }
}

/// One page of `GET /batches/{batch_id}/searches/{page}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct SearchPage {
    pub(crate) request_info: RequestInfo,
    pub(crate) batch_id: String,
    pub(crate) searches_page_current: u32,
    pub(crate) searches_page_count: i64,
    pub(crate) searches: Vec<SearchJson>,
}

impl SearchPage {
    pub(crate) fn new(batch_id: String, page: u32, total: i64, items: Vec<BatchItem>) -> Self {
        Self {
            request_info: RequestInfo::SUCCESS,
            batch_id,
            searches_page_current: page,
            searches_page_count: page_count(total, SEARCHES_PER_PAGE),
            searches: items.into_iter().map(SearchJson::from).collect(),
        }
    }
}

/// `2020-01-01T00:00:00.000Z`: UTC with milliseconds, as SerpWow writes times.
pub(crate) fn timestamp(ts: &Timestamp) -> Option<String> {
    let nanos = u32::try_from(ts.nanos).ok()?;
    let time = chrono::DateTime::from_timestamp(ts.seconds, nanos)?;
    Some(time.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
