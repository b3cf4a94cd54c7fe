//! The searches of a batch (batch items in the service): list and find by page, their
//! download links and files (JSON, CSV), update one, clear, delete one, delete many.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use batch_proto::v1::{
    ClearBatchItemsRequest, DeleteBatchItemsRequest, ListBatchItemsRequest, UpdateBatchItemRequest,
};
use serde_json::{Map, Value};

use super::results::base_url;
use super::{batch_id, require_batch};
use crate::coerce::{to_text, to_text_list};
use crate::download::{self, FilePage, Format};
use crate::error::{Action, ApiError};
use crate::extract::{ApiKeyParam, Body, Caller, Query, Segments};
use crate::ids::{PageNumber, SearchId, page_count};
use crate::json::{Message, SEARCHES_PER_PAGE, SearchJson, SearchPage};
use crate::openapi::{Failures, SEARCHES};
use crate::state::AppState;
use crate::values;

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
    caller: Caller,
    Query(query): Query,
    Segments((raw, page)): Segments<(String, String)>,
) -> Result<Json<SearchPage>, ApiError> {
    let id = batch_id(&caller, &raw).await?;
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
    let response = caller
        .client()
        .list_batch_items(request)
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

/// SerpWow's download links for all searches (JSON): one file per page of 1000,
/// served by [`search_file`].
#[utoipa::path(
    get,
    path = "/live/batches/{batch_id}/searches/json",
    tag = SEARCHES,
    params(ApiKeyParam, ("batch_id" = String, Path, description = "Batch id")),
    responses((status = 200, description = "The download links"), Failures)
)]
pub(crate) async fn download_searches_json(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Segments(raw): Segments<String>,
) -> Result<Json<Value>, ApiError> {
    search_links(&state, &caller, &headers, &raw, Format::Json).await
}

/// SerpWow's download links for all searches (CSV).
#[utoipa::path(
    get,
    path = "/live/batches/{batch_id}/searches/csv",
    tag = SEARCHES,
    params(ApiKeyParam, ("batch_id" = String, Path, description = "Batch id")),
    responses((status = 200, description = "The download links"), Failures)
)]
pub(crate) async fn download_searches_csv(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Segments(raw): Segments<String>,
) -> Result<Json<Value>, ApiError> {
    search_links(&state, &caller, &headers, &raw, Format::Csv).await
}

async fn search_links(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    raw: &str,
    format: Format,
) -> Result<Json<Value>, ApiError> {
    let (_, total) = search_page(caller, raw, 0, 1).await?;
    let pages = page_count(total, SEARCHES_PER_PAGE);
    let stem = format!(
        "{}/live/batches/{raw}/searches/files/{}",
        base_url(state, headers),
        format.as_str()
    );
    Ok(Json(serde_json::json!({
        "request_info": {"success": true},
        "batch_id": raw,
        "searches_total_count": total,
        "searches_page_count": pages,
        "download_links": download::links(&stem, pages, None, false),
    })))
}

/// One page (or `all`) of `limit` searches from `skip`, and the batch's search count.
async fn search_page(
    caller: &Caller,
    raw: &str,
    skip: i64,
    limit: u32,
) -> Result<(Vec<SearchJson>, i64), ApiError> {
    let id = batch_id(caller, raw).await?;
    let request = ListBatchItemsRequest {
        batch_id: id.get(),
        page_size: i32::try_from(limit).unwrap_or(i32::MAX),
        page_token: String::new(),
        skip: i32::try_from(skip).unwrap_or(i32::MAX),
        query: String::new(),
    };
    let response = caller
        .client()
        .list_batch_items(request)
        .await
        .map_err(|status| ApiError::for_batch(status, Action::ListSearches, raw))?
        .into_inner();
    let searches = response.items.into_iter().map(SearchJson::from).collect();
    Ok((searches, response.total_size))
}

/// One download file of the batch's searches: page `page` (from 1) or `all`.
#[utoipa::path(
    get,
    path = "/live/batches/{batch_id}/searches/files/{format}/{page}",
    tag = SEARCHES,
    params(
        ApiKeyParam,
        ("batch_id" = String, Path, description = "Batch id"),
        ("format" = String, Path, description = "json or csv"),
        ("page" = String, Path, description = "1-based page of 1000 searches, or all")
    ),
    responses((status = 200, description = "The file"), Failures)
)]
pub(crate) async fn search_file(
    caller: Caller,
    Segments((raw, raw_format, raw_page)): Segments<(String, String, String)>,
) -> Result<Response, ApiError> {
    let (Some(format), Some(page)) = (Format::parse(&raw_format), FilePage::parse(&raw_page))
    else {
        return Err(ApiError::NoRoute);
    };
    let per_page = i64::from(SEARCHES_PER_PAGE);
    let mut rows = Vec::new();
    let (mut skip, end) = match page {
        FilePage::Number(n) => ((n - 1) * per_page, n * per_page),
        FilePage::All => (0, i64::MAX),
    };
    loop {
        let (searches, total) = search_page(&caller, &raw, skip, SEARCHES_PER_PAGE).await?;
        let got = searches.len() as i64;
        rows.extend(
            searches
                .into_iter()
                .map(|s| serde_json::to_value(s).unwrap_or_default()),
        );
        skip += got;
        if got == 0 || skip >= end || skip >= total {
            break;
        }
    }
    // Columns: the ids, then every parameter any search has, in name order.
    let mut columns: Vec<String> = vec!["id".into(), "custom_id".into()];
    let names: BTreeSet<&String> = rows
        .iter()
        .filter_map(Value::as_object)
        .flat_map(|o| o.keys())
        .filter(|k| *k != "id" && *k != "custom_id")
        .collect();
    columns.extend(names.into_iter().cloned());
    let body = download::render(format, &rows, &[], &columns);
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(format.content_type()),
        )],
        body,
    )
        .into_response())
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
    caller: Caller,
    Segments(raw): Segments<String>,
) -> Result<Json<Message>, ApiError> {
    let id = batch_id(&caller, &raw).await?;
    let request = ClearBatchItemsRequest { batch_id: id.get() };
    caller
        .client()
        .clear_batch_items(request)
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
    caller: Caller,
    Segments((raw, search)): Segments<(String, String)>,
) -> Result<Json<Message>, ApiError> {
    delete_items(&caller, &raw, vec![search]).await?;
    Ok(Json(Message::ok("Search deleted")))
}

/// Updates one search: the body's Search API parameters are merged into it (`null`
/// removes one; `custom_id` replaces it). The answer echoes the fields sent, as
/// SerpWow's does. Refused (409) while the batch runs.
#[utoipa::path(
    put,
    path = "/live/batches/{batch_id}/{search_id}",
    tag = SEARCHES,
    params(
        ApiKeyParam,
        ("batch_id" = String, Path, description = "Batch id"),
        ("search_id" = String, Path, description = "Search id")
    ),
    request_body(content = Object, example = json!({"q": "burger king"})),
    responses(
        (status = 200, description = "Updated",
            example = json!({"request_info": {"success": true}, "search": {"q": "burger king"}})),
        Failures
    )
)]
pub(crate) async fn update_search(
    caller: Caller,
    Segments((raw, search)): Segments<(String, String)>,
    Body(body): Body,
) -> Result<Json<Value>, ApiError> {
    let id = batch_id(&caller, &raw).await?;
    let Some(item) = SearchId::parse(&search) else {
        require_batch(&caller, &raw).await?;
        return Err(ApiError::SearchNotFound(search));
    };
    let mut fields = match body {
        Value::Object(fields) => fields,
        Value::Null => Map::new(),
        _ => {
            return Err(ApiError::BadRequest(
                "The request body must be an object of search parameters".to_owned(),
            ));
        }
    };
    // The official clients add these to every body; they are not search parameters.
    for ours in ["source", "app_name", "api_key", "id"] {
        fields.remove(ours);
    }
    let custom_id = fields
        .remove("custom_id")
        .map(|v| to_text("custom_id", &v))
        .transpose()?;
    if fields.is_empty() && custom_id.is_none() {
        return Err(ApiError::BadRequest(
            "The request body names no search parameter to update".to_owned(),
        ));
    }
    let mut echo = fields.clone();
    if let Some(custom_id) = &custom_id {
        echo.insert("custom_id".into(), Value::String(custom_id.clone()));
    }
    let request = UpdateBatchItemRequest {
        batch_id: id.get(),
        item_id: item.get(),
        parameters: Some(values::to_struct(fields)),
        custom_id,
    };
    caller
        .client()
        .update_batch_item(request)
        .await
        .map_err(|status| ApiError::for_search_update(status, &raw, &search))?;
    Ok(Json(
        serde_json::json!({"request_info": {"success": true}, "search": echo}),
    ))
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
    delete_items(&caller, &raw, ids).await?;
    Ok(Json(Message::ok("Searches deleted")))
}

/// Deletes searches of one batch, answering for ids that cannot exist as the service
/// would for missing ones: the batch's absence first, then the search's.
async fn delete_items(caller: &Caller, raw: &str, search_ids: Vec<String>) -> Result<(), ApiError> {
    let id = batch_id(caller, raw).await?;
    let mut item_ids = Vec::with_capacity(search_ids.len());
    for search in &search_ids {
        match SearchId::parse(search) {
            Some(item) => item_ids.push(item.get()),
            None => {
                require_batch(caller, raw).await?;
                return Err(ApiError::SearchNotFound(search.clone()));
            }
        }
    }
    let request = DeleteBatchItemsRequest {
        batch_id: id.get(),
        item_ids,
    };
    caller
        .client()
        .delete_batch_items(request)
        .await
        .map_err(|status| ApiError::for_searches(status, raw, &search_ids))?;
    Ok(())
}
