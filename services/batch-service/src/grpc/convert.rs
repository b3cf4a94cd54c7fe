//! Proto messages to validated domain values (naming every bad field), and stored
//! records back to proto messages.

use std::collections::BTreeSet;

use batch_proto::prost_types::Timestamp;
use batch_proto::v1 as pb;
use chrono::{DateTime, Utc};

use super::error::{ApiError, FieldViolation};
use crate::domain::{
    BatchField, BatchId, BatchPatch, BatchState, ItemId, NewBatch, Notification, Parameter,
    Priority, Schedule, TextLimits,
};
use crate::storage::BatchRecord;

/// Collects every problem of one request, so the caller learns them all at once.
#[derive(Debug, Default)]
pub(crate) struct Violations(Vec<FieldViolation>);

impl Violations {
    pub(crate) fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation {
            field: field.into(),
            description: description.into(),
        });
    }

    /// Takes `value` if it is at most `max` bytes long and PostgreSQL can store it
    /// (text columns cannot hold NUL).
    pub(crate) fn text(&mut self, field: &str, value: String, max: usize) -> String {
        if value.len() > max {
            self.add(field, format!("must be at most {max} bytes"));
        }
        self.storable(field, &value);
        value
    }

    /// Refuses text the database cannot store: NUL, in a column or inside JSON.
    pub(crate) fn storable(&mut self, field: &str, value: &str) {
        if value.contains('\0') {
            self.add(field, "must not contain NUL characters");
        }
    }

    pub(crate) fn int_in(
        &mut self,
        field: &str,
        value: i32,
        range: std::ops::RangeInclusive<i32>,
    ) -> i32 {
        if !range.contains(&value) {
            self.add(
                field,
                format!("must be between {} and {}", range.start(), range.end()),
            );
        }
        value
    }

    pub(crate) fn finish<T>(self, value: T) -> Result<T, ApiError> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(ApiError::InvalidArgument(self.0))
        }
    }
}

/// The ids of a `DeleteBatches` call: at least one, at most `max` distinct, each a
/// valid id.
pub(crate) fn delete_ids(raw: &[i64], max: usize) -> Result<Vec<BatchId>, ApiError> {
    if raw.is_empty() {
        return Err(ApiError::invalid("ids", "must name at least one batch"));
    }
    let distinct: BTreeSet<i64> = raw.iter().copied().collect();
    if distinct.len() > max {
        return Err(ApiError::invalid(
            "ids",
            format!("at most {max} ids per call"),
        ));
    }
    let mut v = Violations::default();
    for (i, raw) in raw.iter().enumerate() {
        if let Err(e) = BatchId::new(*raw) {
            v.add(format!("ids[{i}]"), e.to_string());
        }
    }
    v.finish(())?;
    Ok(distinct
        .into_iter()
        .filter_map(|raw| BatchId::new(raw).ok())
        .collect())
}

pub(crate) fn batch_id(field: &str, raw: i64) -> Result<BatchId, ApiError> {
    BatchId::new(raw).map_err(|e| ApiError::invalid(field, e.to_string()))
}

pub(crate) fn item_id(field: &str, raw: i64) -> Result<ItemId, ApiError> {
    ItemId::new(raw).map_err(|e| ApiError::invalid(field, e.to_string()))
}

pub(crate) fn state_from_proto(field: &str, raw: i32) -> Result<BatchState, ApiError> {
    match pb::BatchState::try_from(raw) {
        Ok(pb::BatchState::New) => Ok(BatchState::New),
        Ok(pb::BatchState::Queued) => Ok(BatchState::Queued),
        Ok(pb::BatchState::Running) => Ok(BatchState::Running),
        Ok(pb::BatchState::Succeeded) => Ok(BatchState::Succeeded),
        Ok(pb::BatchState::Failed) => Ok(BatchState::Failed),
        Ok(pb::BatchState::Unspecified) | Err(_) => {
            Err(ApiError::invalid(field, "must be a specified batch state"))
        }
    }
}

pub(crate) fn state_to_proto(state: BatchState) -> pb::BatchState {
    match state {
        BatchState::New => pb::BatchState::New,
        BatchState::Queued => pb::BatchState::Queued,
        BatchState::Running => pb::BatchState::Running,
        BatchState::Succeeded => pb::BatchState::Succeeded,
        BatchState::Failed => pb::BatchState::Failed,
    }
}

fn priority_from_proto(v: &mut Violations, field: &str, raw: i32) -> Priority {
    match pb::Priority::try_from(raw) {
        Ok(pb::Priority::Unspecified | pb::Priority::Normal) => Priority::Normal,
        Ok(pb::Priority::Lowest) => Priority::Lowest,
        Ok(pb::Priority::Low) => Priority::Low,
        Ok(pb::Priority::High) => Priority::High,
        Ok(pb::Priority::Highest) => Priority::Highest,
        Err(_) => {
            v.add(field, "unknown priority");
            Priority::Normal
        }
    }
}

fn priority_to_proto(priority: Priority) -> pb::Priority {
    match priority {
        Priority::Lowest => pb::Priority::Lowest,
        Priority::Low => pb::Priority::Low,
        Priority::Normal => pb::Priority::Normal,
        Priority::High => pb::Priority::High,
        Priority::Highest => pb::Priority::Highest,
    }
}

/// Schedule types as stored, in proto order.
const SCHEDULE_KINDS: [(pb::ScheduleType, &str); 6] = [
    (pb::ScheduleType::Manual, "manual"),
    (pb::ScheduleType::Minutes, "minutes"),
    (pb::ScheduleType::Hourly, "hourly"),
    (pb::ScheduleType::Daily, "daily"),
    (pb::ScheduleType::Weekly, "weekly"),
    (pb::ScheduleType::Monthly, "monthly"),
];

fn schedule_from_proto(v: &mut Violations, field: &str, s: pb::Schedule) -> Schedule {
    let kind = match pb::ScheduleType::try_from(s.r#type) {
        Ok(pb::ScheduleType::Unspecified) => "manual",
        Ok(t) => SCHEDULE_KINDS
            .iter()
            .find(|(k, _)| *k == t)
            .map_or("manual", |(_, name)| name),
        Err(_) => {
            v.add(format!("{field}.type"), "unknown schedule type");
            "manual"
        }
    };
    let mut numbers = |name: &str, values: Vec<i32>, range: std::ops::RangeInclusive<i32>| {
        if values.len() > 64 {
            v.add(format!("{field}.{name}"), "too many values");
        }
        for (i, value) in values.iter().enumerate() {
            v.int_in(&format!("{field}.{name}[{i}]"), *value, range.clone());
        }
        values
    };
    Schedule {
        kind: kind.to_owned(),
        hours: numbers("hours", s.hours, 0..=23),
        days_of_week: numbers("days_of_week", s.days_of_week, 0..=6),
        days_of_month: numbers("days_of_month", s.days_of_month, 1..=31),
        minutes: v.text(
            &format!("{field}.minutes"),
            s.minutes,
            TextLimits::SHORT_TEXT,
        ),
    }
}

fn schedule_to_proto(s: Schedule) -> pb::Schedule {
    let r#type = SCHEDULE_KINDS
        .iter()
        .find(|(_, name)| *name == s.kind)
        .map_or(pb::ScheduleType::Manual, |(k, _)| *k);
    pb::Schedule {
        r#type: r#type.into(),
        hours: s.hours,
        days_of_week: s.days_of_week,
        days_of_month: s.days_of_month,
        minutes: s.minutes,
    }
}

fn notification_from_proto(v: &mut Violations, field: &str, n: pb::Notification) -> Notification {
    Notification {
        email: v.text(&format!("{field}.email"), n.email, TextLimits::SHORT_TEXT),
        webhook_url: v.text(
            &format!("{field}.webhook_url"),
            n.webhook_url,
            TextLimits::SHORT_TEXT,
        ),
        as_json: n.as_json,
        as_jsonlines: n.as_jsonlines,
        as_csv: n.as_csv,
        csv_fields: v.text(
            &format!("{field}.csv_fields"),
            n.csv_fields,
            TextLimits::LONG_TEXT,
        ),
    }
}

fn notification_to_proto(n: Notification) -> pb::Notification {
    pb::Notification {
        email: n.email,
        webhook_url: n.webhook_url,
        as_json: n.as_json,
        as_jsonlines: n.as_jsonlines,
        as_csv: n.as_csv,
        csv_fields: n.csv_fields,
    }
}

/// Validates the writable fields of `batch`; `field` prefixes every reported path.
fn new_batch(v: &mut Violations, field: &str, b: pb::Batch) -> NewBatch {
    let f = |name: &str| format!("{field}.{name}");
    if b.owner_id < 0 {
        v.add(f("owner_id"), "must not be negative");
    }
    if b.parameters.len() > TextLimits::PARAMETERS {
        v.add(
            f("parameters"),
            format!("at most {} pairs", TextLimits::PARAMETERS),
        );
    }
    if b.destination_ids.len() > TextLimits::DESTINATIONS {
        v.add(
            f("destination_ids"),
            format!("at most {} ids", TextLimits::DESTINATIONS),
        );
    }
    for (i, d) in b.destination_ids.iter().enumerate() {
        let path = format!("{field}.destination_ids[{i}]");
        if d.is_empty() || d.len() > TextLimits::SHORT_TEXT {
            v.add(&path, "must be 1 to 1024 bytes");
        }
        v.storable(&path, d);
    }
    let parameters = b
        .parameters
        .into_iter()
        .enumerate()
        .map(|(i, p)| Parameter {
            key: v.text(
                &format!("{field}.parameters[{i}].key"),
                p.key,
                TextLimits::SHORT_TEXT,
            ),
            value: v.text(
                &format!("{field}.parameters[{i}].value"),
                p.value,
                TextLimits::LONG_TEXT,
            ),
        })
        .collect();
    NewBatch {
        name: v.text(&f("name"), b.name, TextLimits::NAME),
        description: v.text(&f("description"), b.description, TextLimits::LONG_TEXT),
        owner_id: b.owner_id,
        details_table: b.details_table,
        details_record: b.details_record,
        is_system_task: b.is_system_task,
        is_internal_task: b.is_internal_task,
        parameters,
        database_serial_number: v.text(
            &f("database_serial_number"),
            b.database_serial_number,
            TextLimits::SHORT_TEXT,
        ),
        context: v.text(&f("context"), b.context, TextLimits::LONG_TEXT),
        result: v.text(&f("result"), b.result, TextLimits::LONG_TEXT),
        request: v.text(&f("request"), b.request, TextLimits::LONG_TEXT),
        response: v.text(&f("response"), b.response, TextLimits::LONG_TEXT),
        progress_description: v.text(
            &f("progress_description"),
            b.progress_description,
            TextLimits::LONG_TEXT,
        ),
        progress_percent: v.int_in(&f("progress_percent"), b.progress_percent, 0..=100),
        enabled: b.enabled,
        priority: priority_from_proto(v, &f("priority"), b.priority),
        destination_ids: b.destination_ids,
        schedule: schedule_from_proto(v, &f("schedule"), b.schedule.unwrap_or_default()),
        notification: notification_from_proto(
            v,
            &f("notification"),
            b.notification.unwrap_or_default(),
        ),
        items_type: v.text(&f("items_type"), b.items_type, TextLimits::SHORT_TEXT),
    }
}

/// A `CreateBatchRequest` as the fields to insert and whether to queue a run.
pub(crate) fn create_request(req: pb::CreateBatchRequest) -> Result<(NewBatch, bool), ApiError> {
    let Some(batch) = req.batch else {
        return Err(ApiError::invalid("batch", "is required"));
    };
    let mut v = Violations::default();
    let batch = new_batch(&mut v, "batch", batch);
    v.finish((batch, req.start))
}

/// An `UpdateBatchRequest` as a patch; every mask path must name a writable field.
pub(crate) fn update_request(req: pb::UpdateBatchRequest) -> Result<BatchPatch, ApiError> {
    let Some(batch) = req.batch else {
        return Err(ApiError::invalid("batch", "is required"));
    };
    let id = batch_id("batch.id", batch.id)?;
    let paths = req.update_mask.map(|m| m.paths).unwrap_or_default();
    if paths.is_empty() {
        return Err(ApiError::invalid(
            "update_mask",
            "must name at least one field",
        ));
    }
    let mut v = Violations::default();
    let mut fields = BTreeSet::new();
    let mut schedule_parts = BTreeSet::new();
    let mut notification_parts = BTreeSet::new();
    for path in &paths {
        let Some(field) = BatchField::from_mask_path(path) else {
            v.add("update_mask", format!("`{path}` is not an updatable field"));
            continue;
        };
        let part = path.split_once('.').map(|(_, part)| part);
        match (field, part) {
            (BatchField::Schedule, Some(p)) if Schedule::PARTS.contains(&p) => {
                schedule_parts.insert(p.to_owned());
            }
            (BatchField::Notification, Some(p)) if Notification::PARTS.contains(&p) => {
                notification_parts.insert(p.to_owned());
            }
            (_, Some(_)) => v.add("update_mask", format!("`{path}` is not an updatable field")),
            (_, None) => {}
        }
        fields.insert(field);
    }
    let state = if fields.contains(&BatchField::State) {
        match state_from_proto("batch.state", batch.state) {
            Ok(state) => Some(state),
            Err(ApiError::InvalidArgument(mut bad)) => {
                v.0.append(&mut bad);
                None
            }
            Err(_) => None,
        }
    } else {
        None
    };
    let values = new_batch(&mut v, "batch", batch);
    // A sub-path next to its whole field means the whole field.
    if paths.iter().any(|p| p == "schedule") {
        schedule_parts.clear();
    }
    if paths.iter().any(|p| p == "notification") {
        notification_parts.clear();
    }
    v.finish(BatchPatch {
        id,
        values,
        fields,
        state,
        schedule_parts,
        notification_parts,
    })
}

pub(crate) fn timestamp(t: DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    }
}

/// A proto timestamp as a UTC time, naming the field when it is out of range.
pub(crate) fn time_from_proto(
    v: &mut Violations,
    field: &str,
    t: Option<Timestamp>,
) -> Option<DateTime<Utc>> {
    let t = t?;
    let parsed = u32::try_from(t.nanos)
        .ok()
        .and_then(|nanos| DateTime::from_timestamp(t.seconds, nanos));
    if parsed.is_none() {
        v.add(field, "is not a valid timestamp");
    }
    parsed
}

/// A stored batch as the proto message every door reads.
pub(crate) fn batch_to_proto(record: BatchRecord) -> pb::Batch {
    pb::Batch {
        id: record.id,
        state: state_to_proto(record.state()).into(),
        priority: priority_to_proto(record.priority()).into(),
        parameters: record
            .parameters()
            .into_iter()
            .map(|p| pb::Parameter {
                key: p.key,
                value: p.value,
            })
            .collect(),
        schedule: Some(schedule_to_proto(record.schedule())),
        notification: Some(notification_to_proto(record.notification())),
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
