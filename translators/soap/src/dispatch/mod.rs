//! Each Services86 operation as calls to `batch.v1`.
//!
//! Ids a SOAP client sends are `xs:int`; ids of 0 or below cannot name a batch (the
//! service's ids are positive), so they are never sent: deletes skip them, lookups
//! answer "not found". The credential is still checked in those cases (with a
//! one-row `ListBatches`), so a bad ticket never looks like success.

mod lists;

use lists::owners;

use batch_proto::prost_types::FieldMask;
use batch_proto::v1::{
    CreateBatchRequest, DeleteBatchesRequest, GetBatchRequest, StartBatchRequest, StopBatchRequest,
    UpdateBatchRequest,
};
use tonic::metadata::AsciiMetadataValue;
use translator_common::{CallerClient, CallerSecret, CallerUpstream, Upstream, UpstreamError};

use crate::config::Mode;
use crate::envelope::SoapRequest;
use crate::exception::{ExceptionInfo, Failure};
use crate::mapping::{batch_to_create, batch_update};
use crate::model::{BatchTaskInfo, BatchTaskInfoInput, BatchTaskState};
use crate::operation::Operation;
use crate::writer::{OperationResult, Reply};

/// One caller's view of the service: the upstream bound to its credential and its
/// application token (online mode only), which every call carries. (The trace context
/// travels by itself: the upstream channel's client span continues the request's server
/// span.)
struct Caller(CallerUpstream);

/// Runs one decoded call and says what to answer. Never fails: every problem becomes
/// an in-band `ExceptionInfo`.
pub(crate) async fn execute(upstream: &Upstream, mode: Mode, request: &SoapRequest) -> Reply {
    let outcome = match Caller::new(upstream, mode, request) {
        Ok(caller) => caller.run(&request.operation).await,
        Err(failure) => Err(failure),
    };
    outcome.unwrap_or_else(|failure| {
        let exception = ExceptionInfo::from(&failure);
        let op = request.operation.name().as_str();
        if exception.server_fault {
            tracing::warn!(soap.operation = op, error = ?failure, "SOAP call {op} failed: {}", exception.message);
        } else {
            tracing::info!(soap.operation = op, exception.kind = exception.exception_type, "SOAP call {op} refused: {}", exception.message);
        }
        Reply::failed(exception)
    })
}

impl Caller {
    fn new(upstream: &Upstream, mode: Mode, request: &SoapRequest) -> Result<Self, Failure> {
        let application_token = match mode {
            // On-site installations do not check application tokens (Services86 docs).
            Mode::Onsite => None,
            Mode::Online => {
                let token = request
                    .headers
                    .application_token
                    .as_deref()
                    .map(str::trim)
                    .filter(|token| !token.is_empty())
                    .ok_or(Failure::ApplicationTokenMissing)?;
                Some(
                    AsciiMetadataValue::try_from(token)
                        .map_err(|_| Failure::ApplicationTokenMalformed)?,
                )
            }
        };
        // Pretty-printed XML puts whitespace around the ticket; that is layout, not part
        // of the secret (which CallerSecret compares exactly).
        let ticket = request.headers.ticket.as_deref().map(str::trim);
        let secret = CallerSecret::parse(ticket.unwrap_or("")).map_err(Failure::Credential)?;
        let upstream = upstream.for_caller(&secret);
        Ok(Self(match application_token {
            Some(token) => upstream.with_application_token(token),
            None => upstream,
        }))
    }

    /// A client on the shared channel that calls on behalf of this caller.
    fn client(&self) -> CallerClient {
        self.0.client()
    }

    async fn run(&self, operation: &Operation) -> Result<Reply, Failure> {
        match operation {
            Operation::DeleteBatchTask { id } => self.delete(std::slice::from_ref(id)).await,
            Operation::DeleteBatchTasks { ids } => self.delete(ids).await,
            Operation::GetBatchTaskInfo { id } => {
                let info = self.get(*id).await?;
                Ok(Reply::ok(OperationResult::Info(Box::new(info))))
            }
            Operation::GetBatchTaskInfosByAssociates { associate_ids } => {
                self.list(owners(associate_ids), None, BatchTaskState::All)
                    .await
            }
            Operation::GetBatchTaskInfosByAssociatesAndState {
                associate_ids,
                state,
            } => self.list(owners(associate_ids), None, *state).await,
            Operation::GetBatchTaskInfosByNameAndAssociates {
                name,
                associate_ids,
            } => {
                self.list(
                    owners(associate_ids),
                    Some(name.as_deref()),
                    BatchTaskState::All,
                )
                .await
            }
            Operation::GetBatchTaskInfosByNameAndState { name, state } => {
                self.list(Some(Vec::new()), Some(name.as_deref()), *state)
                    .await
            }
            Operation::GetBatchTaskInfosByState { state } => {
                self.list(Some(Vec::new()), None, *state).await
            }
            Operation::StartBatchJob { info } => self.start(info.as_ref()).await,
            Operation::StopBatchJob { id } => self.stop(*id).await,
            Operation::UpdateBatchTask { info } => {
                let info = info.as_ref().ok_or(Failure::BatchTaskInfoMissing)?;
                let updated = self.update(info).await?;
                Ok(Reply::ok(OperationResult::Info(Box::new(updated))))
            }
        }
    }

    /// Checks the credential without touching any batch, for calls that need no
    /// service answer but must not succeed for a stranger.
    async fn check_credential(&self) -> Result<(), Failure> {
        self.0
            .check_credential()
            .await
            .map_err(UpstreamError::from)?;
        Ok(())
    }

    /// Answers "not found" for an id that cannot exist, after checking the credential.
    async fn missing(&self, id: i32) -> Failure {
        match self.check_credential().await {
            Ok(()) => Failure::BatchTaskNotFound { id },
            Err(failure) => failure,
        }
    }

    /// DeleteBatchTask(s): one atomic `DeleteBatches` with `allow_missing`, so ids that
    /// do not exist (or are another tenant's) are ignored, as SuperOffice does.
    async fn delete(&self, ids: &[i32]) -> Result<Reply, Failure> {
        let wanted: Vec<i64> = ids
            .iter()
            .filter(|id| **id > 0)
            .map(|id| i64::from(*id))
            .collect();
        if wanted.is_empty() && !ids.is_empty() {
            self.check_credential().await?;
            return Ok(Reply::ok(OperationResult::Empty));
        }
        // An empty list goes to the service, which refuses it (INVALID_ARGUMENT).
        let request = DeleteBatchesRequest {
            ids: wanted,
            allow_missing: true,
            force: false,
        };
        self.client()
            .delete_batches(request)
            .await
            .map_err(UpstreamError::from)?;
        Ok(Reply::ok(OperationResult::Empty))
    }

    async fn get(&self, id: i32) -> Result<BatchTaskInfo, Failure> {
        if id <= 0 {
            return Err(self.missing(id).await);
        }
        let batch = self
            .client()
            .get_batch(GetBatchRequest { id: i64::from(id) })
            .await
            .map_err(UpstreamError::from)?
            .into_inner();
        BatchTaskInfo::try_from(&batch).map_err(Failure::Unrepresentable)
    }

    /// StartBatchJob: an existing task (positive `Id`) is queued with `StartBatch`; a
    /// new one (`Id` 0 or absent) is created and queued in one `CreateBatch`. Without a
    /// `BatchTaskInfo` there is nothing to start: an `ArgumentException`, as for
    /// UpdateBatchTask, rather than a nameless batch.
    async fn start(&self, info: Option<&BatchTaskInfoInput>) -> Result<Reply, Failure> {
        let info = info.ok_or(Failure::BatchTaskInfoMissing)?;
        let batch = match info.id.unwrap_or(0) {
            0 => {
                let request = CreateBatchRequest {
                    batch: Some(batch_to_create(info)),
                    start: true,
                };
                self.client().create_batch(request).await
            }
            id if id < 0 => return Err(self.missing(id).await),
            id => {
                let request = StartBatchRequest { id: i64::from(id) };
                self.client().start_batch(request).await
            }
        }
        .map_err(UpstreamError::from)?
        .into_inner();
        let id = i32::try_from(batch.id).map_err(|_| {
            Failure::Unrepresentable(crate::mapping::Unrepresentable {
                id: batch.id,
                field: "id",
            })
        })?;
        Ok(Reply::ok(OperationResult::Int(id)))
    }

    /// StopBatchJob: true when the task was queued or running and is now stopped;
    /// false when it was in no state to stop.
    async fn stop(&self, id: i32) -> Result<Reply, Failure> {
        if id <= 0 {
            return Err(self.missing(id).await);
        }
        let request = StopBatchRequest { id: i64::from(id) };
        match self.client().stop_batch(request).await {
            Ok(_) => Ok(Reply::ok(OperationResult::Bool(true))),
            Err(status) => match UpstreamError::from(status) {
                UpstreamError::FailedPrecondition { .. } => {
                    Ok(Reply::ok(OperationResult::Bool(false)))
                }
                other => Err(other.into()),
            },
        }
    }

    /// UpdateBatchTask: State, Description, Response and Request, those sent. With
    /// nothing to change, the task is returned as it is.
    async fn update(&self, info: &BatchTaskInfoInput) -> Result<BatchTaskInfo, Failure> {
        let id = info.id.unwrap_or(0);
        if id <= 0 {
            return Err(self.missing(id).await);
        }
        let (batch, paths) = batch_update(i64::from(id), info).map_err(Failure::Update)?;
        if paths.is_empty() {
            return self.get(id).await;
        }
        let request = UpdateBatchRequest {
            batch: Some(batch),
            update_mask: Some(FieldMask { paths }),
        };
        let batch = self
            .client()
            .update_batch(request)
            .await
            .map_err(UpstreamError::from)?
            .into_inner();
        BatchTaskInfo::try_from(&batch).map_err(Failure::Unrepresentable)
    }
}
