//! The batch handlers: create, get, list, update, delete. Like every handler they
//! authenticate, parse the request (`parse`), call storage and convert the answer
//! (`to_proto`); `?` turns each failure into its status through the map in `error`.

use batch_proto::v1 as pb;
use tonic::{Request, Response};

use super::auth::RequestContext;
use super::error::ApiError;
use super::service::{BatchApi, RpcResult};
use super::{parse, to_proto};
use crate::domain::Refusal;
use crate::metrics::DeleteOutcome as DeleteMetric;
use crate::storage::batches;
use crate::storage::delete::DeleteRequest;

pub(super) async fn create_batch(
    api: &BatchApi,
    request: Request<pb::CreateBatchRequest>,
) -> RpcResult<pb::Batch> {
    let (ctx, req) = api.accept(request).await?;
    let create = parse::create_batch(req)?;
    let batch = api
        .db
        .write(async |conn| {
            batches::create(conn, ctx.caller.tenant, &create.batch, create.start).await
        })
        .await?;
    Ok(Response::new(to_proto::batch(batch)))
}

pub(super) async fn get_batch(
    api: &BatchApi,
    request: Request<pb::GetBatchRequest>,
) -> RpcResult<pb::Batch> {
    let (ctx, req) = api.accept(request).await?;
    let id = parse::batch_id("id", req.id)?;
    let batch = api
        .db
        .read(async |conn| batches::find(conn, ctx.caller.tenant, id).await)
        .await?
        .ok_or_else(|| Refusal::batch_not_found(id))?;
    Ok(Response::new(to_proto::batch(batch)))
}

pub(super) async fn list_batches(
    api: &BatchApi,
    request: Request<pb::ListBatchesRequest>,
) -> RpcResult<pb::ListBatchesResponse> {
    let (ctx, req) = api.accept(request).await?;
    let list = parse::list_batches(req)?;
    let (batches, total) = api
        .db
        .read(async |conn| batches::list(conn, ctx.caller.tenant, &list.query).await)
        .await?;
    Ok(Response::new(pb::ListBatchesResponse {
        batches: batches.into_iter().map(to_proto::batch).collect(),
        next_page_token: list.page().next_token(total, &list.fingerprint),
        total_size: total,
    }))
}

pub(super) async fn update_batch(
    api: &BatchApi,
    request: Request<pb::UpdateBatchRequest>,
) -> RpcResult<pb::Batch> {
    let (ctx, req) = api.accept(request).await?;
    let patch = parse::update_batch(req)?;
    let batch = api
        .db
        .write(async |conn| batches::update(conn, ctx.caller.tenant, &patch).await)
        .await??;
    Ok(Response::new(to_proto::batch(batch)))
}

pub(super) async fn delete_batches(
    api: &BatchApi,
    request: Request<pb::DeleteBatchesRequest>,
) -> RpcResult<pb::DeleteBatchesResponse> {
    let (ctx, req) = api.accept(request).await?;
    let door = ctx.door;
    let deleted = delete(api, ctx, req).await;
    let count = deleted.as_ref().map_or(0, Vec::len);
    crate::metrics::record_delete(door, delete_metric(&deleted), count);
    Ok(Response::new(pb::DeleteBatchesResponse {
        deleted_ids: deleted?,
    }))
}

/// Parses and runs a delete; the caller counts the outcome.
async fn delete(
    api: &BatchApi,
    ctx: RequestContext,
    req: pb::DeleteBatchesRequest,
) -> Result<Vec<i64>, ApiError> {
    let delete = parse::delete_batches(req, api.limits.max_delete_ids)?;
    let request = DeleteRequest::new(
        ctx.caller,
        delete.ids,
        delete.allow_missing,
        delete.force,
        ctx.door,
        ctx.trace_id,
    );
    let deleted_ids = api.deletes.delete(request).await??;
    // Debug, not info: this is the hot path, and a bulk delete lists
    // thousands of ids. The audit table is the record of deletes.
    tracing::debug!(
        tenant.id = ctx.caller.tenant.0,
        batch.ids = ?deleted_ids,
        door = ctx.door,
        "deleted {} batches",
        deleted_ids.len()
    );
    Ok(deleted_ids)
}

/// How a delete ended, for the metrics.
fn delete_metric(result: &Result<Vec<i64>, ApiError>) -> DeleteMetric {
    match result {
        Ok(_) => DeleteMetric::Deleted,
        Err(ApiError::Refused(Refusal::Running { .. })) => DeleteMetric::Running,
        Err(ApiError::Refused(Refusal::NotFound { .. })) => DeleteMetric::Missing,
        Err(ApiError::Refused(Refusal::WebhookFailed { .. })) => DeleteMetric::WebhookFailed,
        Err(ApiError::InvalidArgument(_)) => DeleteMetric::Invalid,
        Err(
            ApiError::Refused(
                Refusal::WrongState { .. } | Refusal::NoWebhook { .. } | Refusal::ResultsGap { .. },
            )
            | ApiError::Conflict { .. }
            | ApiError::Unauthenticated(_)
            | ApiError::Unavailable(_)
            | ApiError::Internal(_),
        ) => DeleteMetric::Failed,
    }
}
