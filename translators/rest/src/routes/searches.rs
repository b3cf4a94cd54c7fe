//! The searches of a batch (batch items in the service): list and find by page, clear,
//! delete one, delete many.

use axum::Json;
use axum::extract::State;
use batch_proto::v1::{ClearBatchItemsRequest, DeleteBatchItemsRequest, ListBatchItemsRequest};
use serde_json::Value;

use super::{AppState, batch_id, require_batch};
use crate::coerce::{to_text, to_text_list};
use crate::error::{Action, ApiError};
use crate::extract::{ApiKeyParam, Body, Caller, Query, Segments};
use crate::ids::{PageNumber, SearchId};
use crate::json::{Message, SEARCHES_PER_PAGE, SearchPage};
use crate::openapi::{Failures, SEARCHES};

/// Lists one page of 1000 searches; with `q`, only those whose parameters or
/// `custom_id` contain it.
#[utoipa::path(
    get,
    path = "/live/batches/{batch_id}/searches/{page}",
    tag = SEARCHES,
    params(
        ApiKeyParam,
        ("batch_id" = String, Path, description = "Batch id"),
        ("page" = u32, Path, minimum = 1, description = "1-based page of 1000 searches"),
        ("q" = Option<String>, Query, description = "Text to find (case-insensitive)")
    ),
    responses((status = 200, description = "One page of searches", body = SearchPage), Failures)
)]
pub(crate) async fn list_searches(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query,
    Segments((raw, page)): Segments<(String, String)>,
) -> Result<Json<SearchPage>, ApiError> {
    let id = batch_id(&state, &caller, &raw).await?;
    let page = PageNumber::parse(&page)
        .ok_or_else(|| ApiError::BadRequest("page must be a whole number from 1".to_owned()))?;
    let find = query.get("q").map(|q| to_text("q", q)).transpose()?;
    let request = ListBatchItemsRequest {
        batch_id: id.get(),
        page_size: i32::try_from(SEARCHES_PER_PAGE).unwrap_or(i32::MAX),
        page_token: String::new(),
        skip: page.skip(SEARCHES_PER_PAGE),
        query: find.unwrap_or_default(),
    };
    let response = state
        .client()
        .list_batch_items(caller.request(&state.upstream, request))
        .await
        .map_err(|status| ApiError::for_batch(status, Action::ListSearches, &raw))?
        .into_inner();
    Ok(Json(SearchPage::new(
        raw,
        page.get(),
        response.total_size,
        response.items,
    )))
}

/// SerpWow's download links for all searches (JSON). This service keeps no search
/// files: 404 once the batch is found. Page through `/searches/{page}` instead.
#[utoipa::path(
    get,
    path = "/live/batches/{batch_id}/searches/json",
    tag = SEARCHES,
    params(ApiKeyParam, ("batch_id" = String, Path, description = "Batch id")),
    responses(Failures)
)]
pub(crate) async fn download_searches_json(
    State(state): State<AppState>,
    caller: Caller,
    Segments(raw): Segments<String>,
) -> ApiError {
    no_downloads(&state, &caller, &raw).await
}

/// SerpWow's download links for all searches (CSV): 404, as for JSON.
#[utoipa::path(
    get,
    path = "/live/batches/{batch_id}/searches/csv",
    tag = SEARCHES,
    params(ApiKeyParam, ("batch_id" = String, Path, description = "Batch id")),
    responses(Failures)
)]
pub(crate) async fn download_searches_csv(
    State(state): State<AppState>,
    caller: Caller,
    Segments(raw): Segments<String>,
) -> ApiError {
    no_downloads(&state, &caller, &raw).await
}

async fn no_downloads(state: &AppState, caller: &Caller, raw: &str) -> ApiError {
    match require_batch(state, caller, raw).await {
        Ok(()) => ApiError::Unsupported(
            "Search downloads are not available: list the searches with /searches/{page}",
        ),
        Err(error) => error,
    }
}

/// Removes every search of the batch. Refused (409) while it runs.
#[utoipa::path(
    delete,
    path = "/live/batches/{batch_id}/clear",
    tag = SEARCHES,
    params(ApiKeyParam, ("batch_id" = String, Path, description = "Batch id")),
    responses(
        (status = 200, description = "Cleared", body = Message,
            example = json!({"request_info": {"success": true, "message": "Batch searches cleared"}})),
        Failures
    )
)]
pub(crate) async fn clear_searches(
    State(state): State<AppState>,
    caller: Caller,
    Segments(raw): Segments<String>,
) -> Result<Json<Message>, ApiError> {
    let id = batch_id(&state, &caller, &raw).await?;
    let request = ClearBatchItemsRequest { batch_id: id.get() };
    state
        .client()
        .clear_batch_items(caller.request(&state.upstream, request))
        .await
        .map_err(|status| ApiError::for_batch(status, Action::ClearSearches, &raw))?;
    Ok(Json(Message::ok("Batch searches cleared")))
}

/// Deletes one search. Refused (409) while the batch runs.
#[utoipa::path(
    delete,
    path = "/live/batches/{batch_id}/{search_id}",
    tag = SEARCHES,
    params(
        ApiKeyParam,
        ("batch_id" = String, Path, description = "Batch id"),
        ("search_id" = String, Path, description = "Search id")
    ),
    responses(
        (status = 200, description = "Deleted", body = Message,
            example = json!({"request_info": {"success": true, "message": "Search deleted"}})),
        Failures
    )
)]
pub(crate) async fn delete_search(
    State(state): State<AppState>,
    caller: Caller,
    Segments((raw, search)): Segments<(String, String)>,
) -> Result<Json<Message>, ApiError> {
    delete_items(&state, &caller, &raw, vec![search]).await?;
    Ok(Json(Message::ok("Search deleted")))
}

/// Updating one search is not offered by this service: delete it and add it again.
#[utoipa::path(
    put,
    path = "/live/batches/{batch_id}/{search_id}",
    tag = SEARCHES,
    params(
        ApiKeyParam,
        ("batch_id" = String, Path, description = "Batch id"),
        ("search_id" = String, Path, description = "Search id")
    ),
    responses(Failures)
)]
pub(crate) async fn update_search(
    State(state): State<AppState>,
    caller: Caller,
    Segments((raw, _search)): Segments<(String, String)>,
) -> ApiError {
    match require_batch(&state, &caller, &raw).await {
        Ok(()) => {
            ApiError::Unsupported("Updating a search is not supported: delete it and add it again")
        }
        Err(error) => error,
    }
}

/// Deletes the searches listed in the body, a JSON array of search ids; all or none.
#[utoipa::path(
    delete,
    path = "/live/batches/{batch_id}/searches",
    tag = SEARCHES,
    params(ApiKeyParam, ("batch_id" = String, Path, description = "Batch id")),
    request_body(content = Vec<String>, content_type = "application/json",
        example = json!(["7", "8"])),
    responses(
        (status = 200, description = "Deleted", body = Message,
            example = json!({"request_info": {"success": true, "message": "Searches deleted"}})),
        Failures
    )
)]
pub(crate) async fn delete_searches(
    State(state): State<AppState>,
    caller: Caller,
    Segments(raw): Segments<String>,
    Body(body): Body,
) -> Result<Json<Message>, ApiError> {
    let ids = match &body {
        Value::Array(_) | Value::String(_) => to_text_list("search ids", &body)?,
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::Object(_) => Vec::new(),
    };
    if ids.is_empty() {
        return Err(ApiError::BadRequest(
            "The request body must be a JSON array of search ids, e.g. [\"7\",\"8\"]".to_owned(),
        ));
    }
    delete_items(&state, &caller, &raw, ids).await?;
    Ok(Json(Message::ok("Searches deleted")))
}

/// Deletes searches of one batch, answering for ids that cannot exist as the service
/// would for missing ones: the batch's absence first, then the search's.
async fn delete_items(
    state: &AppState,
    caller: &Caller,
    raw: &str,
    search_ids: Vec<String>,
) -> Result<(), ApiError> {
    let id = batch_id(state, caller, raw).await?;
    let mut item_ids = Vec::with_capacity(search_ids.len());
    for search in &search_ids {
        match SearchId::parse(search) {
            Some(item) => item_ids.push(item.get()),
            None => {
                require_batch(state, caller, raw).await?;
                return Err(ApiError::SearchNotFound(search.clone()));
            }
        }
    }
    let request = DeleteBatchItemsRequest {
        batch_id: id.get(),
        item_ids,
    };
    state
        .client()
        .delete_batch_items(caller.request(&state.upstream, request))
        .await
        .map_err(|status| ApiError::for_searches(status, raw, &search_ids))?;
    Ok(())
}
