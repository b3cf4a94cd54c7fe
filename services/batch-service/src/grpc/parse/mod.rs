//! Proto requests to domain values: one function per RPC, named after it, that either
//! returns everything the handler needs, valid, or an INVALID_ARGUMENT that names every
//! bad field at once. Nothing behind this module checks a request again. (The way back,
//! stored records to proto messages, is `super::to_proto`.)

mod batches;
mod items;
mod paging;
mod results;
mod runs;

use batch_proto::prost_types::Timestamp;
use batch_proto::v1 as pb;
use chrono::{DateTime, Utc};

use super::error::{ApiError, FieldViolation};
use crate::domain::{BatchId, BatchState, BoundedText, ItemId, TextError};

pub(super) use batches::{create_batch, delete_batches, list_batches, update_batch};
pub(super) use items::{add_batch_items, delete_batch_items, list_batch_items, update_batch_item};
pub(super) use results::{result_set, results_page, upload};
pub(super) use runs::{claim_next_batch, finish_batch, report_progress};

/// Collects every problem of one request, so the caller learns them all at once.
#[derive(Debug, Default)]
pub(super) struct Violations(Vec<FieldViolation>);

impl Violations {
    pub(super) fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation {
            field: field.into(),
            description: description.into(),
        });
    }

    /// `value` as text of at most `MAX` bytes that PostgreSQL can store; empty text
    /// when it is not (the request is refused anyway).
    pub(super) fn bounded<const MAX: usize>(
        &mut self,
        field: &str,
        value: String,
    ) -> BoundedText<MAX> {
        self.text(field, BoundedText::new(value))
            .unwrap_or_default()
    }

    /// The parsed text, or `None` after noting each of its problems under `field`.
    pub(super) fn text<T>(&mut self, field: &str, parsed: Result<T, Vec<TextError>>) -> Option<T> {
        parsed
            .map_err(|problems| {
                for problem in problems {
                    self.add(field, problem.to_string());
                }
            })
            .ok()
    }

    pub(super) fn int_in(
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

    /// The value of a field parsed on its own, noting its problem if it has one.
    pub(super) fn take<T>(&mut self, parsed: Result<T, FieldViolation>) -> Option<T> {
        parsed.map_err(|bad| self.0.push(bad)).ok()
    }

    pub(super) fn finish<T>(self, value: T) -> Result<T, ApiError> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(ApiError::InvalidArgument(self.0))
        }
    }
}

fn violation(field: &str, description: impl Into<String>) -> FieldViolation {
    FieldViolation {
        field: field.to_owned(),
        description: description.into(),
    }
}

/// The id in `field`: of `GetBatch`, `StartBatch`, `StopBatch`, `ClearBatchItems`,
/// `ListResultSets`, and of every request about one batch.
pub(super) fn batch_id(field: &str, raw: i64) -> Result<BatchId, FieldViolation> {
    BatchId::new(raw).map_err(|e| violation(field, e.to_string()))
}

fn item_id(field: &str, raw: i64) -> Result<ItemId, FieldViolation> {
    ItemId::new(raw).map_err(|e| violation(field, e.to_string()))
}

fn state(field: &str, raw: i32) -> Result<BatchState, FieldViolation> {
    match pb::BatchState::try_from(raw) {
        Ok(pb::BatchState::New) => Ok(BatchState::New),
        Ok(pb::BatchState::Queued) => Ok(BatchState::Queued),
        Ok(pb::BatchState::Running) => Ok(BatchState::Running),
        Ok(pb::BatchState::Succeeded) => Ok(BatchState::Succeeded),
        Ok(pb::BatchState::Failed) => Ok(BatchState::Failed),
        Ok(pb::BatchState::Unspecified) | Err(_) => {
            Err(violation(field, "must be a specified batch state"))
        }
    }
}

/// A proto timestamp as a UTC time, naming the field when it is out of range.
fn time(v: &mut Violations, field: &str, t: Option<Timestamp>) -> Option<DateTime<Utc>> {
    let t = t?;
    let parsed = u32::try_from(t.nanos)
        .ok()
        .and_then(|nanos| DateTime::from_timestamp(t.seconds, nanos));
    if parsed.is_none() {
        v.add(field, "is not a valid timestamp");
    }
    parsed
}
