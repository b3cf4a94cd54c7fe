//! The run handlers: start, stop, and what a worker does (claim, report progress,
//! finish). They read like every handler: authenticate, parse, call storage, convert.

use batch_proto::v1 as pb;
use tonic::{Request, Response};

use super::service::{BatchApi, RpcResult};
use super::{parse, to_proto};
use crate::storage::lifecycle;

pub(super) async fn start_batch(
    api: &BatchApi,
    request: Request<pb::StartBatchRequest>,
) -> RpcResult<pb::Batch> {
    let (ctx, req) = api.accept(request).await?;
    let id = parse::batch_id("id", req.id)?;
    let batch = api
        .db
        .write(async |conn| lifecycle::start(conn, ctx.caller.tenant, id).await)
        .await??;
    Ok(Response::new(to_proto::batch(batch)))
}

pub(super) async fn stop_batch(
    api: &BatchApi,
    request: Request<pb::StopBatchRequest>,
) -> RpcResult<pb::Batch> {
    let (ctx, req) = api.accept(request).await?;
    let id = parse::batch_id("id", req.id)?;
    let batch = api
        .db
        .write(async |conn| lifecycle::stop(conn, ctx.caller.tenant, id).await)
        .await??;
    Ok(Response::new(to_proto::batch(batch)))
}

pub(super) async fn stop_all_batches(
    api: &BatchApi,
    request: Request<pb::StopAllBatchesRequest>,
) -> RpcResult<pb::StopAllBatchesResponse> {
    // The request has no fields: nothing to parse.
    let (ctx, _) = api.accept(request).await?;
    let stopped_ids = api
        .db
        .write(async |conn| lifecycle::stop_all(conn, ctx.caller.tenant).await)
        .await?;
    Ok(Response::new(pb::StopAllBatchesResponse { stopped_ids }))
}

pub(super) async fn claim_next_batch(
    api: &BatchApi,
    request: Request<pb::ClaimNextBatchRequest>,
) -> RpcResult<pb::ClaimNextBatchResponse> {
    let (ctx, req) = api.accept(request).await?;
    let worker = parse::claim_next_batch(req)?;
    let claimed = api
        .db
        .write(async |conn| lifecycle::claim_next(conn, ctx.caller.tenant, worker.as_str()).await)
        .await?;
    Ok(Response::new(pb::ClaimNextBatchResponse {
        batch: claimed.map(to_proto::batch),
    }))
}

pub(super) async fn report_progress(
    api: &BatchApi,
    request: Request<pb::ReportProgressRequest>,
) -> RpcResult<pb::Batch> {
    let (ctx, req) = api.accept(request).await?;
    let progress = parse::report_progress(req)?;
    let batch = api
        .db
        .write(async |conn| {
            let (id, percent) = (progress.id, progress.percent);
            lifecycle::report_progress(conn, ctx.caller.tenant, id, percent, progress.text.as_str())
                .await
        })
        .await??;
    Ok(Response::new(to_proto::batch(batch)))
}

pub(super) async fn finish_batch(
    api: &BatchApi,
    request: Request<pb::FinishBatchRequest>,
) -> RpcResult<pb::Batch> {
    let (ctx, req) = api.accept(request).await?;
    let finish = parse::finish_batch(req)?;
    let retention = api.limits.result_retention;
    let batch = api
        .db
        .write(async |conn| {
            let (id, outcome) = (finish.id, finish.outcome);
            lifecycle::finish(
                conn,
                ctx.caller.tenant,
                id,
                outcome,
                finish.result.as_str(),
                retention,
            )
            .await
        })
        .await??;
    Ok(Response::new(to_proto::batch(batch)))
}
