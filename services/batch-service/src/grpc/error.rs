//! The one place where a failure becomes a gRPC status. Every variant is matched
//! explicitly, twice (log level and code), so a new kind of failure cannot quietly
//! turn into INTERNAL.

use std::time::Duration;

use diesel::result::Error as DieselError;
use tonic::{Code, Status};
use tonic_types::{ErrorDetail, ErrorDetails, StatusExt as _};

use crate::domain::{Action, Refusal, Resource};
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
    /// The rules or the data turned a well-formed request down.
    #[error("refused: {0}")]
    Refused(#[from] Refusal),
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
}

impl From<FieldViolation> for ApiError {
    fn from(violation: FieldViolation) -> Self {
        Self::InvalidArgument(vec![violation])
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

// Handlers use `?` on each step; every failure goes through `ApiError`'s map below.
impl From<FieldViolation> for Status {
    fn from(violation: FieldViolation) -> Self {
        ApiError::from(violation).into()
    }
}

impl From<StorageError> for Status {
    fn from(error: StorageError) -> Self {
        ApiError::from(error).into()
    }
}

impl From<Refusal> for Status {
    fn from(refusal: Refusal) -> Self {
        ApiError::from(refusal).into()
    }
}

impl From<ApiError> for Status {
    fn from(error: ApiError) -> Self {
        // Client mistakes are routine; server-side failures deserve attention.
        match &error {
            ApiError::InvalidArgument(_)
            | ApiError::Refused(_)
            | ApiError::Conflict { .. }
            | ApiError::Unauthenticated(_) => tracing::debug!(%error, "request refused"),
            ApiError::Unavailable(_) => tracing::warn!(%error, "request failed"),
            ApiError::Internal(_) => tracing::error!(%error, "request failed"),
        }
        match error {
            ApiError::InvalidArgument(violations) => bad_request(&violations),
            ApiError::Refused(refusal) => refusal_status(refusal),
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

fn refusal_status(refusal: Refusal) -> Status {
    match refusal {
        Refusal::NotFound { resource, ids } => {
            let (kind, message_type) = match resource {
                Resource::Batch => ("batch", "batch.v1.Batch"),
                Resource::Item => ("item", "batch.v1.BatchItem"),
                Resource::ResultSet => ("result_set", "batch.v1.ResultSet"),
            };
            let details: Vec<ErrorDetail> = ids
                .iter()
                .take(DETAIL_IDS)
                .map(|id| {
                    ErrorDetail::from(tonic_types::ResourceInfo::new(
                        message_type,
                        id.to_string(),
                        "",
                        format!("{kind} {id} was not found"),
                    ))
                })
                .collect();
            Status::with_error_details_vec(
                Code::NotFound,
                format!("{kind} not found: {}", join_ids(&ids)),
                details,
            )
        }
        // The action does not change the answer: "running" says it all.
        Refusal::Running { action: _, ids } => failed_precondition(
            "RUNNING",
            &ids,
            |id| format!("batch {id} is running"),
            format!("batch is running: {}", join_ids(&ids)),
        ),
        Refusal::WebhookFailed { ids } => failed_precondition(
            "WEBHOOK_FAILED",
            &ids,
            |id| format!("batch {id} has a result set whose webhook failed"),
            format!(
                "a result set's webhook failed (delete with force): {}",
                join_ids(&ids)
            ),
        ),
        Refusal::NoWebhook { id } => {
            let message = format!("batch {id} has no notification webhook");
            failed_precondition(
                "NO_WEBHOOK",
                &[id.get()],
                |_| message.clone(),
                message.clone(),
            )
        }
        Refusal::WrongState { action, id, state } => failed_precondition(
            "STATE",
            &[id.get()],
            |id| format!("batch {id} is {state}"),
            format!("cannot {} batch {id}: it is {state}", verb(action)),
        ),
        // The caller could not know how much was stored: a bad offset all the same.
        Refusal::ResultsGap { stored } => bad_request(&[FieldViolation {
            field: "offset".to_owned(),
            description: format!("must be at most {stored}, the results stored so far"),
        }]),
    }
}

/// INVALID_ARGUMENT naming each bad field.
fn bad_request(violations: &[FieldViolation]) -> Status {
    let mut details = ErrorDetails::new();
    for v in violations.iter().take(DETAIL_IDS) {
        details.add_bad_request_violation(v.field.clone(), v.description.clone());
    }
    Status::with_error_details(Code::InvalidArgument, describe(violations), details)
}

/// The action as the verb of "cannot … batch 7".
fn verb(action: Action) -> &'static str {
    match action {
        Action::Start => "start",
        Action::Stop => "stop",
        Action::Run => "run",
        Action::Reset => "reset",
        Action::ReportProgress => "report progress of",
        Action::Finish => "finish",
        Action::UploadResults => "upload results to",
        Action::Update => "update",
        Action::Delete => "delete",
        Action::ChangeItems => "change the items of",
        Action::ResendWebhook => "resend the webhook of",
    }
}

/// FAILED_PRECONDITION with one `violation` of type `kind` for each of the first ids.
fn failed_precondition(
    kind: &str,
    ids: &[i64],
    describe: impl Fn(i64) -> String,
    message: String,
) -> Status {
    let mut details = ErrorDetails::new();
    for id in ids.iter().take(DETAIL_IDS) {
        details.add_precondition_failure_violation(kind, id.to_string(), describe(*id));
    }
    Status::with_error_details(Code::FailedPrecondition, message, details)
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
        let status = Status::from(ApiError::Refused(Refusal::Running {
            action: Action::Delete,
            ids: (1..=10_000).collect(),
        }));
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
