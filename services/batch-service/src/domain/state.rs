//! The life of a batch and the transitions between its states.

use std::fmt;

/// Where a batch is in its life. Stored as lower-case text, read and written through
/// `FromSql` and `ToSql` (in `storage::columns`), both with [`Self::as_db_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, diesel::expression::AsExpression)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum BatchState {
    New,
    Queued,
    Running,
    Succeeded,
    Failed,
}

impl BatchState {
    pub const ALL: [BatchState; 5] = [
        BatchState::New,
        BatchState::Queued,
        BatchState::Running,
        BatchState::Succeeded,
        BatchState::Failed,
    ];

    /// The spelling in the `batches.state` column.
    pub fn as_db_str(self) -> &'static str {
        match self {
            BatchState::New => "new",
            BatchState::Queued => "queued",
            BatchState::Running => "running",
            BatchState::Succeeded => "succeeded",
            BatchState::Failed => "failed",
        }
    }

    /// Reads the `batches.state` column; the table's CHECK constraint keeps it valid.
    pub fn from_db_str(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_db_str() == raw)
    }

    /// Whether an update may move a batch from `self` to `to`. The dedicated RPCs
    /// (start, stop, claim, finish) follow the same table (see
    /// [`Action::allowed_in`](super::Action::allowed_in)).
    pub fn can_become(self, to: BatchState) -> bool {
        use BatchState::{Failed, New, Queued, Running, Succeeded};
        match (self, to) {
            (from, to) if from == to => true,
            (New | Succeeded | Failed, Queued) => true,
            (Queued, Running) => true,
            (Queued | Running, Failed) => true,
            (Running, Succeeded) => true,
            (Succeeded | Failed, New) => true,
            (New | Queued | Running | Succeeded | Failed, _) => false,
        }
    }
}

/// How a run ends: the states FinishBatch may set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOutcome {
    Succeeded,
    Failed,
}

impl From<RunOutcome> for BatchState {
    fn from(outcome: RunOutcome) -> Self {
        match outcome {
            RunOutcome::Succeeded => BatchState::Succeeded,
            RunOutcome::Failed => BatchState::Failed,
        }
    }
}

impl fmt::Display for BatchState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_db_str())
    }
}

#[cfg(test)]
mod tests {
    use super::BatchState::*;
    use super::*;

    #[test]
    fn db_spelling_round_trips() {
        for state in BatchState::ALL {
            assert_eq!(BatchState::from_db_str(state.as_db_str()), Some(state));
        }
        assert_eq!(BatchState::from_db_str("Started"), None);
    }

    #[test]
    fn a_running_batch_cannot_go_back_to_new_or_queued() {
        assert!(!Running.can_become(New));
        assert!(!Running.can_become(Queued));
        assert!(Running.can_become(Succeeded));
        assert!(Queued.can_become(Running));
        assert!(!New.can_become(Running));
        assert!(!New.can_become(Succeeded));
    }
}
