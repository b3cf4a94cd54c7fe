//! Stored records to the proto messages every door reads. (The way in is `parse`.)

use batch_proto::prost_types::{self, Timestamp, value::Kind};
use batch_proto::v1 as pb;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::domain::{BatchState, Notification, Priority, Schedule, ScheduleKind};
use crate::storage::results::{ResultRecord, ResultSetRecord, WebhookStatus};
use crate::storage::{BatchRecord, ItemRecord};

pub(super) fn timestamp(t: DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    }
}

pub(super) fn state(state: BatchState) -> pb::BatchState {
    match state {
        BatchState::New => pb::BatchState::New,
        BatchState::Queued => pb::BatchState::Queued,
        BatchState::Running => pb::BatchState::Running,
        BatchState::Succeeded => pb::BatchState::Succeeded,
        BatchState::Failed => pb::BatchState::Failed,
    }
}

fn priority(priority: Priority) -> pb::Priority {
    match priority {
        Priority::Lowest => pb::Priority::Lowest,
        Priority::Low => pb::Priority::Low,
        Priority::Normal => pb::Priority::Normal,
        Priority::High => pb::Priority::High,
        Priority::Highest => pb::Priority::Highest,
    }
}

fn schedule(s: Schedule) -> pb::Schedule {
    let r#type = match s.kind {
        ScheduleKind::Manual => pb::ScheduleType::Manual,
        ScheduleKind::Minutes => pb::ScheduleType::Minutes,
        ScheduleKind::Hourly => pb::ScheduleType::Hourly,
        ScheduleKind::Daily => pb::ScheduleType::Daily,
        ScheduleKind::Weekly => pb::ScheduleType::Weekly,
        ScheduleKind::Monthly => pb::ScheduleType::Monthly,
    };
    pb::Schedule {
        r#type: r#type.into(),
        hours: s.hours,
        days_of_week: s.days_of_week,
        days_of_month: s.days_of_month,
        minutes: s.minutes.into_string(),
    }
}

fn notification(n: Notification) -> pb::Notification {
    pb::Notification {
        email: n.email.into_string(),
        webhook_url: n.webhook_url.into_string(),
        as_json: n.as_json,
        as_jsonlines: n.as_jsonlines,
        as_csv: n.as_csv,
        csv_fields: n.csv_fields.into_string(),
    }
}

pub(super) fn batch(record: BatchRecord) -> pb::Batch {
    pb::Batch {
        id: record.id,
        state: state(record.state).into(),
        priority: priority(record.priority).into(),
        parameters: record
            .parameters
            .into_iter()
            .map(|p| pb::Parameter {
                key: p.key.into_string(),
                value: p.value.into_string(),
            })
            .collect(),
        schedule: Some(schedule(record.schedule)),
        notification: Some(notification(record.notification)),
        create_time: Some(timestamp(record.created_at)),
        update_time: Some(timestamp(record.updated_at)),
        last_start_time: record.last_started_at.map(timestamp),
        name: record.name,
        description: record.description,
        owner_id: record.owner_id,
        start_count: record.start_count,
        details_table: record.details_table,
        details_record: record.details_record,
        is_system_task: record.is_system_task,
        is_internal_task: record.is_internal_task,
        database_serial_number: record.database_serial_number,
        context: record.context,
        result: record.result,
        request: record.request,
        response: record.response,
        progress_description: record.progress_description,
        progress_percent: record.progress_percent,
        enabled: record.enabled,
        destination_ids: record.destination_ids,
        items_type: record.items_type,
        item_count: record.item_count,
        results_count: record.results_count,
    }
}

pub(super) fn item(record: ItemRecord) -> pb::BatchItem {
    pb::BatchItem {
        id: record.id,
        batch_id: record.batch_id,
        custom_id: record.custom_id,
        parameters: Some(json_struct(record.parameters)),
        create_time: Some(timestamp(record.created_at)),
    }
}

pub(super) fn json_struct(map: Map<String, Value>) -> prost_types::Struct {
    prost_types::Struct {
        fields: map.into_iter().map(|(k, v)| (k, json_value(v))).collect(),
    }
}

fn json_value(value: Value) -> prost_types::Value {
    let kind = match value {
        Value::Null => Kind::NullValue(0),
        Value::Bool(b) => Kind::BoolValue(b),
        Value::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or_default()),
        Value::String(s) => Kind::StringValue(s),
        Value::Array(a) => Kind::ListValue(prost_types::ListValue {
            values: a.into_iter().map(json_value).collect(),
        }),
        Value::Object(o) => Kind::StructValue(json_struct(o)),
    };
    prost_types::Value { kind: Some(kind) }
}

pub(super) fn result_set(set: ResultSetRecord) -> pb::ResultSet {
    let webhook_status = match set.webhook_status {
        WebhookStatus::None => pb::WebhookStatus::None,
        WebhookStatus::Pending => pb::WebhookStatus::Pending,
        WebhookStatus::Ok => pb::WebhookStatus::Ok,
        WebhookStatus::Failed => pb::WebhookStatus::Failed,
    };
    let page_count = i32::try_from(set.page_count()).unwrap_or(i32::MAX);
    let webhook_log = set
        .webhook_log
        .into_iter()
        .map(|entry| pb::WebhookLogEntry {
            time: DateTime::parse_from_rfc3339(&entry.date_time)
                .ok()
                .map(|t| timestamp(t.to_utc())),
            text: entry.text,
        })
        .collect();
    pb::ResultSet {
        batch_id: set.batch_id,
        id: set.number.unwrap_or_default(),
        outcome: set
            .outcome
            .map_or(pb::BatchState::Unspecified, state)
            .into(),
        start_time: Some(timestamp(set.started_at)),
        end_time: set.ended_at.map(timestamp),
        expire_time: set.expires_at.map(timestamp),
        searches_total: set.searches_total,
        searches_completed: set.searches_completed,
        searches_failed: set.searches_failed,
        page_count,
        webhook_status: webhook_status.into(),
        webhook_log,
    }
}

pub(super) fn search_result(r: ResultRecord) -> pb::SearchResult {
    pb::SearchResult {
        item_id: r.item_id,
        custom_id: r.custom_id,
        succeeded: r.succeeded,
        document_json: r.document.to_string(),
    }
}
