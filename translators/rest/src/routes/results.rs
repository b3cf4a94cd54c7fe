//! SerpWow's result-set endpoints: list the sets (newest first), get one with its
//! download links (JSON, JSON Lines, CSV), serve the files those links name, and
//! resend a set's webhook. The files are rendered here from `ListResults` pages; their
//! links need the caller's `api_key` like every other route.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use batch_proto::v1::{
    GetResultSetRequest, ListResultSetsRequest, ListResultsRequest, ResendWebhookRequest,
    ResultSet, SearchResult, WebhookStatus,
};
use serde_json::{Map, Value, json};

use super::batch_id;
use crate::download::{self, FilePage, Format, ROWS_PER_PAGE};
use crate::error::{Action, ApiError};
use crate::extract::{ApiKeyParam, Caller, Query, Segments};
use crate::json::{BatchJson, Message, timestamp};
use crate::openapi::{Failures, RESULTS};
use crate::state::AppState;

/// The columns of a result CSV without `csv_fields`.
const DEFAULT_CSV_FIELDS: [&str; 4] = ["id", "custom_id", "success", "result"];

fn set_number(raw: &str) -> Result<i32, ApiError> {
    raw.parse::<i32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::ResultSetNotFound(raw.to_owned()))
}

/// A result set as SerpWow shows it; `webhook_status` is left out when the batch had no
/// webhook.
fn result_set_json(set: &ResultSet) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("id".into(), json!(set.id));
    for (key, time) in [
        ("started_at", &set.start_time),
        ("ended_at", &set.end_time),
        ("expires_at", &set.expire_time),
    ] {
        if let Some(t) = time.as_ref().and_then(timestamp) {
            out.insert(key.into(), json!(t));
        }
    }
    out.insert("results_page_count".into(), json!(set.page_count));
    out.insert("searches_completed".into(), json!(set.searches_completed));
    out.insert("searches_failed".into(), json!(set.searches_failed));
    out.insert("searches_total".into(), json!(set.searches_total));
    let status = match set.webhook_status() {
        WebhookStatus::Unspecified | WebhookStatus::None => None,
        WebhookStatus::Pending => Some("pending"),
        WebhookStatus::Ok => Some("ok"),
        WebhookStatus::Failed => Some("failed"),
    };
    if let Some(status) = status {
        let log: Vec<Value> = set
            .webhook_log
            .iter()
            .map(|l| json!({"date_time": l.time.as_ref().and_then(timestamp), "text": l.text}))
            .collect();
        out.insert(
            "webhook_status".into(),
            json!({"status": status, "log": log}),
        );
    }
    out.insert("destination_status".into(), json!({}));
    out
}

/// The base of this door's own links: `REST_PUBLIC_URL`, else the request's host.
pub(crate) fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// Lists the batch's result sets, newest first.
#[utoipa::path(
    get,
    path = "/live/batches/{batch_id}/results",
    tag = RESULTS,
    params(ApiKeyParam, ("batch_id" = String, Path, description = "Batch id")),
    responses((status = 200, description = "The result sets, newest first"), Failures)
)]
pub(crate) async fn list_results(
    caller: Caller,
    Segments(raw): Segments<String>,
) -> Result<Json<Value>, ApiError> {
    let id = batch_id(&caller, &raw).await?;
    let request = ListResultSetsRequest { batch_id: id.get() };
    let response = caller
        .client()
        .list_result_sets(request)
        .await
        .map_err(|status| ApiError::for_batch(status, Action::GetResults, &raw))?
        .into_inner();
    let results: Vec<Value> = response
        .result_sets
        .iter()
        .map(|s| Value::Object(result_set_json(s)))
        .collect();
    Ok(Json(json!({
        "request_info": {"success": true},
        "batch_id": raw,
        "batch": response.batch.map(BatchJson::from),
        "results_count": results.len(),
        "results": results,
    })))
}

async fn result_set(caller: &Caller, raw: &str, raw_set: &str) -> Result<ResultSet, ApiError> {
    let id = batch_id(caller, raw).await?;
    let number = set_number(raw_set)?;
    let request = GetResultSetRequest {
        batch_id: id.get(),
        result_set_id: number,
    };
    Ok(caller
        .client()
        .get_result_set(request)
        .await
        .map_err(|status| ApiError::for_result_set(status, Action::GetResults, raw, raw_set))?
        .into_inner())
}

/// One set with the download links of `format`.
async fn with_links(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    query: &Map<String, Value>,
    (raw, raw_set): (String, String),
    format: Format,
) -> Result<Json<Value>, ApiError> {
    let set = result_set(caller, &raw, &raw_set).await?;
    let stem = format!(
        "{}/live/batches/{raw}/results/{}/files/{}",
        base_url(state, headers),
        set.id,
        format.as_str()
    );
    let fields = match (format, query.get("csv_fields")) {
        (Format::Csv, Some(v)) => Some(crate::coerce::to_text("csv_fields", v)?),
        _ => None,
    };
    let suffix = fields.filter(|f| !f.is_empty()).map(|f| {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("csv_fields", &f)
            .finish()
    });
    let mut result = result_set_json(&set);
    result.insert(
        "download_links".into(),
        download::links(&stem, i64::from(set.page_count), suffix.as_deref(), true),
    );
    Ok(Json(
        json!({"request_info": {"success": true}, "batch_id": raw, "result": result}),
    ))
}

/// One result set with its JSON download links.
#[utoipa::path(
    get,
    path = "/live/batches/{batch_id}/results/{result_set_id}",
    tag = RESULTS,
    params(
        ApiKeyParam,
        ("batch_id" = String, Path, description = "Batch id"),
        ("result_set_id" = String, Path, description = "Result set id")
    ),
    responses((status = 200, description = "The result set"), Failures)
)]
pub(crate) async fn get_result_set(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Query(query): Query,
    Segments(ids): Segments<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    with_links(&state, &caller, &headers, &query, ids, Format::Json).await
}

/// One result set with its JSON Lines download links.
#[utoipa::path(
    get,
    path = "/live/batches/{batch_id}/results/{result_set_id}/jsonlines",
    tag = RESULTS,
    params(
        ApiKeyParam,
        ("batch_id" = String, Path, description = "Batch id"),
        ("result_set_id" = String, Path, description = "Result set id")
    ),
    responses((status = 200, description = "The result set"), Failures)
)]
pub(crate) async fn get_result_set_jsonlines(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Query(query): Query,
    Segments(ids): Segments<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    with_links(&state, &caller, &headers, &query, ids, Format::JsonLines).await
}

/// One result set with its CSV download links.
#[utoipa::path(
    get,
    path = "/live/batches/{batch_id}/results/{result_set_id}/csv",
    tag = RESULTS,
    params(
        ApiKeyParam,
        ("batch_id" = String, Path, description = "Batch id"),
        ("result_set_id" = String, Path, description = "Result set id"),
        ("csv_fields" = Option<String>, Query, description = "Columns, comma-separated dot paths")
    ),
    responses((status = 200, description = "The result set"), Failures)
)]
pub(crate) async fn get_result_set_csv(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Query(query): Query,
    Segments(ids): Segments<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    with_links(&state, &caller, &headers, &query, ids, Format::Csv).await
}

/// One download file of a result set: page `page` (from 1) or `all`.
#[utoipa::path(
    get,
    path = "/live/batches/{batch_id}/results/{result_set_id}/files/{format}/{page}",
    tag = RESULTS,
    params(
        ApiKeyParam,
        ("batch_id" = String, Path, description = "Batch id"),
        ("result_set_id" = String, Path, description = "Result set id"),
        ("format" = String, Path, description = "json, jsonlines or csv"),
        ("page" = String, Path, description = "1-based page of 1000 results, or all"),
        ("csv_fields" = Option<String>, Query, description = "CSV columns, comma-separated dot paths")
    ),
    responses((status = 200, description = "The file"), Failures)
)]
pub(crate) async fn result_file(
    caller: Caller,
    Query(query): Query,
    Segments((raw, raw_set, raw_format, raw_page)): Segments<(String, String, String, String)>,
) -> Result<Response, ApiError> {
    let id = batch_id(&caller, &raw).await?;
    let number = set_number(&raw_set)?;
    let (Some(format), Some(page)) = (Format::parse(&raw_format), FilePage::parse(&raw_page))
    else {
        return Err(ApiError::NoRoute);
    };
    let csv_fields = match query.get("csv_fields") {
        Some(v) => download::csv_fields(&crate::coerce::to_text("csv_fields", v)?),
        None => Vec::new(),
    };
    let (mut offset, end) = match page {
        FilePage::Number(n) => ((n - 1) * ROWS_PER_PAGE, n * ROWS_PER_PAGE),
        FilePage::All => (0, i64::MAX),
    };
    let mut rows = Vec::new();
    loop {
        let request = ListResultsRequest {
            batch_id: id.get(),
            result_set_id: number,
            offset,
            page_size: i32::try_from(ROWS_PER_PAGE).unwrap_or(1_000),
        };
        let response = caller
            .client()
            .list_results(request)
            .await
            .map_err(|status| ApiError::for_result_set(status, Action::GetResults, &raw, &raw_set))?
            .into_inner();
        let got = response.results.len() as i64;
        rows.extend(response.results.into_iter().map(result_row));
        offset += got;
        if got == 0 || offset >= end || offset >= response.total_size {
            break;
        }
    }
    let defaults: Vec<String> = DEFAULT_CSV_FIELDS.iter().map(|f| (*f).to_owned()).collect();
    let body = download::render(format, &rows, &csv_fields, &defaults);
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(format.content_type()),
        )],
        body,
    )
        .into_response())
}

/// One result as the files show it: the search's id, custom id, success and document.
fn result_row(r: SearchResult) -> Value {
    let document = serde_json::from_str(&r.document_json).unwrap_or(Value::Null);
    let id = if r.item_id > 0 {
        r.item_id.to_string()
    } else {
        String::new()
    };
    json!({"id": id, "custom_id": r.custom_id, "success": r.succeeded, "result": document})
}

/// Sends a result set's completion webhook again (from the service's delivery task).
#[utoipa::path(
    get,
    path = "/live/batches/{batch_id}/results/{result_set_id}/resendwebhook",
    tag = RESULTS,
    params(
        ApiKeyParam,
        ("batch_id" = String, Path, description = "Batch id"),
        ("result_set_id" = String, Path, description = "Result set id")
    ),
    responses(
        (status = 200, description = "Queued", body = Message,
            example = json!({"request_info": {"success": true, "message": "Webhook resent"}})),
        Failures
    )
)]
pub(crate) async fn resend_webhook(
    caller: Caller,
    Segments((raw, raw_set)): Segments<(String, String)>,
) -> Result<Json<Message>, ApiError> {
    let id = batch_id(&caller, &raw).await?;
    let number = set_number(&raw_set)?;
    let request = ResendWebhookRequest {
        batch_id: id.get(),
        result_set_id: number,
    };
    caller
        .client()
        .resend_webhook(request)
        .await
        .map_err(|status| {
            ApiError::for_result_set(status, Action::ResendWebhook, &raw, &raw_set)
        })?;
    Ok(Json(Message::ok("Webhook resent")))
}
