//! The one place where a failure becomes a gRPC status. Every variant is matched
//! explicitly, twice (log level and code), so a new kind of failure cannot quietly
//! turn into INTERNAL.

use std::time::Duration;

use diesel::result::Error as DieselError;
use tonic::{Code, Status};
use tonic_types::{ErrorDetail, ErrorDetails, StatusExt as _};

use crate::domain::BatchState;
use crate::storage::StorageError;
use crate::storage::error::ConstraintKind;

/// Most ids a message names before "and N more".
const MESSAGE_IDS: usize = 5;
/// Most ids the details of one error list: with the message, an error stays well
/// under 4 KiB of metadata, which every common gRPC client accepts.
pub(crate) const DETAIL_IDS: usize = 20;
/// What `RetryInfo` advises a caller to wait before trying again.
const RETRY_DELAY: Duration = Duration::from_millis(200);

/// A field the caller got wrong, as `google.rpc.BadRequest` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    pub field: String,
    pub description: String,
}

/// Why an RPC failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("invalid argument: {}", describe(.0))]
    InvalidArgument(Vec<FieldViolation>),
    /// `kind` is the resource type (`batch`, `item`, `result_set`); `ids` what was not
    /// found.
    #[error("{kind} not found: {ids:?}")]
    NotFound { kind: &'static str, ids: Vec<i64> },
    /// Batches that are running and so cannot be deleted or changed.
    #[error("running: {0:?}")]
    Running(Vec<i64>),
    /// Batches with a result set whose webhook failed: deleted only with `force`.
    #[error("webhook failed: {0:?}")]
    WebhookFailed(Vec<i64>),
    /// The batch lacks what the request needs (`violation` names it, e.g. NO_WEBHOOK).
    #[error("batch {id}: {message}")]
    Precondition {
        violation: &'static str,
        id: i64,
        message: String,
    },
    /// A state change that does not apply to the batch's current state.
    #[error("batch {id} is {state}: cannot {action}")]
    WrongState {
        id: i64,
        state: BatchState,
        action: &'static str,
    },
    #[error("unauthenticated: {0}")]
    Unauthenticated(&'static str),
    /// A constraint refused the change (a duplicate, a vanished reference).
    #[error("constraint {constraint} refused the change")]
    Conflict {
        kind: ConstraintKind,
        constraint: String,
    },
    /// The database cannot be reached, did not answer in time, or stayed contended.
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error("internal: {0}")]
    Internal(String),
}

/// The first few violations, then how many more.
fn describe(violations: &[FieldViolation]) -> String {
    let mut text = violations
        .iter()
        .take(MESSAGE_IDS)
        .map(|v| format!("{}: {}", v.field, v.description))
        .collect::<Vec<_>>()
        .join("; ");
    if violations.len() > MESSAGE_IDS {
        text.push_str(&format!(" and {} more", violations.len() - MESSAGE_IDS));
    }
    text
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::InvalidArgument(vec![FieldViolation {
            field: field.into(),
            description: description.into(),
        }])
    }

    pub fn batch_not_found(id: i64) -> Self {
        Self::NotFound {
            kind: "batch",
            ids: vec![id],
        }
    }
}

impl From<StorageError> for ApiError {
    fn from(error: StorageError) -> Self {
        match error {
            StorageError::Unavailable(why) => Self::Unavailable(why.to_string()),
            // Retried inside the service already; the caller may try again.
            StorageError::Contention { .. } => Self::Unavailable(error.to_string()),
            StorageError::UnstorableValue(why) => {
                Self::invalid("", format!("cannot be stored: {why}"))
            }
            StorageError::Constraint { kind, constraint } => Self::Conflict { kind, constraint },
            StorageError::Unexpected(why) => Self::Internal(why),
        }
    }
}

impl From<DieselError> for ApiError {
    fn from(error: DieselError) -> Self {
        StorageError::from(error).into()
    }
}

impl From<ApiError> for Status {
    fn from(error: ApiError) -> Self {
        // Client mistakes are routine; server-side failures deserve attention.
        match &error {
            ApiError::InvalidArgument(_)
            | ApiError::NotFound { .. }
            | ApiError::Running(_)
            | ApiError::WebhookFailed(_)
            | ApiError::Precondition { .. }
            | ApiError::WrongState { .. }
            | ApiError::Conflict { .. }
            | ApiError::Unauthenticated(_) => tracing::debug!(%error, "request refused"),
            ApiError::Unavailable(_) => tracing::warn!(%error, "request failed"),
            ApiError::Internal(_) => tracing::error!(%error, "request failed"),
        }
        match error {
            ApiError::InvalidArgument(violations) => {
                let mut details = ErrorDetails::new();
                for v in violations.iter().take(DETAIL_IDS) {
                    details.add_bad_request_violation(v.field.clone(), v.description.clone());
                }
                let message = describe(&violations);
                Status::with_error_details(Code::InvalidArgument, message, details)
            }
            ApiError::NotFound { kind, ids } => {
                let details: Vec<ErrorDetail> = ids
                    .iter()
                    .take(DETAIL_IDS)
                    .map(|id| {
                        ErrorDetail::from(tonic_types::ResourceInfo::new(
                            format!(
                                "batch.v1.{}",
                                match kind {
                                    "batch" => "Batch",
                                    "result_set" => "ResultSet",
                                    _ => "BatchItem",
                                }
                            ),
                            id.to_string(),
                            "",
                            format!("{kind} {id} was not found"),
                        ))
                    })
                    .collect();
                let list = join_ids(&ids);
                Status::with_error_details_vec(
                    Code::NotFound,
                    format!("{kind} not found: {list}"),
                    details,
                )
            }
            ApiError::Running(ids) => {
                let mut details = ErrorDetails::new();
                for id in ids.iter().take(DETAIL_IDS) {
                    details.add_precondition_failure_violation(
                        "RUNNING",
                        id.to_string(),
                        format!("batch {id} is running"),
                    );
                }
                Status::with_error_details(
                    Code::FailedPrecondition,
                    format!("batch is running: {}", join_ids(&ids)),
                    details,
                )
            }
            ApiError::WebhookFailed(ids) => {
                let mut details = ErrorDetails::new();
                for id in ids.iter().take(DETAIL_IDS) {
                    details.add_precondition_failure_violation(
                        "WEBHOOK_FAILED",
                        id.to_string(),
                        format!("batch {id} has a result set whose webhook failed"),
                    );
                }
                Status::with_error_details(
                    Code::FailedPrecondition,
                    format!(
                        "a result set's webhook failed (delete with force): {}",
                        join_ids(&ids)
                    ),
                    details,
                )
            }
            ApiError::Precondition {
                violation,
                id,
                message,
            } => {
                let mut details = ErrorDetails::new();
                details.add_precondition_failure_violation(violation, id.to_string(), &message);
                Status::with_error_details(Code::FailedPrecondition, message, details)
            }
            ApiError::WrongState { id, state, action } => {
                let mut details = ErrorDetails::new();
                details.add_precondition_failure_violation(
                    "STATE",
                    id.to_string(),
                    format!("batch {id} is {state}"),
                );
                Status::with_error_details(
                    Code::FailedPrecondition,
                    format!("cannot {action} batch {id}: it is {state}"),
                    details,
                )
            }
            ApiError::Unauthenticated(why) => Status::unauthenticated(why),
            ApiError::Conflict { kind, constraint } => {
                let (code, message) = match kind {
                    ConstraintKind::Unique => (Code::AlreadyExists, "it already exists"),
                    ConstraintKind::ForeignKey => (
                        Code::FailedPrecondition,
                        "a record it refers to does not exist",
                    ),
                    ConstraintKind::Check | ConstraintKind::NotNull => {
                        (Code::InvalidArgument, "a value is out of bounds")
                    }
                };
                Status::new(code, format!("{message} (constraint {constraint})"))
            }
            ApiError::Unavailable(why) => {
                let mut details = ErrorDetails::new();
                details.set_retry_info(Some(RETRY_DELAY));
                Status::with_error_details(Code::Unavailable, why, details)
            }
            // Internal details stay in the log, not in the answer.
            ApiError::Internal(_) => Status::internal("internal error"),
        }
    }
}

/// The first few ids, then how many more: a message stays short however many ids
/// a refusal is about.
fn join_ids(ids: &[i64]) -> String {
    let mut list = ids
        .iter()
        .take(MESSAGE_IDS)
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if ids.len() > MESSAGE_IDS {
        list.push_str(&format!(" and {} more", ids.len() - MESSAGE_IDS));
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_a_few_ids_and_count_the_rest() {
        assert_eq!(join_ids(&[1, 2]), "1, 2");
        let many: Vec<i64> = (1..=10_000).collect();
        assert_eq!(join_ids(&many), "1, 2, 3, 4, 5 and 9995 more");
    }

    #[test]
    fn a_refusal_of_ten_thousand_ids_stays_small() {
        let status = Status::from(ApiError::Running((1..=10_000).collect()));
        let mut headers = http::HeaderMap::new();
        status.add_header(&mut headers).unwrap();
        let size: usize = headers
            .iter()
            .map(|(k, v)| k.as_str().len() + v.len())
            .sum();
        assert!(size < 4_096, "{size} bytes of metadata");
        assert_eq!(status.code(), Code::FailedPrecondition);
        let details = status.get_error_details();
        assert_eq!(
            details.precondition_failure().unwrap().violations.len(),
            DETAIL_IDS
        );
    }

    #[test]
    fn unavailable_advises_a_retry() {
        let status = Status::from(ApiError::from(StorageError::Contention { attempts: 4 }));
        assert_eq!(status.code(), Code::Unavailable);
        assert!(status.get_error_details().retry_info().is_some());
    }
}
