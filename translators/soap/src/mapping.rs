//! `BatchTaskInfo` ⇄ `batch.v1.Batch`, and `BatchTaskState` ⇄ `batch.v1.BatchState`.
//!
//! SOAP numbers are narrower than the service's: ids and associate ids are `xs:int`,
//! `DetailsTable` and `ProgressPercent` are `xs:short`. A batch whose id or owner does
//! not fit `xs:int` cannot be named through this door at all, so it is not shown
//! ([`Unrepresentable`]); the two short fields are clamped into range.

use batch_proto::prost_types::Timestamp;
use batch_proto::v1::{Batch, BatchState, Parameter};
use chrono::{DateTime, Utc};

use crate::model::{BatchTaskInfo, BatchTaskInfoInput, BatchTaskState};

/// A batch that cannot be written as a `BatchTaskInfo` because a number does not fit
/// its `xs:int` element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("batch {id} cannot be shown over SOAP: its {field} does not fit xs:int")]
pub(crate) struct Unrepresentable {
    pub id: i64,
    pub field: &'static str,
}

/// The wire state of a service state. `UNSPECIFIED` (and any number this build does
/// not know) is `Unknown`.
pub(crate) fn state_to_wire(state: i32) -> BatchTaskState {
    match BatchState::try_from(state) {
        Ok(BatchState::New) => BatchTaskState::New,
        Ok(BatchState::Queued) => BatchTaskState::Aquired,
        Ok(BatchState::Running) => BatchTaskState::Started,
        Ok(BatchState::Succeeded) => BatchTaskState::Succeeded,
        Ok(BatchState::Failed) => BatchTaskState::Failed,
        Ok(BatchState::Unspecified) | Err(_) => BatchTaskState::Unknown,
    }
}

/// The service state a wire state stands for; `None` for `Unknown` and `All`, which
/// are not states a batch can be in.
pub(crate) fn state_from_wire(state: BatchTaskState) -> Option<BatchState> {
    match state {
        BatchTaskState::New => Some(BatchState::New),
        BatchTaskState::Aquired => Some(BatchState::Queued),
        BatchTaskState::Started => Some(BatchState::Running),
        BatchTaskState::Succeeded => Some(BatchState::Succeeded),
        BatchTaskState::Failed => Some(BatchState::Failed),
        BatchTaskState::Unknown | BatchTaskState::All => None,
    }
}

fn timestamp_to_utc(timestamp: Option<&Timestamp>) -> Option<DateTime<Utc>> {
    let timestamp = timestamp?;
    let nanos = u32::try_from(timestamp.nanos).ok()?;
    DateTime::from_timestamp(timestamp.seconds, nanos)
}

fn clamp_short(value: i32) -> i16 {
    // Lossless after the clamp.
    value.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}

impl TryFrom<&Batch> for BatchTaskInfo {
    type Error = Unrepresentable;

    fn try_from(batch: &Batch) -> Result<Self, Self::Error> {
        let id = i32::try_from(batch.id).map_err(|_| Unrepresentable {
            id: batch.id,
            field: "id",
        })?;
        let associate_id = i32::try_from(batch.owner_id).map_err(|_| Unrepresentable {
            id: batch.id,
            field: "owner id",
        })?;
        Ok(Self {
            id,
            name: batch.name.clone(),
            associate_id,
            details_table: clamp_short(batch.details_table),
            details_record: batch.details_record,
            is_system_task: batch.is_system_task,
            is_internal_task: batch.is_internal_task,
            parameters: batch
                .parameters
                .iter()
                .map(|p| (p.key.clone(), p.value.clone()))
                .collect(),
            last_started: timestamp_to_utc(batch.last_start_time.as_ref()),
            created: timestamp_to_utc(batch.create_time.as_ref()),
            start_count: batch.start_count,
            database_serial_number: batch.database_serial_number.clone(),
            context: batch.context.clone(),
            result: batch.result.clone(),
            state: state_to_wire(batch.state),
            description: batch.description.clone(),
            response: batch.response.clone(),
            request: batch.request.clone(),
            progress_description: batch.progress_description.clone(),
            progress_percent: clamp_short(batch.progress_percent),
        })
    }
}

/// The batch to create for `StartBatchJob` without an id. Id, state, times and counters
/// are the service's to set, so they are not copied.
pub(crate) fn batch_to_create(info: &BatchTaskInfoInput) -> Batch {
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    Batch {
        name: text(&info.name),
        description: text(&info.description),
        owner_id: i64::from(info.associate_id.unwrap_or(0)),
        details_table: i32::from(info.details_table.unwrap_or(0)),
        details_record: info.details_record.unwrap_or(0),
        is_system_task: info.is_system_task.unwrap_or(false),
        is_internal_task: info.is_internal_task.unwrap_or(false),
        parameters: info
            .parameters
            .iter()
            .flatten()
            .map(|(key, value)| Parameter {
                key: key.clone(),
                value: value.clone(),
            })
            .collect(),
        database_serial_number: text(&info.database_serial_number),
        context: text(&info.context),
        result: text(&info.result),
        request: text(&info.request),
        response: text(&info.response),
        progress_description: text(&info.progress_description),
        progress_percent: i32::from(info.progress_percent.unwrap_or(0)),
        ..Batch::default()
    }
}

/// Why an `UpdateBatchTask` cannot be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum UpdateError {
    #[error("State All is a query filter, not a state a batch task can be set to")]
    StateAll,
}

/// The `UpdateBatch` change for `UpdateBatchTask`: only State, Description, Response and
/// Request may change (as Services86 documents), and only those the client sent. `State`
/// `Unknown` counts as not sent: it is the default every generated proxy fills in.
/// Returns the batch carrying the new values and the field mask naming them.
pub(crate) fn batch_update(
    id: i64,
    info: &BatchTaskInfoInput,
) -> Result<(Batch, Vec<String>), UpdateError> {
    let mut batch = Batch {
        id,
        ..Batch::default()
    };
    let mut paths = Vec::new();
    match info.state {
        None | Some(BatchTaskState::Unknown) => {}
        Some(BatchTaskState::All) => return Err(UpdateError::StateAll),
        Some(state) => {
            if let Some(state) = state_from_wire(state) {
                batch.state = state as i32;
                paths.push("state".to_owned());
            }
        }
    }
    let strings = [
        ("description", &info.description, &mut batch.description),
        ("response", &info.response, &mut batch.response),
        ("request", &info.request, &mut batch.request),
    ];
    for (path, sent, field) in strings {
        if let Some(value) = sent {
            value.clone_into(field);
            paths.push(path.to_owned());
        }
    }
    Ok((batch, paths))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_maps_as_the_contract_says() {
        let cases = [
            (BatchState::Unspecified, BatchTaskState::Unknown),
            (BatchState::New, BatchTaskState::New),
            (BatchState::Queued, BatchTaskState::Aquired),
            (BatchState::Running, BatchTaskState::Started),
            (BatchState::Succeeded, BatchTaskState::Succeeded),
            (BatchState::Failed, BatchTaskState::Failed),
        ];
        for (service, wire) in cases {
            assert_eq!(state_to_wire(service as i32), wire);
        }
        assert_eq!(state_to_wire(77), BatchTaskState::Unknown);
        assert_eq!(state_from_wire(BatchTaskState::All), None);
        assert_eq!(
            state_from_wire(BatchTaskState::Aquired),
            Some(BatchState::Queued)
        );
    }

    #[test]
    fn wide_ids_are_unrepresentable_and_shorts_are_clamped() {
        let batch = Batch {
            id: i64::from(i32::MAX) + 1,
            ..Batch::default()
        };
        assert_eq!(BatchTaskInfo::try_from(&batch).unwrap_err().field, "id");
        let batch = Batch {
            id: 7,
            owner_id: -1 - i64::from(i32::MAX) - 1,
            ..Batch::default()
        };
        assert_eq!(
            BatchTaskInfo::try_from(&batch).unwrap_err().field,
            "owner id"
        );
        let batch = Batch {
            id: 7,
            details_table: 40_000,
            progress_percent: -40_000,
            create_time: Some(Timestamp {
                seconds: 1_638_278_567,
                nanos: 0,
            }),
            ..Batch::default()
        };
        let info = BatchTaskInfo::try_from(&batch).unwrap();
        assert_eq!(info.details_table, i16::MAX);
        assert_eq!(info.progress_percent, i16::MIN);
        assert_eq!(
            info.created.unwrap().to_rfc3339(),
            "2021-11-30T13:22:47+00:00"
        );
        assert_eq!(info.last_started, None);
    }

    #[test]
    fn update_sends_only_the_four_updatable_fields_that_were_sent() {
        let info = BatchTaskInfoInput {
            name: Some("ignored".into()),
            state: Some(BatchTaskState::Failed),
            description: Some("new text".into()),
            request: Some(String::new()),
            ..BatchTaskInfoInput::default()
        };
        let (batch, paths) = batch_update(5, &info).unwrap();
        assert_eq!(paths, ["state", "description", "request"]);
        assert_eq!(batch.id, 5);
        assert_eq!(batch.name, "");
        assert_eq!(batch.state, BatchState::Failed as i32);
        let unknown = BatchTaskInfoInput {
            state: Some(BatchTaskState::Unknown),
            ..BatchTaskInfoInput::default()
        };
        assert!(batch_update(5, &unknown).unwrap().1.is_empty());
        let all = BatchTaskInfoInput {
            state: Some(BatchTaskState::All),
            ..BatchTaskInfoInput::default()
        };
        assert_eq!(batch_update(5, &all), Err(UpdateError::StateAll));
    }
}
