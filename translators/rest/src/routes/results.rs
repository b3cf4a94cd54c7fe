//! SerpWow's result-set endpoints. This service runs no searches and keeps no result
//! sets, so each answers 404 in SerpWow's error shape, once the credential and the
//! batch have been checked (a missing batch is reported as such).

use axum::extract::State;

use super::{AppState, require_batch};
use crate::error::ApiError;
use crate::extract::{ApiKeyParam, Caller, Segments};
use crate::openapi::{Failures, RESULTS};

const NO_RESULTS: &str = "Result sets are not available: this service does not keep batch results";

async fn no_results(state: &AppState, caller: &Caller, raw: &str) -> ApiError {
    match require_batch(state, caller, raw).await {
        Ok(()) => ApiError::Unsupported(NO_RESULTS),
        Err(error) => error,
    }
}

/// Lists result sets: 404.
#[utoipa::path(
    get,
    path = "/live/batches/{batch_id}/results",
    tag = RESULTS,
    params(ApiKeyParam, ("batch_id" = String, Path, description = "Batch id")),
    responses(Failures)
)]
pub(crate) async fn list_results(
    State(state): State<AppState>,
    caller: Caller,
    Segments(raw): Segments<String>,
) -> ApiError {
    no_results(&state, &caller, &raw).await
}

/// One result set's JSON download links: 404.
#[utoipa::path(
    get,
    path = "/live/batches/{batch_id}/results/{result_set_id}",
    tag = RESULTS,
    params(
        ApiKeyParam,
        ("batch_id" = String, Path, description = "Batch id"),
        ("result_set_id" = String, Path, description = "Result set id")
    ),
    responses(Failures)
)]
pub(crate) async fn get_result_set(
    State(state): State<AppState>,
    caller: Caller,
    Segments((raw, _result_set)): Segments<(String, String)>,
) -> ApiError {
    no_results(&state, &caller, &raw).await
}

/// One result set's JSON Lines download links: 404.
#[utoipa::path(
    get,
    path = "/live/batches/{batch_id}/results/{result_set_id}/jsonlines",
    tag = RESULTS,
    params(
        ApiKeyParam,
        ("batch_id" = String, Path, description = "Batch id"),
        ("result_set_id" = String, Path, description = "Result set id")
    ),
    responses(Failures)
)]
pub(crate) async fn get_result_set_jsonlines(
    State(state): State<AppState>,
    caller: Caller,
    Segments((raw, _result_set)): Segments<(String, String)>,
) -> ApiError {
    no_results(&state, &caller, &raw).await
}

/// One result set's CSV download links: 404.
#[utoipa::path(
    get,
    path = "/live/batches/{batch_id}/results/{result_set_id}/csv",
    tag = RESULTS,
    params(
        ApiKeyParam,
        ("batch_id" = String, Path, description = "Batch id"),
        ("result_set_id" = String, Path, description = "Result set id"),
        ("csv_fields" = Option<String>, Query, description = "Fields to include, comma-separated")
    ),
    responses(Failures)
)]
pub(crate) async fn get_result_set_csv(
    State(state): State<AppState>,
    caller: Caller,
    Segments((raw, _result_set)): Segments<(String, String)>,
) -> ApiError {
    no_results(&state, &caller, &raw).await
}

/// Sends a result set's completion webhook again: 404.
#[utoipa::path(
    get,
    path = "/live/batches/{batch_id}/results/{result_set_id}/resendwebhook",
    tag = RESULTS,
    params(
        ApiKeyParam,
        ("batch_id" = String, Path, description = "Batch id"),
        ("result_set_id" = String, Path, description = "Result set id")
    ),
    responses(Failures)
)]
pub(crate) async fn resend_webhook(
    State(state): State<AppState>,
    caller: Caller,
    Segments((raw, _result_set)): Segments<(String, String)>,
) -> ApiError {
    no_results(&state, &caller, &raw).await
}
