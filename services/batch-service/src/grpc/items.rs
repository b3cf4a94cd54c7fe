//! The item handlers: add, list, delete, clear, and update one. They read like every
//! handler: authenticate, parse, call storage, convert.

use batch_proto::v1 as pb;
use tonic::{Request, Response};

use super::service::{BatchApi, RpcResult};
use super::{parse, to_proto};
use crate::domain::ShortText;
use crate::storage::items;

pub(super) async fn add_batch_items(
    api: &BatchApi,
    request: Request<pb::AddBatchItemsRequest>,
) -> RpcResult<pb::AddBatchItemsResponse> {
    let (ctx, req) = api.accept(request).await?;
    let add = parse::add_batch_items(req)?;
    let (items, batch) = api
        .db
        .write(async |conn| items::add(conn, ctx.caller.tenant, add.batch, &add.items).await)
        .await??;
    Ok(Response::new(pb::AddBatchItemsResponse {
        items: items.into_iter().map(to_proto::item).collect(),
        batch: Some(to_proto::batch(batch)),
    }))
}

pub(super) async fn list_batch_items(
    api: &BatchApi,
    request: Request<pb::ListBatchItemsRequest>,
) -> RpcResult<pb::ListBatchItemsResponse> {
    let (ctx, req) = api.accept(request).await?;
    let list = parse::list_batch_items(req)?;
    let (items, total) = api
        .db
        .read(async |conn| {
            let (query, page) = (list.query.as_ref().map(ShortText::as_str), list.page);
            items::list(
                conn,
                ctx.caller.tenant,
                list.batch,
                query,
                page.limit,
                page.offset,
            )
            .await
        })
        .await??;
    Ok(Response::new(pb::ListBatchItemsResponse {
        items: items.into_iter().map(to_proto::item).collect(),
        next_page_token: list.page.next_token(total, &list.fingerprint),
        total_size: total,
    }))
}

pub(super) async fn delete_batch_items(
    api: &BatchApi,
    request: Request<pb::DeleteBatchItemsRequest>,
) -> RpcResult<pb::DeleteBatchItemsResponse> {
    let (ctx, req) = api.accept(request).await?;
    let delete = parse::delete_batch_items(req)?;
    let deleted_item_ids = api
        .db
        .write(async |conn| {
            items::delete(conn, ctx.caller.tenant, delete.batch, &delete.items).await
        })
        .await??;
    Ok(Response::new(pb::DeleteBatchItemsResponse {
        deleted_item_ids,
    }))
}

pub(super) async fn clear_batch_items(
    api: &BatchApi,
    request: Request<pb::ClearBatchItemsRequest>,
) -> RpcResult<pb::ClearBatchItemsResponse> {
    let (ctx, req) = api.accept(request).await?;
    let id = parse::batch_id("batch_id", req.batch_id)?;
    let deleted_count = api
        .db
        .write(async |conn| items::clear(conn, ctx.caller.tenant, id).await)
        .await??;
    Ok(Response::new(pb::ClearBatchItemsResponse { deleted_count }))
}

pub(super) async fn update_batch_item(
    api: &BatchApi,
    request: Request<pb::UpdateBatchItemRequest>,
) -> RpcResult<pb::BatchItem> {
    let (ctx, req) = api.accept(request).await?;
    let update = parse::update_batch_item(req)?;
    let item = api
        .db
        .write(async |conn| {
            let (id, item) = (update.batch, update.item);
            let custom_id = update.custom_id.as_ref().map(ShortText::as_str);
            items::update(
                conn,
                ctx.caller.tenant,
                id,
                item,
                &update.parameters,
                custom_id,
            )
            .await
        })
        .await??;
    Ok(Response::new(to_proto::item(item)))
}
