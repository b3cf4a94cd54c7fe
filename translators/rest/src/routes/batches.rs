//! Create, get, list, update (and add searches), delete.

use axum::Json;
use batch_proto::v1::{
    AddBatchItemsRequest, CreateBatchRequest, DeleteBatchesRequest, GetBatchRequest,
    UpdateBatchRequest,
};

use super::batch_id;
use crate::coerce::to_bool;
use crate::error::{Action, ApiError};
use crate::extract::{ApiKeyParam, Body, Caller, Query, Segments};
use crate::json::{BatchList, BatchResponse, Message};
use crate::listing::ListParams;
use crate::openapi::{BATCHES, Failures};
use crate::settings::{BatchSettings, BatchUpdate};

/// Creates a batch. Add its searches afterwards with `PUT /live/batches/{batch_id}`.
#[utoipa::path(
    post,
    path = "/live/batches",
    tag = BATCHES,
    params(ApiKeyParam),
    request_body(content(
        (BatchSettings = "application/json"),
        (BatchSettings = "application/x-www-form-urlencoded")
    )),
    responses((status = 200, description = "The new batch", body = BatchResponse), Failures)
)]
pub(crate) async fn create_batch(
    caller: Caller,
    Body(body): Body,
) -> Result<Json<BatchResponse>, ApiError> {
    let serde_json::Value::Object(fields) = body else {
        return Err(ApiError::BadRequest(
            "The request body must be a JSON object or form fields".to_owned(),
        ));
    };
    // Creating and adding searches are two calls; refusing here keeps a failed add from
    // leaving a half-made batch behind that the caller would create again.
    if fields.contains_key("searches") {
        return Err(ApiError::BadRequest(
            "searches cannot be sent when creating a batch: add them with PUT /live/batches/{batch_id}"
                .to_owned(),
        ));
    }
    let batch = BatchSettings::from_fields(&fields)?.into_new_batch()?;
    let request = CreateBatchRequest {
        batch: Some(batch),
        start: false,
    };
    let created = caller
        .client()
        .create_batch(request)
        .await
        .map_err(|status| ApiError::upstream(status, Action::CreateBatch))?;
    Ok(Json(BatchResponse::new(created.into_inner())))
}

/// Returns one batch, with its counts.
#[utoipa::path(
    get,
    path = "/live/batches/{batch_id}",
    tag = BATCHES,
    params(ApiKeyParam, ("batch_id" = String, Path, description = "Batch id")),
    responses((status = 200, description = "The batch", body = BatchResponse), Failures)
)]
pub(crate) async fn get_batch(
    caller: Caller,
    Segments(raw): Segments<String>,
) -> Result<Json<BatchResponse>, ApiError> {
    let id = batch_id(&caller, &raw).await?;
    let batch = caller
        .client()
        .get_batch(GetBatchRequest { id: id.get() })
        .await
        .map_err(|status| ApiError::for_batch(status, Action::GetBatch, &raw))?;
    Ok(Json(BatchResponse::new(batch.into_inner())))
}

/// Lists the caller's batches, filtered, sorted and paged.
#[utoipa::path(
    get,
    path = "/live/batches",
    tag = BATCHES,
    params(ApiKeyParam, ListParams),
    responses((status = 200, description = "One page of batches", body = BatchList), Failures)
)]
pub(crate) async fn list_batches(
    caller: Caller,
    Query(query): Query,
) -> Result<Json<BatchList>, ApiError> {
    let list = ListParams::from_query(&query)?.into_query()?;
    let response = caller
        .client()
        .list_batches(list.request)
        .await
        .map_err(|status| ApiError::upstream(status, Action::ListBatches))?
        .into_inner();
    Ok(Json(BatchList::new(
        response.batches,
        response.total_size,
        list.page.get(),
        list.page_size,
    )))
}

/// Changes settings and/or adds searches (`{"searches":[...]}` or a bare JSON array),
/// then returns the batch. Refused while the batch runs.
#[utoipa::path(
    put,
    path = "/live/batches/{batch_id}",
    tag = BATCHES,
    params(ApiKeyParam, ("batch_id" = String, Path, description = "Batch id")),
    request_body(content(
        (BatchUpdate = "application/json"),
        (BatchSettings = "application/x-www-form-urlencoded")
    )),
    responses((status = 200, description = "The updated batch", body = BatchResponse), Failures)
)]
pub(crate) async fn update_batch(
    caller: Caller,
    Segments(raw): Segments<String>,
    Body(body): Body,
) -> Result<Json<BatchResponse>, ApiError> {
    let update = BatchUpdate::from_body(&body)?;
    let id = batch_id(&caller, &raw).await?;
    let mut client = caller.client();
    let mut batch = None;

    if let Some((changed, mask)) = update.settings.into_update(id.get()) {
        let request = UpdateBatchRequest {
            batch: Some(changed),
            update_mask: Some(mask),
        };
        let updated = client
            .update_batch(request)
            .await
            .map_err(|status| ApiError::for_batch(status, Action::UpdateBatch, &raw))?;
        batch = Some(updated.into_inner());
    }
    if !update.searches.is_empty() {
        let request = AddBatchItemsRequest {
            batch_id: id.get(),
            items: update.searches.into_iter().map(|s| s.into_item()).collect(),
        };
        let added = client
            .add_batch_items(request)
            .await
            .map_err(|status| ApiError::for_batch(status, Action::AddSearches, &raw))?;
        batch = added.into_inner().batch.or(batch);
    }
    let batch = match batch {
        Some(batch) => batch,
        // Nothing to change (or an answer without the batch): show it as it is.
        None => client
            .get_batch(GetBatchRequest { id: id.get() })
            .await
            .map_err(|status| ApiError::for_batch(status, Action::GetBatch, &raw))?
            .into_inner(),
    };
    Ok(Json(BatchResponse::new(batch)))
}

/// Deletes a batch and its searches. Refused (409) while it runs; `force` is accepted
/// for compatibility (this service records no webhook failures, so it changes nothing).
#[utoipa::path(
    delete,
    path = "/live/batches/{batch_id}",
    tag = BATCHES,
    params(
        ApiKeyParam,
        ("batch_id" = String, Path, description = "Batch id"),
        ("force" = Option<bool>, Query, description = "Delete despite failed webhooks")
    ),
    responses(
        (status = 200, description = "Deleted", body = Message,
            example = json!({"request_info": {"success": true, "message": "batch deleted"}})),
        Failures
    )
)]
pub(crate) async fn delete_batch(
    caller: Caller,
    Query(query): Query,
    Segments(raw): Segments<String>,
) -> Result<Json<Message>, ApiError> {
    let force = query
        .get("force")
        .map(|force| to_bool("force", force))
        .transpose()?
        .unwrap_or(false);
    let id = batch_id(&caller, &raw).await?;
    let request = DeleteBatchesRequest {
        ids: vec![id.get()],
        allow_missing: false,
        force,
    };
    caller
        .client()
        .delete_batches(request)
        .await
        .map_err(|status| ApiError::for_batch(status, Action::DeleteBatch, &raw))?;
    Ok(Json(Message::ok("batch deleted")))
}
