//! `batch.v1.BatchService`: each handler authenticates, converts the request, calls
//! storage and converts the answer. The rules themselves live in storage (atomic SQL)
//! and domain (what is valid).

use std::sync::Arc;

use batch_proto::v1::{self as pb, batch_service_server::BatchService};
use tonic::{Request, Response, Status};

use super::auth::{Authenticator, RequestContext};
use super::convert::{self, batch_id, batch_to_proto, item_id, state_from_proto};
use super::error::ApiError;
use super::items::{item_to_proto, new_items};
use super::paging;
use crate::domain::{BatchState, Refusal, TextLimits};
use crate::metrics::DeleteOutcome as DeleteMetric;
use crate::storage::delete::DeleteRequest;
use crate::storage::grouping::{DeleteQueue, GroupingSettings};
use crate::storage::{Database, PgPool, batches, items, lifecycle};

/// Default for [`Limits::max_delete_ids`].
pub const DEFAULT_MAX_DELETE_IDS: usize = 10_000;

/// Request-size and grouping limits that operators may tune.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most ids one `DeleteBatches` call may name.
    pub max_delete_ids: usize,
    /// How concurrent deletes are grouped into statements.
    pub delete_grouping: GroupingSettings,
    /// How long a finished run's result set is kept.
    pub result_retention: chrono::Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_delete_ids: DEFAULT_MAX_DELETE_IDS,
            delete_grouping: GroupingSettings::default(),
            result_retention: super::results::default_retention(),
        }
    }
}

/// The service implementation; cheap to clone.
#[derive(Debug, Clone)]
pub struct BatchApi {
    pub(super) db: Database,
    deletes: DeleteQueue,
    auth: Arc<Authenticator>,
    pub(super) limits: Limits,
}

type RpcResult<T> = Result<Response<T>, Status>;

fn respond<T>(result: Result<T, ApiError>) -> RpcResult<T> {
    result.map(Response::new).map_err(Status::from)
}

impl BatchApi {
    /// Starts the delete grouping on the current tokio runtime.
    pub fn new(pool: PgPool, auth: Arc<Authenticator>, limits: Limits) -> Self {
        let db = Database::new(pool);
        let grouping = GroupingSettings {
            max_ids: limits.max_delete_ids,
            ..limits.delete_grouping
        };
        Self {
            deletes: DeleteQueue::start(db.clone(), grouping),
            db,
            auth,
            limits,
        }
    }

    pub(super) async fn accept<T>(
        &self,
        request: Request<T>,
    ) -> Result<(RequestContext, T), Status> {
        let ctx = self.auth.authenticate(request.metadata()).await?;
        Ok((ctx, request.into_inner()))
    }

    async fn delete(
        &self,
        ctx: RequestContext,
        req: pb::DeleteBatchesRequest,
    ) -> Result<pb::DeleteBatchesResponse, ApiError> {
        let ids = convert::delete_ids(&req.ids, self.limits.max_delete_ids)?;
        let request = DeleteRequest::new(
            ctx.caller,
            ids,
            req.allow_missing,
            req.force,
            ctx.door,
            ctx.trace_id,
        );
        let deleted_ids = self.deletes.delete(request).await??;
        // Debug, not info: this is the hot path, and a bulk delete lists
        // thousands of ids. The audit table is the record of deletes.
        tracing::debug!(
            tenant.id = ctx.caller.tenant.0,
            batch.ids = ?deleted_ids,
            door = ctx.door,
            "deleted {} batches",
            deleted_ids.len()
        );
        Ok(pb::DeleteBatchesResponse { deleted_ids })
    }

    async fn list(
        &self,
        ctx: RequestContext,
        req: pb::ListBatchesRequest,
    ) -> Result<pb::ListBatchesResponse, ApiError> {
        let print = paging::fingerprint(&pb::ListBatchesRequest {
            page_size: 0,
            page_token: String::new(),
            skip: 0,
            ..req.clone()
        });
        let query = paging::list_batches(req, &print)?;
        let (records, total) = self
            .db
            .read(async |conn| batches::list(conn, ctx.caller.tenant, &query).await)
            .await?;
        let page = paging::Page {
            offset: query.offset,
            limit: query.limit,
        };
        Ok(pb::ListBatchesResponse {
            batches: records.into_iter().map(batch_to_proto).collect(),
            next_page_token: page.next_token(total, &print),
            total_size: total,
        })
    }

    async fn update(
        &self,
        ctx: RequestContext,
        req: pb::UpdateBatchRequest,
    ) -> Result<pb::Batch, ApiError> {
        let patch = convert::update_request(req)?;
        let record = self
            .db
            .write(async |conn| batches::update(conn, ctx.caller.tenant, &patch).await)
            .await??;
        Ok(batch_to_proto(record))
    }

    async fn list_items(
        &self,
        ctx: RequestContext,
        req: pb::ListBatchItemsRequest,
    ) -> Result<pb::ListBatchItemsResponse, ApiError> {
        let id = batch_id("batch_id", req.batch_id)?;
        let mut v = convert::Violations::default();
        let print = paging::fingerprint(&pb::ListBatchItemsRequest {
            page_size: 0,
            page_token: String::new(),
            skip: 0,
            ..req.clone()
        });
        let page = paging::page(
            &mut v,
            req.page_size,
            1_000,
            &req.page_token,
            req.skip,
            &print,
        );
        let query = v.text("query", req.query, TextLimits::SHORT_TEXT);
        v.finish(())?;
        let query = (!query.is_empty()).then_some(query.as_str());
        let (records, total) = self
            .db
            .read(async |conn| {
                items::list(conn, ctx.caller.tenant, id, query, page.limit, page.offset).await
            })
            .await??;
        Ok(pb::ListBatchItemsResponse {
            items: records.into_iter().map(item_to_proto).collect(),
            next_page_token: page.next_token(total, &print),
            total_size: total,
        })
    }
}

#[tonic::async_trait]
impl BatchService for BatchApi {
    async fn create_batch(&self, request: Request<pb::CreateBatchRequest>) -> RpcResult<pb::Batch> {
        let (ctx, req) = self.accept(request).await?;
        respond(
            async {
                let (batch, start) = convert::create_request(req)?;
                let record = self
                    .db
                    .write(async |conn| {
                        batches::create(conn, ctx.caller.tenant, &batch, start).await
                    })
                    .await?;
                Ok(batch_to_proto(record))
            }
            .await,
        )
    }

    async fn get_batch(&self, request: Request<pb::GetBatchRequest>) -> RpcResult<pb::Batch> {
        let (ctx, req) = self.accept(request).await?;
        respond(
            async {
                let id = batch_id("id", req.id)?;
                let record = self
                    .db
                    .read(async |conn| batches::find(conn, ctx.caller.tenant, id).await)
                    .await?
                    .ok_or_else(|| Refusal::batch_not_found(id))?;
                Ok(batch_to_proto(record))
            }
            .await,
        )
    }

    async fn list_batches(
        &self,
        request: Request<pb::ListBatchesRequest>,
    ) -> RpcResult<pb::ListBatchesResponse> {
        let (ctx, req) = self.accept(request).await?;
        respond(self.list(ctx, req).await)
    }

    async fn update_batch(&self, request: Request<pb::UpdateBatchRequest>) -> RpcResult<pb::Batch> {
        let (ctx, req) = self.accept(request).await?;
        respond(self.update(ctx, req).await)
    }

    async fn delete_batches(
        &self,
        request: Request<pb::DeleteBatchesRequest>,
    ) -> RpcResult<pb::DeleteBatchesResponse> {
        let (ctx, req) = self.accept(request).await?;
        let door = ctx.door;
        let result = self.delete(ctx, req).await;
        let (outcome, deleted) = match &result {
            Ok(response) => (DeleteMetric::Deleted, response.deleted_ids.len()),
            Err(ApiError::Refused(Refusal::Running { .. })) => (DeleteMetric::Running, 0),
            Err(ApiError::Refused(Refusal::NotFound { .. })) => (DeleteMetric::Missing, 0),
            Err(ApiError::InvalidArgument(_)) => (DeleteMetric::Invalid, 0),
            Err(ApiError::Refused(Refusal::WebhookFailed { .. })) => {
                (DeleteMetric::WebhookFailed, 0)
            }
            Err(
                ApiError::Refused(
                    Refusal::WrongState { .. }
                    | Refusal::NoWebhook { .. }
                    | Refusal::ResultsGap { .. },
                )
                | ApiError::Conflict { .. }
                | ApiError::Unauthenticated(_)
                | ApiError::Unavailable(_)
                | ApiError::Internal(_),
            ) => (DeleteMetric::Failed, 0),
        };
        crate::metrics::record_delete(door, outcome, deleted);
        respond(result)
    }

    async fn start_batch(&self, request: Request<pb::StartBatchRequest>) -> RpcResult<pb::Batch> {
        let (ctx, req) = self.accept(request).await?;
        respond(
            async {
                let id = batch_id("id", req.id)?;
                let t = self
                    .db
                    .write(async |conn| lifecycle::start(conn, ctx.caller.tenant, id).await)
                    .await??;
                Ok(batch_to_proto(t))
            }
            .await,
        )
    }

    async fn stop_batch(&self, request: Request<pb::StopBatchRequest>) -> RpcResult<pb::Batch> {
        let (ctx, req) = self.accept(request).await?;
        respond(
            async {
                let id = batch_id("id", req.id)?;
                let t = self
                    .db
                    .write(async |conn| lifecycle::stop(conn, ctx.caller.tenant, id).await)
                    .await??;
                Ok(batch_to_proto(t))
            }
            .await,
        )
    }

    async fn stop_all_batches(
        &self,
        request: Request<pb::StopAllBatchesRequest>,
    ) -> RpcResult<pb::StopAllBatchesResponse> {
        let (ctx, _req) = self.accept(request).await?;
        respond(
            async {
                let stopped_ids = self
                    .db
                    .write(async |conn| lifecycle::stop_all(conn, ctx.caller.tenant).await)
                    .await?;
                Ok(pb::StopAllBatchesResponse { stopped_ids })
            }
            .await,
        )
    }

    async fn claim_next_batch(
        &self,
        request: Request<pb::ClaimNextBatchRequest>,
    ) -> RpcResult<pb::ClaimNextBatchResponse> {
        let (ctx, req) = self.accept(request).await?;
        respond(
            async {
                let mut v = convert::Violations::default();
                let worker = v.text("worker", req.worker, TextLimits::SHORT_TEXT);
                v.finish(())?;
                let claimed = self
                    .db
                    .write(async |conn| {
                        lifecycle::claim_next(conn, ctx.caller.tenant, &worker).await
                    })
                    .await?;
                Ok(pb::ClaimNextBatchResponse {
                    batch: claimed.map(batch_to_proto),
                })
            }
            .await,
        )
    }

    async fn report_progress(
        &self,
        request: Request<pb::ReportProgressRequest>,
    ) -> RpcResult<pb::Batch> {
        let (ctx, req) = self.accept(request).await?;
        respond(
            async {
                let id = batch_id("id", req.id)?;
                let mut v = convert::Violations::default();
                let percent = v.int_in("progress_percent", req.progress_percent, 0..=100);
                let text = v.text(
                    "progress_description",
                    req.progress_description,
                    TextLimits::LONG_TEXT,
                );
                v.finish(())?;
                let t = self
                    .db
                    .write(async |conn| {
                        lifecycle::report_progress(conn, ctx.caller.tenant, id, percent, &text)
                            .await
                    })
                    .await??;
                Ok(batch_to_proto(t))
            }
            .await,
        )
    }

    async fn finish_batch(&self, request: Request<pb::FinishBatchRequest>) -> RpcResult<pb::Batch> {
        let (ctx, req) = self.accept(request).await?;
        respond(
            async {
                let id = batch_id("id", req.id)?;
                let outcome = state_from_proto("outcome", req.outcome)?;
                if !matches!(outcome, BatchState::Succeeded | BatchState::Failed) {
                    return Err(ApiError::invalid("outcome", "must be SUCCEEDED or FAILED"));
                }
                let mut v = convert::Violations::default();
                let result = v.text("result", req.result, TextLimits::LONG_TEXT);
                v.finish(())?;
                let t = self
                    .db
                    .write(async |conn| {
                        lifecycle::finish(
                            conn,
                            ctx.caller.tenant,
                            id,
                            outcome,
                            &result,
                            self.limits.result_retention,
                        )
                        .await
                    })
                    .await??;
                Ok(batch_to_proto(t))
            }
            .await,
        )
    }

    async fn add_batch_items(
        &self,
        request: Request<pb::AddBatchItemsRequest>,
    ) -> RpcResult<pb::AddBatchItemsResponse> {
        let (ctx, req) = self.accept(request).await?;
        respond(
            async {
                let id = batch_id("batch_id", req.batch_id)?;
                let new = new_items(req.items)?;
                let (records, batch) = self
                    .db
                    .write(async |conn| items::add(conn, ctx.caller.tenant, id, &new).await)
                    .await??;
                Ok(pb::AddBatchItemsResponse {
                    items: records.into_iter().map(item_to_proto).collect(),
                    batch: Some(batch_to_proto(batch)),
                })
            }
            .await,
        )
    }

    async fn list_batch_items(
        &self,
        request: Request<pb::ListBatchItemsRequest>,
    ) -> RpcResult<pb::ListBatchItemsResponse> {
        let (ctx, req) = self.accept(request).await?;
        respond(self.list_items(ctx, req).await)
    }

    async fn delete_batch_items(
        &self,
        request: Request<pb::DeleteBatchItemsRequest>,
    ) -> RpcResult<pb::DeleteBatchItemsResponse> {
        let (ctx, req) = self.accept(request).await?;
        respond(
            async {
                let id = batch_id("batch_id", req.batch_id)?;
                if req.item_ids.is_empty() || req.item_ids.len() > super::items::MAX_ITEMS_PER_CALL
                {
                    return Err(ApiError::invalid("item_ids", "must hold 1 to 1000 ids"));
                }
                let item_ids = req
                    .item_ids
                    .iter()
                    .enumerate()
                    .map(|(i, raw)| item_id(&format!("item_ids[{i}]"), *raw))
                    .collect::<Result<Vec<_>, _>>()?;
                let deleted_item_ids = self
                    .db
                    .write(async |conn| items::delete(conn, ctx.caller.tenant, id, &item_ids).await)
                    .await??;
                Ok(pb::DeleteBatchItemsResponse { deleted_item_ids })
            }
            .await,
        )
    }

    async fn clear_batch_items(
        &self,
        request: Request<pb::ClearBatchItemsRequest>,
    ) -> RpcResult<pb::ClearBatchItemsResponse> {
        let (ctx, req) = self.accept(request).await?;
        respond(
            async {
                let id = batch_id("batch_id", req.batch_id)?;
                let deleted_count = self
                    .db
                    .write(async |conn| items::clear(conn, ctx.caller.tenant, id).await)
                    .await??;
                Ok(pb::ClearBatchItemsResponse { deleted_count })
            }
            .await,
        )
    }

    async fn update_batch_item(
        &self,
        request: Request<pb::UpdateBatchItemRequest>,
    ) -> RpcResult<pb::BatchItem> {
        self.update_item(request).await.map(Response::new)
    }

    async fn upload_results(
        &self,
        request: Request<pb::UploadResultsRequest>,
    ) -> RpcResult<pb::UploadResultsResponse> {
        self.upload_chunk(request).await.map(Response::new)
    }

    async fn list_result_sets(
        &self,
        request: Request<pb::ListResultSetsRequest>,
    ) -> RpcResult<pb::ListResultSetsResponse> {
        self.result_sets(request).await.map(Response::new)
    }

    async fn get_result_set(
        &self,
        request: Request<pb::GetResultSetRequest>,
    ) -> RpcResult<pb::ResultSet> {
        self.result_set(request).await.map(Response::new)
    }

    async fn list_results(
        &self,
        request: Request<pb::ListResultsRequest>,
    ) -> RpcResult<pb::ListResultsResponse> {
        self.results_page(request).await.map(Response::new)
    }

    async fn resend_webhook(
        &self,
        request: Request<pb::ResendWebhookRequest>,
    ) -> RpcResult<pb::ResultSet> {
        self.resend(request).await.map(Response::new)
    }
}
