//! Start, stop and stop all. SerpWow (and its official clients) use GET for these.

use axum::Json;
use batch_proto::v1::{StartBatchRequest, StopAllBatchesRequest, StopBatchRequest};

use super::batch_id;
use crate::error::{Action, ApiError};
use crate::extract::{ApiKeyParam, Caller, Segments};
use crate::json::{BatchResponse, StopAllResponse};
use crate::openapi::{BATCHES, Failures};

/// Queues a run of the batch. Refused (409) when it is already queued or running.
#[utoipa::path(
    get,
    path = "/live/batches/{batch_id}/start",
    tag = BATCHES,
    params(ApiKeyParam, ("batch_id" = String, Path, description = "Batch id")),
    responses((status = 200, description = "Queued", body = BatchResponse), Failures)
)]
pub(crate) async fn start_batch(
    caller: Caller,
    Segments(raw): Segments<String>,
) -> Result<Json<BatchResponse>, ApiError> {
    let id = batch_id(&caller, &raw).await?;
    let batch = caller
        .client()
        .start_batch(StartBatchRequest { id: id.get() })
        .await
        .map_err(|status| ApiError::for_batch(status, Action::StartBatch, &raw))?;
    Ok(Json(BatchResponse::with_message(
        batch.into_inner(),
        "Batch started",
    )))
}

/// Stops a queued or running batch. Refused (409) for a batch that is neither.
#[utoipa::path(
    get,
    path = "/live/batches/{batch_id}/stop",
    tag = BATCHES,
    params(ApiKeyParam, ("batch_id" = String, Path, description = "Batch id")),
    responses((status = 200, description = "Stopped", body = BatchResponse), Failures)
)]
pub(crate) async fn stop_batch(
    caller: Caller,
    Segments(raw): Segments<String>,
) -> Result<Json<BatchResponse>, ApiError> {
    let id = batch_id(&caller, &raw).await?;
    let batch = caller
        .client()
        .stop_batch(StopBatchRequest { id: id.get() })
        .await
        .map_err(|status| ApiError::for_batch(status, Action::StopBatch, &raw))?;
    Ok(Json(BatchResponse::with_message(
        batch.into_inner(),
        "Batch stopped",
    )))
}

/// Stops every queued or running batch of the caller.
#[utoipa::path(
    get,
    path = "/live/batches/stopall",
    tag = BATCHES,
    params(ApiKeyParam),
    responses((status = 200, description = "How many were stopped", body = StopAllResponse), Failures)
)]
pub(crate) async fn stop_all_batches(caller: Caller) -> Result<Json<StopAllResponse>, ApiError> {
    let stopped = caller
        .client()
        .stop_all_batches(StopAllBatchesRequest {})
        .await
        .map_err(|status| ApiError::upstream(status, Action::StopAllBatches))?;
    Ok(Json(StopAllResponse::new(
        stopped.into_inner().stopped_ids.len(),
    )))
}
