//! The result handlers: upload, list and get result sets, list results, resend the
//! webhook. They read like every handler: authenticate, parse, call storage, convert.

use batch_proto::v1 as pb;
use tonic::{Request, Response};

use super::service::{BatchApi, RpcResult};
use super::{parse, to_proto};
use crate::storage::results;

/// SerpWow keeps result sets this many days.
pub const DEFAULT_RESULT_RETENTION_DAYS: u32 = 14;

pub(crate) fn default_retention() -> chrono::Duration {
    chrono::Duration::days(i64::from(DEFAULT_RESULT_RETENTION_DAYS))
}

pub(super) async fn upload_results(
    api: &BatchApi,
    request: Request<pb::UploadResultsRequest>,
) -> RpcResult<pb::UploadResultsResponse> {
    let (ctx, req) = api.accept(request).await?;
    let upload = parse::upload(req)?;
    let stored_count = api
        .db
        .write(async |conn| {
            let (id, offset) = (upload.batch, upload.offset);
            results::upload(conn, ctx.caller.tenant, id, offset, &upload.results).await
        })
        .await??;
    Ok(Response::new(pb::UploadResultsResponse { stored_count }))
}

pub(super) async fn list_result_sets(
    api: &BatchApi,
    request: Request<pb::ListResultSetsRequest>,
) -> RpcResult<pb::ListResultSetsResponse> {
    let (ctx, req) = api.accept(request).await?;
    let id = parse::batch_id("batch_id", req.batch_id)?;
    let (batch, sets) = api
        .db
        .read(async |conn| results::list_sets(conn, ctx.caller.tenant, id).await)
        .await??;
    Ok(Response::new(pb::ListResultSetsResponse {
        result_sets: sets.into_iter().map(to_proto::result_set).collect(),
        batch: Some(to_proto::batch(batch)),
    }))
}

pub(super) async fn get_result_set(
    api: &BatchApi,
    request: Request<pb::GetResultSetRequest>,
) -> RpcResult<pb::ResultSet> {
    let (ctx, req) = api.accept(request).await?;
    let set = parse::result_set(req.batch_id, req.result_set_id)?;
    let set = api
        .db
        .read(async |conn| results::find_set(conn, ctx.caller.tenant, set.batch, set.number).await)
        .await??;
    Ok(Response::new(to_proto::result_set(set)))
}

pub(super) async fn list_results(
    api: &BatchApi,
    request: Request<pb::ListResultsRequest>,
) -> RpcResult<pb::ListResultsResponse> {
    let (ctx, req) = api.accept(request).await?;
    let page = parse::results_page(req)?;
    let (rows, total_size) = api
        .db
        .read(async |conn| {
            let (id, number) = (page.set.batch, page.set.number);
            let (offset, limit) = (page.offset, page.limit);
            results::list_results(conn, ctx.caller.tenant, id, number, offset, limit).await
        })
        .await??;
    Ok(Response::new(pb::ListResultsResponse {
        results: rows.into_iter().map(to_proto::search_result).collect(),
        total_size,
    }))
}

pub(super) async fn resend_webhook(
    api: &BatchApi,
    request: Request<pb::ResendWebhookRequest>,
) -> RpcResult<pb::ResultSet> {
    let (ctx, req) = api.accept(request).await?;
    let set = parse::result_set(req.batch_id, req.result_set_id)?;
    let set = api
        .db
        .write(async |conn| {
            results::resend_webhook(conn, ctx.caller.tenant, set.batch, set.number).await
        })
        .await??;
    Ok(Response::new(to_proto::result_set(set)))
}
