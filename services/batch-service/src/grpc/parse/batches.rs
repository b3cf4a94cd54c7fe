//! The batch RPCs: create, update (with its field mask), delete and list.

use std::collections::BTreeSet;

use batch_proto::v1 as pb;

use super::paging::{self, Page};
use super::{Violations, batch_id, state, time};
use crate::domain::{
    BatchField, BatchId, BatchPatch, DestinationId, ListQuery, NameFilter, NameMatch, NewBatch,
    Notification, NotificationPart, Parameter, Priority, Schedule, ScheduleKind, SchedulePart,
    ShortText, SortKey, TextLimits,
};
use crate::grpc::error::ApiError;

const DEFAULT_BATCH_PAGE: i32 = 25;

/// A `CreateBatch`: the fields to insert, and whether to queue a run at once.
#[derive(Debug)]
pub(crate) struct CreateBatch {
    pub(crate) batch: NewBatch,
    pub(crate) start: bool,
}

pub(crate) fn create_batch(req: pb::CreateBatchRequest) -> Result<CreateBatch, ApiError> {
    let Some(batch) = req.batch else {
        return Err(ApiError::invalid("batch", "is required"));
    };
    let mut v = Violations::default();
    let batch = new_batch(&mut v, "batch", batch);
    v.finish(CreateBatch {
        batch,
        start: req.start,
    })
}

/// An `UpdateBatch` as a patch; every mask path must name a writable field.
pub(crate) fn update_batch(req: pb::UpdateBatchRequest) -> Result<BatchPatch, ApiError> {
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
        let not_updatable = || format!("`{path}` is not an updatable field");
        let Some(field) = BatchField::from_mask_path(path) else {
            v.add("update_mask", not_updatable());
            continue;
        };
        let part = path.split_once('.').map(|(_, part)| part);
        match (field, part) {
            (_, None) => {}
            (BatchField::Schedule, Some(p)) => match SchedulePart::from_mask_name(p) {
                Some(part) => _ = schedule_parts.insert(part),
                None => v.add("update_mask", not_updatable()),
            },
            (BatchField::Notification, Some(p)) => match NotificationPart::from_mask_name(p) {
                Some(part) => _ = notification_parts.insert(part),
                None => v.add("update_mask", not_updatable()),
            },
            (_, Some(_)) => v.add("update_mask", not_updatable()),
        }
        fields.insert(field);
    }
    let state = if fields.contains(&BatchField::State) {
        v.take(state("batch.state", batch.state))
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

/// A `DeleteBatches`: at least one id, at most `max_ids` distinct, each valid.
#[derive(Debug)]
pub(crate) struct DeleteBatches {
    /// Distinct, ascending.
    pub(crate) ids: Vec<BatchId>,
    pub(crate) allow_missing: bool,
    pub(crate) force: bool,
}

pub(crate) fn delete_batches(
    req: pb::DeleteBatchesRequest,
    max_ids: usize,
) -> Result<DeleteBatches, ApiError> {
    if req.ids.is_empty() {
        return Err(ApiError::invalid("ids", "must name at least one batch"));
    }
    let distinct: BTreeSet<i64> = req.ids.iter().copied().collect();
    if distinct.len() > max_ids {
        return Err(ApiError::invalid(
            "ids",
            format!("at most {max_ids} ids per call"),
        ));
    }
    let mut v = Violations::default();
    for (i, raw) in req.ids.iter().enumerate() {
        if let Err(e) = BatchId::new(*raw) {
            v.add(format!("ids[{i}]"), e.to_string());
        }
    }
    v.finish(DeleteBatches {
        ids: distinct
            .into_iter()
            .filter_map(|raw| BatchId::new(raw).ok())
            .collect(),
        allow_missing: req.allow_missing,
        force: req.force,
    })
}

/// A `ListBatches`: the query, and the fingerprint of its filters for page tokens.
#[derive(Debug)]
pub(crate) struct ListBatches {
    pub(crate) query: ListQuery,
    pub(crate) fingerprint: String,
}

impl ListBatches {
    pub(crate) fn page(&self) -> Page {
        Page {
            offset: self.query.offset,
            limit: self.query.limit,
        }
    }
}

pub(crate) fn list_batches(req: pb::ListBatchesRequest) -> Result<ListBatches, ApiError> {
    let mut v = Violations::default();
    let (page, fingerprint) = paging::page(&mut v, &req, DEFAULT_BATCH_PAGE);
    let states = req
        .states
        .iter()
        .enumerate()
        .filter_map(|(i, raw)| v.take(state(&format!("states[{i}]"), *raw)))
        .collect();
    let how = match pb::NameMatch::try_from(req.name_match) {
        Ok(pb::NameMatch::Unspecified | pb::NameMatch::Exact) => NameMatch::Exact,
        Ok(pb::NameMatch::Contains) => NameMatch::Contains,
        Ok(pb::NameMatch::Prefix) => NameMatch::Prefix,
        Ok(pb::NameMatch::Suffix) => NameMatch::Suffix,
        Err(_) => {
            v.add("name_match", "unknown name match");
            NameMatch::Exact
        }
    };
    let name_text = v.bounded("name", req.name);
    let sort = match pb::BatchOrder::try_from(req.order_by) {
        Ok(pb::BatchOrder::Unspecified | pb::BatchOrder::Id) => SortKey::Id,
        Ok(pb::BatchOrder::Name) => SortKey::Name,
        Ok(pb::BatchOrder::CreateTime) => SortKey::CreateTime,
        Ok(pb::BatchOrder::LastStartTime) => SortKey::LastStartTime,
        Ok(pb::BatchOrder::Priority) => SortKey::Priority,
        Ok(pb::BatchOrder::State) => SortKey::State,
        Err(_) => {
            v.add("order_by", "unknown order");
            SortKey::Id
        }
    };
    if req.owner_ids.len() > paging::MAX_PAGE as usize {
        v.add("owner_ids", format!("at most {} ids", paging::MAX_PAGE));
    }
    let destination_id: ShortText = v.bounded("destination_id", req.destination_id);
    let query = ListQuery {
        limit: page.limit,
        offset: page.offset,
        states,
        name: (!name_text.is_empty()).then_some(NameFilter {
            text: name_text,
            how,
        }),
        owner_ids: req.owner_ids,
        created_after: time(&mut v, "created_after", req.created_after),
        created_before: time(&mut v, "created_before", req.created_before),
        last_started_after: time(&mut v, "last_started_after", req.last_started_after),
        last_started_before: time(&mut v, "last_started_before", req.last_started_before),
        has_results: req.has_results,
        destination_id: (!destination_id.is_empty()).then_some(destination_id),
        sort,
        descending: req.descending,
    };
    v.finish(ListBatches { query, fingerprint })
}

fn priority(v: &mut Violations, field: &str, raw: i32) -> Priority {
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

fn schedule(v: &mut Violations, field: &str, s: pb::Schedule) -> Schedule {
    let kind = match pb::ScheduleType::try_from(s.r#type) {
        Ok(pb::ScheduleType::Unspecified | pb::ScheduleType::Manual) => ScheduleKind::Manual,
        Ok(pb::ScheduleType::Minutes) => ScheduleKind::Minutes,
        Ok(pb::ScheduleType::Hourly) => ScheduleKind::Hourly,
        Ok(pb::ScheduleType::Daily) => ScheduleKind::Daily,
        Ok(pb::ScheduleType::Weekly) => ScheduleKind::Weekly,
        Ok(pb::ScheduleType::Monthly) => ScheduleKind::Monthly,
        Err(_) => {
            v.add(format!("{field}.type"), "unknown schedule type");
            ScheduleKind::Manual
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
        kind,
        hours: numbers("hours", s.hours, 0..=23),
        days_of_week: numbers("days_of_week", s.days_of_week, 0..=6),
        days_of_month: numbers("days_of_month", s.days_of_month, 1..=31),
        minutes: v.bounded(&format!("{field}.minutes"), s.minutes),
    }
}

fn notification(v: &mut Violations, field: &str, n: pb::Notification) -> Notification {
    Notification {
        email: v.bounded(&format!("{field}.email"), n.email),
        webhook_url: v.bounded(&format!("{field}.webhook_url"), n.webhook_url),
        as_json: n.as_json,
        as_jsonlines: n.as_jsonlines,
        as_csv: n.as_csv,
        csv_fields: v.bounded(&format!("{field}.csv_fields"), n.csv_fields),
    }
}

/// The writable fields of `batch`; `field` prefixes every reported path.
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
    let destination_ids = b
        .destination_ids
        .into_iter()
        .enumerate()
        .filter_map(|(i, d)| {
            v.text(
                &format!("{field}.destination_ids[{i}]"),
                DestinationId::new(d),
            )
        })
        .collect();
    let parameters = b
        .parameters
        .into_iter()
        .enumerate()
        .map(|(i, p)| Parameter {
            key: v.bounded(&format!("{field}.parameters[{i}].key"), p.key),
            value: v.bounded(&format!("{field}.parameters[{i}].value"), p.value),
        })
        .collect();
    NewBatch {
        name: v.bounded(&f("name"), b.name),
        description: v.bounded(&f("description"), b.description),
        owner_id: b.owner_id,
        details_table: b.details_table,
        details_record: b.details_record,
        is_system_task: b.is_system_task,
        is_internal_task: b.is_internal_task,
        parameters,
        database_serial_number: v.bounded(&f("database_serial_number"), b.database_serial_number),
        context: v.bounded(&f("context"), b.context),
        result: v.bounded(&f("result"), b.result),
        request: v.bounded(&f("request"), b.request),
        response: v.bounded(&f("response"), b.response),
        progress_description: v.bounded(&f("progress_description"), b.progress_description),
        progress_percent: v.int_in(&f("progress_percent"), b.progress_percent, 0..=100),
        enabled: b.enabled,
        priority: priority(v, &f("priority"), b.priority),
        destination_ids,
        schedule: schedule(v, &f("schedule"), b.schedule.unwrap_or_default()),
        notification: notification(v, &f("notification"), b.notification.unwrap_or_default()),
        items_type: v.bounded(&f("items_type"), b.items_type),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The field and message of every problem of a `CreateBatch` of `batch`, in order.
    fn problems(batch: pb::Batch) -> Vec<(String, String)> {
        let request = pb::CreateBatchRequest {
            batch: Some(batch),
            start: false,
        };
        match create_batch(request) {
            Err(ApiError::InvalidArgument(violations)) => violations
                .into_iter()
                .map(|v| (v.field, v.description))
                .collect(),
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn every_text_problem_is_named_with_its_field() {
        let batch = pb::Batch {
            name: "x".repeat(TextLimits::NAME + 1),
            destination_ids: vec![
                String::new(),
                "d".repeat(TextLimits::SHORT_TEXT + 1),
                "a\0".into(),
                "fine".into(),
            ],
            parameters: vec![pb::Parameter {
                key: "k\0".into(),
                value: "fine".into(),
            }],
            notification: Some(pb::Notification {
                webhook_url: "u".repeat(TextLimits::SHORT_TEXT + 1),
                ..pb::Notification::default()
            }),
            ..pb::Batch::default()
        };
        let expected = [
            ("batch.destination_ids[0]", "must be 1 to 1024 bytes"),
            ("batch.destination_ids[1]", "must be 1 to 1024 bytes"),
            (
                "batch.destination_ids[2]",
                "must not contain NUL characters",
            ),
            ("batch.parameters[0].key", "must not contain NUL characters"),
            ("batch.name", "must be at most 1024 bytes"),
            (
                "batch.notification.webhook_url",
                "must be at most 1024 bytes",
            ),
        ];
        let expected: Vec<(String, String)> = expected
            .into_iter()
            .map(|(field, message)| (field.to_owned(), message.to_owned()))
            .collect();
        assert_eq!(problems(batch), expected);
    }

    #[test]
    fn valid_text_arrives_in_its_bounded_type() {
        let batch = pb::Batch {
            name: "Nightly".into(),
            destination_ids: vec!["d1".into()],
            ..pb::Batch::default()
        };
        let created = create_batch(pb::CreateBatchRequest {
            batch: Some(batch),
            start: false,
        })
        .unwrap();
        assert_eq!(created.batch.name.as_str(), "Nightly");
        let destinations: Vec<&str> = created
            .batch
            .destination_ids
            .iter()
            .map(DestinationId::as_str)
            .collect();
        assert_eq!(destinations, ["d1"]);
    }
}
