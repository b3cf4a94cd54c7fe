//! `batch.v1.BatchService`: the service value, its limits, authentication of every
//! call, and the trait impl, which hands each RPC to its handler, grouped as `parse`
//! groups requests: `batches`, `runs`, `items` and `results`. Every handler reads the
//! same way: authenticate, parse the request, call storage, convert the answer.

use std::sync::Arc;

use batch_proto::v1::{self as pb, batch_service_server::BatchService};
use tonic::{Request, Response, Status};

use super::auth::{Authenticator, RequestContext};
use super::{batches, items, results, runs};
use crate::storage::grouping::{DeleteQueue, GroupingSettings};
use crate::storage::{Database, PgPool};

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
    pub(super) deletes: DeleteQueue,
    auth: Arc<Authenticator>,
    pub(super) limits: Limits,
}

pub(super) type RpcResult<T> = Result<Response<T>, Status>;

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

    /// Authenticates the call; returns who is calling and the message.
    pub(super) async fn accept<T>(
        &self,
        request: Request<T>,
    ) -> Result<(RequestContext, T), Status> {
        let ctx = self.auth.authenticate(request.metadata()).await?;
        Ok((ctx, request.into_inner()))
    }
}

#[tonic::async_trait]
impl BatchService for BatchApi {
    async fn create_batch(&self, request: Request<pb::CreateBatchRequest>) -> RpcResult<pb::Batch> {
        batches::create_batch(self, request).await
    }

    async fn get_batch(&self, request: Request<pb::GetBatchRequest>) -> RpcResult<pb::Batch> {
        batches::get_batch(self, request).await
    }

    async fn list_batches(
        &self,
        request: Request<pb::ListBatchesRequest>,
    ) -> RpcResult<pb::ListBatchesResponse> {
        batches::list_batches(self, request).await
    }

    async fn update_batch(&self, request: Request<pb::UpdateBatchRequest>) -> RpcResult<pb::Batch> {
        batches::update_batch(self, request).await
    }

    async fn delete_batches(
        &self,
        request: Request<pb::DeleteBatchesRequest>,
    ) -> RpcResult<pb::DeleteBatchesResponse> {
        batches::delete_batches(self, request).await
    }

    async fn start_batch(&self, request: Request<pb::StartBatchRequest>) -> RpcResult<pb::Batch> {
        runs::start_batch(self, request).await
    }

    async fn stop_batch(&self, request: Request<pb::StopBatchRequest>) -> RpcResult<pb::Batch> {
        runs::stop_batch(self, request).await
    }

    async fn stop_all_batches(
        &self,
        request: Request<pb::StopAllBatchesRequest>,
    ) -> RpcResult<pb::StopAllBatchesResponse> {
        runs::stop_all_batches(self, request).await
    }

    async fn claim_next_batch(
        &self,
        request: Request<pb::ClaimNextBatchRequest>,
    ) -> RpcResult<pb::ClaimNextBatchResponse> {
        runs::claim_next_batch(self, request).await
    }

    async fn report_progress(
        &self,
        request: Request<pb::ReportProgressRequest>,
    ) -> RpcResult<pb::Batch> {
        runs::report_progress(self, request).await
    }

    async fn finish_batch(&self, request: Request<pb::FinishBatchRequest>) -> RpcResult<pb::Batch> {
        runs::finish_batch(self, request).await
    }

    async fn add_batch_items(
        &self,
        request: Request<pb::AddBatchItemsRequest>,
    ) -> RpcResult<pb::AddBatchItemsResponse> {
        items::add_batch_items(self, request).await
    }

    async fn list_batch_items(
        &self,
        request: Request<pb::ListBatchItemsRequest>,
    ) -> RpcResult<pb::ListBatchItemsResponse> {
        items::list_batch_items(self, request).await
    }

    async fn delete_batch_items(
        &self,
        request: Request<pb::DeleteBatchItemsRequest>,
    ) -> RpcResult<pb::DeleteBatchItemsResponse> {
        items::delete_batch_items(self, request).await
    }

    async fn clear_batch_items(
        &self,
        request: Request<pb::ClearBatchItemsRequest>,
    ) -> RpcResult<pb::ClearBatchItemsResponse> {
        items::clear_batch_items(self, request).await
    }

    async fn update_batch_item(
        &self,
        request: Request<pb::UpdateBatchItemRequest>,
    ) -> RpcResult<pb::BatchItem> {
        items::update_batch_item(self, request).await
    }

    async fn upload_results(
        &self,
        request: Request<pb::UploadResultsRequest>,
    ) -> RpcResult<pb::UploadResultsResponse> {
        results::upload_results(self, request).await
    }

    async fn list_result_sets(
        &self,
        request: Request<pb::ListResultSetsRequest>,
    ) -> RpcResult<pb::ListResultSetsResponse> {
        results::list_result_sets(self, request).await
    }

    async fn get_result_set(
        &self,
        request: Request<pb::GetResultSetRequest>,
    ) -> RpcResult<pb::ResultSet> {
        results::get_result_set(self, request).await
    }

    async fn list_results(
        &self,
        request: Request<pb::ListResultsRequest>,
    ) -> RpcResult<pb::ListResultsResponse> {
        results::list_results(self, request).await
    }

    async fn resend_webhook(
        &self,
        request: Request<pb::ResendWebhookRequest>,
    ) -> RpcResult<pb::ResultSet> {
        results::resend_webhook(self, request).await
    }
}
