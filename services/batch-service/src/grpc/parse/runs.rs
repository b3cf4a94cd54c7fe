//! What a worker sends about a run: the claim, its progress and its end.

use batch_proto::v1 as pb;

use super::{Violations, batch_id, state};
use crate::domain::{BatchId, BatchState, TextLimits};
use crate::grpc::error::ApiError;

/// A `ClaimNextBatch`: the worker's name.
pub(crate) fn claim_next_batch(req: pb::ClaimNextBatchRequest) -> Result<String, ApiError> {
    let mut v = Violations::default();
    let worker = v.text("worker", req.worker, TextLimits::SHORT_TEXT);
    v.finish(worker)
}

/// A `ReportProgress`.
#[derive(Debug)]
pub(crate) struct Progress {
    pub(crate) id: BatchId,
    pub(crate) percent: i32,
    pub(crate) text: String,
}

pub(crate) fn report_progress(req: pb::ReportProgressRequest) -> Result<Progress, ApiError> {
    let id = batch_id("id", req.id)?;
    let mut v = Violations::default();
    let percent = v.int_in("progress_percent", req.progress_percent, 0..=100);
    let text = v.text(
        "progress_description",
        req.progress_description,
        TextLimits::LONG_TEXT,
    );
    v.finish(Progress { id, percent, text })
}

/// A `FinishBatch`.
#[derive(Debug)]
pub(crate) struct Finish {
    pub(crate) id: BatchId,
    /// SUCCEEDED or FAILED.
    pub(crate) outcome: BatchState,
    pub(crate) result: String,
}

pub(crate) fn finish_batch(req: pb::FinishBatchRequest) -> Result<Finish, ApiError> {
    let id = batch_id("id", req.id)?;
    let outcome = state("outcome", req.outcome)?;
    if !matches!(outcome, BatchState::Succeeded | BatchState::Failed) {
        return Err(ApiError::invalid("outcome", "must be SUCCEEDED or FAILED"));
    }
    let mut v = Violations::default();
    let result = v.text("result", req.result, TextLimits::LONG_TEXT);
    v.finish(Finish {
        id,
        outcome,
        result,
    })
}
