//! What a worker sends about a run: the claim, its progress and its end.

use batch_proto::v1 as pb;

use super::{Violations, batch_id, state};
use crate::domain::{BatchId, BatchState, LongText, RunOutcome, ShortText};
use crate::grpc::error::ApiError;

/// A `ClaimNextBatch`: the worker's name.
pub(crate) fn claim_next_batch(req: pb::ClaimNextBatchRequest) -> Result<ShortText, ApiError> {
    let mut v = Violations::default();
    let worker = v.bounded("worker", req.worker);
    v.finish(worker)
}

/// A `ReportProgress`.
#[derive(Debug)]
pub(crate) struct Progress {
    pub(crate) id: BatchId,
    pub(crate) percent: i32,
    pub(crate) text: LongText,
}

pub(crate) fn report_progress(req: pb::ReportProgressRequest) -> Result<Progress, ApiError> {
    let id = batch_id("id", req.id)?;
    let mut v = Violations::default();
    let percent = v.int_in("progress_percent", req.progress_percent, 0..=100);
    let text = v.bounded("progress_description", req.progress_description);
    v.finish(Progress { id, percent, text })
}

/// A `FinishBatch`.
#[derive(Debug)]
pub(crate) struct Finish {
    pub(crate) id: BatchId,
    pub(crate) outcome: RunOutcome,
    pub(crate) result: LongText,
}

pub(crate) fn finish_batch(req: pb::FinishBatchRequest) -> Result<Finish, ApiError> {
    let id = batch_id("id", req.id)?;
    let outcome = match state("outcome", req.outcome)? {
        BatchState::Succeeded => RunOutcome::Succeeded,
        BatchState::Failed => RunOutcome::Failed,
        BatchState::New | BatchState::Queued | BatchState::Running => {
            return Err(ApiError::invalid("outcome", "must be SUCCEEDED or FAILED"));
        }
    };
    let mut v = Violations::default();
    let result = v.bounded("result", req.result);
    v.finish(Finish {
        id,
        outcome,
        result,
    })
}
