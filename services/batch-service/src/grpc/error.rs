//! The one place where a failure becomes a gRPC status. Every variant is matched
//! explicitly, twice (log level and code), so a new kind of failure cannot quietly
//! turn into INTERNAL.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::pooled_connection::PoolError;
use tonic::{Code, Status};
use tonic_types::{ErrorDetail, ErrorDetails, StatusExt as _};

use crate::domain::BatchState;

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
    /// The database cannot be reached, or did not answer in time.
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error("internal: {0}")]
    Internal(String),
}

fn describe(violations: &[FieldViolation]) -> String {
    violations
        .iter()
        .map(|v| format!("{}: {}", v.field, v.description))
        .collect::<Vec<_>>()
        .join("; ")
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

impl From<DieselError> for ApiError {
    fn from(error: DieselError) -> Self {
        match &error {
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => {
                Self::Unavailable("the database connection was lost".into())
            }
            // SQLSTATE 57014: our statement_timeout fired.
            DieselError::DatabaseError(_, info) if info.message().contains("statement timeout") => {
                Self::Unavailable("the database did not answer in time".into())
            }
            _ => Self::Internal(error.to_string()),
        }
    }
}

impl From<bb8::RunError<PoolError>> for ApiError {
    fn from(error: bb8::RunError<PoolError>) -> Self {
        match error {
            bb8::RunError::TimedOut => {
                Self::Unavailable("no database connection became free in time".into())
            }
            bb8::RunError::User(e) => Self::Unavailable(format!("cannot reach the database: {e}")),
        }
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
            | ApiError::Unauthenticated(_) => tracing::debug!(%error, "request refused"),
            ApiError::Unavailable(_) => tracing::warn!(%error, "request failed"),
            ApiError::Internal(_) => tracing::error!(%error, "request failed"),
        }
        match error {
            ApiError::InvalidArgument(violations) => {
                let mut details = ErrorDetails::new();
                for v in &violations {
                    details.add_bad_request_violation(v.field.clone(), v.description.clone());
                }
                let message = describe(&violations);
                Status::with_error_details(Code::InvalidArgument, message, details)
            }
            ApiError::NotFound { kind, ids } => {
                let details: Vec<ErrorDetail> = ids
                    .iter()
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
                for id in &ids {
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
                for id in &ids {
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
            ApiError::Unavailable(why) => Status::unavailable(why),
            // Internal details stay in the log, not in the answer.
            ApiError::Internal(_) => Status::internal("internal error"),
        }
    }
}

fn join_ids(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
