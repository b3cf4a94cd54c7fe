//! Refusals: well-formed requests that the rules of a batch's life, or the data, turn
//! down. The rules are here; storage applies them under its row locks and returns a
//! [`Refusal`]; the gRPC layer turns each refusal into a status in one place
//! (`grpc/error.rs`).

use super::{BatchId, BatchState};

/// What a caller tried to do, as far as the rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Queue a run (StartBatch, or an update to QUEUED).
    Start,
    /// Stop a queued or running batch.
    Stop,
    /// Make a batch RUNNING through an update.
    Run,
    /// Make a finished batch NEW again through an update.
    Reset,
    ReportProgress,
    /// End a run (FinishBatch, or an update to SUCCEEDED or FAILED).
    Finish,
    UploadResults,
    /// Change a batch's settings.
    Update,
    Delete,
    /// Add, change, delete or clear items.
    ChangeItems,
    ResendWebhook,
}

impl Action {
    /// The action an update performs when it moves a batch to `to`.
    pub fn moving_to(to: BatchState) -> Self {
        match to {
            BatchState::New => Self::Reset,
            BatchState::Queued => Self::Start,
            BatchState::Running => Self::Run,
            BatchState::Succeeded | BatchState::Failed => Self::Finish,
        }
    }

    /// The states a batch must be in for the action (the conditional updates of
    /// storage filter on these). An update's state change follows
    /// [`BatchState::can_become`] instead, and a delete is decided in its statement.
    pub fn allowed_in(self) -> &'static [BatchState] {
        use BatchState::{Failed, New, Queued, Running, Succeeded};
        match self {
            Self::Start => &[New, Succeeded, Failed],
            Self::Stop => &[Queued, Running],
            Self::Run => &[Queued],
            Self::Reset => &[Succeeded, Failed],
            Self::ReportProgress | Self::Finish | Self::UploadResults => &[Running],
            Self::Update | Self::Delete | Self::ChangeItems => &[New, Queued, Succeeded, Failed],
            Self::ResendWebhook => &[New, Queued, Running, Succeeded, Failed],
        }
    }

    /// Settings, items and the batch itself are frozen while it runs: refusing one of
    /// these says "running", not "wrong state".
    fn frozen_while_running(self) -> bool {
        match self {
            Self::Update | Self::Delete | Self::ChangeItems => true,
            Self::Start
            | Self::Stop
            | Self::Run
            | Self::Reset
            | Self::ReportProgress
            | Self::Finish
            | Self::UploadResults
            | Self::ResendWebhook => false,
        }
    }

    /// `Ok` when the action applies to batch `id` in `state`, else the refusal.
    pub fn check(self, id: BatchId, state: BatchState) -> Result<(), Refusal> {
        if self.allowed_in().contains(&state) {
            Ok(())
        } else {
            Err(self.refused(id, state))
        }
    }

    /// Why the action does not apply to batch `id` in `state`.
    pub fn refused(self, id: BatchId, state: BatchState) -> Refusal {
        if state == BatchState::Running && self.frozen_while_running() {
            Refusal::Running {
                action: self,
                ids: vec![id.get()],
            }
        } else {
            Refusal::WrongState {
                action: self,
                id,
                state,
            }
        }
    }
}

/// The kinds of things a request can name that may not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Batch,
    Item,
    ResultSet,
}

/// Why a well-formed request was turned down. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// These ids (batch ids, item ids or result set numbers) do not exist for the
    /// caller.
    #[error("{resource:?} not found: {ids:?}")]
    NotFound { resource: Resource, ids: Vec<i64> },
    /// These batches run, and `action` is frozen while a batch runs.
    #[error("{action:?} refused, running: {ids:?}")]
    Running { action: Action, ids: Vec<i64> },
    /// `action` does not apply to a batch in `state`.
    #[error("{action:?} refused, batch {id} is {state}")]
    WrongState {
        action: Action,
        id: BatchId,
        state: BatchState,
    },
    /// A delete without `force` of batches that have a result set whose webhook failed.
    #[error("delete refused, a webhook failed: {ids:?}")]
    WebhookFailed { ids: Vec<i64> },
    /// A resend for a batch without a notification webhook.
    #[error("resend refused, batch {id} has no webhook")]
    NoWebhook { id: BatchId },
    /// An upload chunk that starts after the `stored` results of the run.
    #[error("upload refused, only {stored} results are stored")]
    ResultsGap { stored: i64 },
}

impl Refusal {
    pub fn batch_not_found(id: BatchId) -> Self {
        Self::NotFound {
            resource: Resource::Batch,
            ids: vec![id.get()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> BatchId {
        BatchId::new(7).unwrap()
    }

    #[test]
    fn frozen_actions_on_a_running_batch_are_refused_as_running() {
        assert_eq!(
            Action::ChangeItems.check(id(), BatchState::Running),
            Err(Refusal::Running {
                action: Action::ChangeItems,
                ids: vec![7]
            })
        );
        assert!(Action::ChangeItems.check(id(), BatchState::Queued).is_ok());
    }

    #[test]
    fn other_actions_in_the_wrong_state_name_the_state() {
        assert_eq!(
            Action::Start.check(id(), BatchState::Running),
            Err(Refusal::WrongState {
                action: Action::Start,
                id: id(),
                state: BatchState::Running
            })
        );
        assert!(Action::Finish.check(id(), BatchState::Running).is_ok());
    }

    #[test]
    fn the_allowed_states_agree_with_the_transition_table() {
        for (action, to) in [
            (Action::Start, BatchState::Queued),
            (Action::Run, BatchState::Running),
            (Action::Reset, BatchState::New),
        ] {
            for from in BatchState::ALL {
                assert_eq!(
                    action.allowed_in().contains(&from),
                    from != to && from.can_become(to),
                    "{action:?} from {from}"
                );
            }
        }
    }
}
