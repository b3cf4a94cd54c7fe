//! Every way a REST call can fail, and the one table that gives each an HTTP status and
//! a SerpWow message: `{"request_info":{"success":false,"message":"..."}}`.
//!
//! Upstream failures are mapped in [`upstream_status`], one exhaustive match over
//! [`UpstreamError`] (no catch-all arm), so a new gRPC error kind cannot slip through
//! unmapped. Statuses follow the product contract: 400 invalid input, 401 credentials,
//! 404 unknown batch, search or URL, 409 a batch in the wrong state, 413 body too large,
//! 429 limits, 503 service unavailable, 500 anything else.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use batch_proto::tonic;
use translator_common::{HostError, Missing, ResourceKind, UpstreamError, Violation};

use crate::ids::SearchId;
use crate::json::Message;

/// What SerpWow answers for an unknown, revoked or malformed key.
pub(crate) const INVALID_API_KEY: &str = "Supplied api_key is not valid";
const MISSING_API_KEY: &str =
    "No api_key was supplied: add api_key=YOUR_API_KEY to the query string";
const NOT_PERMITTED: &str = "Supplied api_key is not permitted to make this request";
const NO_ROUTE: &str = "The request URL or HTTP method you specified is invalid";
const UNAVAILABLE: &str = "The batch service is temporarily unavailable, please try again shortly";
const TIMEOUT: &str = "The request took too long to complete, please try again shortly";
const INTERNAL: &str = "Something went wrong on our side, please try again later";

/// The operation a handler was performing, so that a refusal from the service can be
/// told in the caller's terms (the service only says "failed precondition").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    CreateBatch,
    GetBatch,
    ListBatches,
    UpdateBatch,
    AddSearches,
    DeleteBatch,
    StartBatch,
    StopBatch,
    StopAllBatches,
    ClearSearches,
    ListSearches,
    DeleteSearches,
    UpdateSearch,
    GetResults,
    ResendWebhook,
}

impl Action {
    /// The 409 message when the service refuses because of the batch's state. The proto
    /// names the one precondition of each RPC: not running, or (start, stop) the state.
    fn refusal(self, ids: &str) -> String {
        let because_running = |what: &str| format!("Batch with ID '{ids}' is running and {what}");
        match self {
            Action::StartBatch => format!("Batch with ID '{ids}' is already queued or running"),
            Action::StopBatch => format!("Batch with ID '{ids}' is not queued or running"),
            Action::DeleteBatch => because_running("cannot be deleted"),
            Action::UpdateBatch => because_running("cannot be updated"),
            Action::AddSearches => because_running("searches cannot be added to it"),
            Action::ClearSearches => because_running("its searches cannot be cleared"),
            Action::DeleteSearches => because_running("its searches cannot be deleted"),
            Action::UpdateSearch => because_running("its searches cannot be updated"),
            Action::ResendWebhook => {
                format!("Batch with ID '{ids}' has no notification_webhook to send to")
            }
            Action::CreateBatch
            | Action::GetBatch
            | Action::ListBatches
            | Action::StopAllBatches
            | Action::ListSearches
            | Action::GetResults => format!("Batch with ID '{ids}' cannot be changed now"),
        }
    }
}

/// A failed call to the service, with what the caller asked for.
#[derive(Debug)]
pub(crate) struct UpstreamFailure {
    error: UpstreamError,
    action: Action,
    /// The batch id as written in the URL, if the call was about one batch.
    batch_id: Option<String>,
    /// The search ids as written by the caller, for search deletes.
    search_ids: Vec<String>,
    /// The result set id as written in the URL, for result-set calls.
    result_set_id: Option<String>,
}

/// Why a REST request failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    #[error("no api_key supplied")]
    MissingApiKey,
    #[error("malformed api_key")]
    InvalidApiKey,
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Not exactly one `Host` header (RFC 9112 §3.2).
    #[error("bad Host header: {0}")]
    BadHost(HostError),
    #[error("request body exceeds {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("no such route or method")]
    NoRoute,
    #[error("batch {0} not found")]
    BatchNotFound(String),
    #[error("search {0} not found")]
    SearchNotFound(String),
    #[error("result set {0} not found")]
    ResultSetNotFound(String),
    #[error("request timed out")]
    Timeout,
    #[error("{:?} failed: {}", .0.action, .0.error)]
    Upstream(Box<UpstreamFailure>),
}

impl ApiError {
    /// A failed upstream call about no particular batch (create, list, stop all).
    pub(crate) fn upstream(status: tonic::Status, action: Action) -> Self {
        Self::Upstream(Box::new(UpstreamFailure {
            error: status.into(),
            action,
            batch_id: None,
            search_ids: Vec::new(),
            result_set_id: None,
        }))
    }

    /// A failed upstream call about the batch written as `batch_id` in the URL.
    pub(crate) fn for_batch(status: tonic::Status, action: Action, batch_id: &str) -> Self {
        Self::Upstream(Box::new(UpstreamFailure {
            error: status.into(),
            action,
            batch_id: Some(batch_id.to_owned()),
            search_ids: Vec::new(),
            result_set_id: None,
        }))
    }

    /// A failed update of one search: NOT_FOUND may name the batch or the search.
    pub(crate) fn for_search_update(
        status: tonic::Status,
        batch_id: &str,
        search_id: &str,
    ) -> Self {
        Self::Upstream(Box::new(UpstreamFailure {
            error: status.into(),
            action: Action::UpdateSearch,
            batch_id: Some(batch_id.to_owned()),
            search_ids: vec![search_id.to_owned()],
            result_set_id: None,
        }))
    }

    /// A failed call about one result set: NOT_FOUND may name the batch or the set.
    pub(crate) fn for_result_set(
        status: tonic::Status,
        action: Action,
        batch_id: &str,
        result_set_id: &str,
    ) -> Self {
        Self::Upstream(Box::new(UpstreamFailure {
            error: status.into(),
            action,
            batch_id: Some(batch_id.to_owned()),
            search_ids: Vec::new(),
            result_set_id: Some(result_set_id.to_owned()),
        }))
    }

    /// A failed search delete: NOT_FOUND may name the batch or one of the searches.
    pub(crate) fn for_searches(
        status: tonic::Status,
        batch_id: &str,
        search_ids: &[String],
    ) -> Self {
        Self::Upstream(Box::new(UpstreamFailure {
            error: status.into(),
            action: Action::DeleteSearches,
            batch_id: Some(batch_id.to_owned()),
            search_ids: search_ids.to_vec(),
            result_set_id: None,
        }))
    }

    /// The HTTP status and the message shown to the caller.
    pub(crate) fn status_and_message(&self) -> (StatusCode, String) {
        match self {
            ApiError::MissingApiKey => (StatusCode::UNAUTHORIZED, MISSING_API_KEY.to_owned()),
            ApiError::InvalidApiKey => (StatusCode::UNAUTHORIZED, INVALID_API_KEY.to_owned()),
            ApiError::BadRequest(message) => (StatusCode::BAD_REQUEST, message.clone()),
            ApiError::BadHost(error) => (StatusCode::BAD_REQUEST, capitalized(&error.to_string())),
            ApiError::PayloadTooLarge { limit } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("The request body is too large: the limit is {limit} bytes"),
            ),
            ApiError::NoRoute => (StatusCode::NOT_FOUND, NO_ROUTE.to_owned()),
            ApiError::BatchNotFound(id) => (StatusCode::NOT_FOUND, batch_not_found(id)),
            ApiError::SearchNotFound(id) => (StatusCode::NOT_FOUND, search_not_found(id)),
            ApiError::ResultSetNotFound(id) => (StatusCode::NOT_FOUND, result_set_not_found(id)),
            ApiError::Timeout => (StatusCode::SERVICE_UNAVAILABLE, TIMEOUT.to_owned()),
            ApiError::Upstream(failure) => upstream_status(failure),
        }
    }
}

impl From<crate::coerce::CoerceError> for ApiError {
    fn from(error: crate::coerce::CoerceError) -> Self {
        Self::BadRequest(error.to_string())
    }
}

/// `text` with a capital first letter, as SerpWow's messages start.
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// SerpWow's text for a batch that does not exist (or belongs to someone else).
pub(crate) fn batch_not_found(id: &str) -> String {
    format!("Batch with ID '{id}' was not found")
}

/// SerpWow's text for a search that is not in the batch.
fn search_not_found(id: &str) -> String {
    format!("No Search with ID '{id}' was found in this Batch, please check the ID and try again")
}

/// The text for a result set the batch does not hold (or that expired).
fn result_set_not_found(id: &str) -> String {
    format!(
        "No Result Set with ID '{id}' was found in this Batch, please check the ID and try again"
    )
}

/// The table: one arm per [`UpstreamError`] variant.
fn upstream_status(failure: &UpstreamFailure) -> (StatusCode, String) {
    match &failure.error {
        UpstreamError::InvalidArgument {
            message,
            violations,
        } => (StatusCode::BAD_REQUEST, describe(message, violations)),
        UpstreamError::NotFound { message, missing } => (
            StatusCode::NOT_FOUND,
            match (&failure.batch_id, missing_search(failure, missing)) {
                _ if missing_result_set(missing) => {
                    result_set_not_found(failure.result_set_id.as_deref().unwrap_or_default())
                }
                (_, Some(search_id)) => search_not_found(&search_id),
                (Some(batch_id), None) => batch_not_found(batch_id),
                (None, None) => message.clone(),
            },
        ),
        UpstreamError::FailedPrecondition {
            message,
            violations,
        } => {
            // The service names every refused batch; fall back to the one in the URL.
            let ids = if violations.is_empty() {
                failure.batch_id.clone()
            } else {
                Some(join_subjects(violations))
            };
            let webhook_failed = violations.iter().any(|v| v.kind == "WEBHOOK_FAILED");
            let message = match ids {
                // SerpWow documents the rule, not its text: this says how to proceed.
                Some(ids) if webhook_failed => format!(
                    "Batch with ID '{ids}' has a result set whose webhook failed and cannot be \
                     deleted: add force=true to delete it anyway"
                ),
                Some(ids) => failure.action.refusal(&ids),
                None => message.clone(),
            };
            (StatusCode::CONFLICT, message)
        }
        UpstreamError::AlreadyExists { message } => (StatusCode::CONFLICT, message.clone()),
        UpstreamError::Unauthenticated { .. } => {
            (StatusCode::UNAUTHORIZED, INVALID_API_KEY.to_owned())
        }
        // The contract has no 403: a key that may not do something is a key problem.
        UpstreamError::PermissionDenied { .. } => {
            (StatusCode::UNAUTHORIZED, NOT_PERMITTED.to_owned())
        }
        UpstreamError::ResourceExhausted { message } => {
            (StatusCode::TOO_MANY_REQUESTS, message.clone())
        }
        UpstreamError::Unavailable { .. } => {
            (StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE.to_owned())
        }
        UpstreamError::Internal { .. } => (StatusCode::INTERNAL_SERVER_ERROR, INTERNAL.to_owned()),
    }
}

/// The service's text, with each field it named (`ids: must not be empty`).
fn describe(message: &str, violations: &[Violation]) -> String {
    if violations.is_empty() {
        return message.to_owned();
    }
    violations
        .iter()
        .map(|v| format!("{}: {}", v.subject, v.description))
        .collect::<Vec<_>>()
        .join("; ")
}

fn join_subjects(violations: &[Violation]) -> String {
    let mut subjects: Vec<&str> = violations.iter().map(|v| v.subject.as_str()).collect();
    subjects.dedup();
    subjects.join("', '")
}

/// Whether a NOT_FOUND names a result set (rather than the batch).
fn missing_result_set(missing: &[Missing]) -> bool {
    missing
        .iter()
        .any(|m| m.kind == ResourceKind::Other("batch.v1.ResultSet".to_owned()))
}

/// Which requested search a NOT_FOUND names, if any: a search delete can miss the
/// batch or one of its searches, and the service says which kind each missing id is.
fn missing_search(failure: &UpstreamFailure, missing: &[Missing]) -> Option<String> {
    missing
        .iter()
        .filter(|m| m.kind == ResourceKind::Item)
        .find_map(|m| {
            failure
                .search_ids
                .iter()
                .find(|id| SearchId::parse(id).is_some_and(|s| s.get().to_string() == m.id))
                .cloned()
        })
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = self.status_and_message();
        // Each failure is logged once, here, where it becomes a response: server-side
        // faults loudly, the caller's own mistakes quietly.
        if status.is_server_error() {
            tracing::warn!(http.status = status.as_u16(), "request failed: {self}");
        } else {
            tracing::debug!(http.status = status.as_u16(), "request refused: {self}");
        }
        (status, axum::Json(Message::failure(message))).into_response()
    }
}

#[cfg(test)]
#[path = "error_tests.rs"]
mod tests;
