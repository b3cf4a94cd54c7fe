//! SerpWow's words for schedules, priorities and statuses, and the `batch.v1` enums they
//! stand for. Each word type parses what callers send and serializes what SerpWow shows.

use batch_proto::v1::{BatchState, Priority, ScheduleType};
use serde::Serialize;
use utoipa::ToSchema;

/// How often a batch runs by itself (`schedule_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ScheduleKind {
    Manual,
    Minutes,
    Hourly,
    Daily,
    Weekly,
    Monthly,
}

impl ScheduleKind {
    /// The accepted words, for error messages.
    pub(crate) const WORDS: &str = "manual, minutes, hourly, daily, weekly or monthly";

    /// Case-insensitive; the empty word is the default, `manual`.
    pub(crate) fn parse(word: &str) -> Option<Self> {
        match word.trim().to_ascii_lowercase().as_str() {
            "" | "manual" => Some(Self::Manual),
            "minutes" => Some(Self::Minutes),
            "hourly" => Some(Self::Hourly),
            "daily" => Some(Self::Daily),
            "weekly" => Some(Self::Weekly),
            "monthly" => Some(Self::Monthly),
            _ => None,
        }
    }

    pub(crate) fn to_proto(self) -> ScheduleType {
        match self {
            Self::Manual => ScheduleType::Manual,
            Self::Minutes => ScheduleType::Minutes,
            Self::Hourly => ScheduleType::Hourly,
            Self::Daily => ScheduleType::Daily,
            Self::Weekly => ScheduleType::Weekly,
            Self::Monthly => ScheduleType::Monthly,
        }
    }

    /// UNSPECIFIED means MANUAL (proto comment).
    pub(crate) fn from_proto(schedule_type: ScheduleType) -> Self {
        match schedule_type {
            ScheduleType::Unspecified | ScheduleType::Manual => Self::Manual,
            ScheduleType::Minutes => Self::Minutes,
            ScheduleType::Hourly => Self::Hourly,
            ScheduleType::Daily => Self::Daily,
            ScheduleType::Weekly => Self::Weekly,
            ScheduleType::Monthly => Self::Monthly,
        }
    }
}

/// The order in which queued batches start (`priority`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PriorityWord {
    Highest,
    High,
    Normal,
    Low,
    Lowest,
}

impl PriorityWord {
    /// The accepted words, for error messages.
    pub(crate) const WORDS: &str = "highest, high, normal, low or lowest";

    /// Case-insensitive; the empty word is the default, `normal`.
    pub(crate) fn parse(word: &str) -> Option<Self> {
        match word.trim().to_ascii_lowercase().as_str() {
            "highest" => Some(Self::Highest),
            "high" => Some(Self::High),
            "" | "normal" => Some(Self::Normal),
            "low" => Some(Self::Low),
            "lowest" => Some(Self::Lowest),
            _ => None,
        }
    }

    pub(crate) fn to_proto(self) -> Priority {
        match self {
            Self::Highest => Priority::Highest,
            Self::High => Priority::High,
            Self::Normal => Priority::Normal,
            Self::Low => Priority::Low,
            Self::Lowest => Priority::Lowest,
        }
    }

    /// UNSPECIFIED means NORMAL (proto comment).
    pub(crate) fn from_proto(priority: Priority) -> Self {
        match priority {
            Priority::Highest => Self::Highest,
            Priority::High => Self::High,
            Priority::Unspecified | Priority::Normal => Self::Normal,
            Priority::Low => Self::Low,
            Priority::Lowest => Self::Lowest,
        }
    }
}

/// What a batch is doing (`status`). SerpWow has no word for a finished run: NEW,
/// SUCCEEDED and FAILED are all `idle`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Status {
    Idle,
    Queued,
    Running,
}

impl Status {
    /// `None` for UNSPECIFIED: the field is then left out, as the contract's table says.
    pub(crate) fn from_proto(state: BatchState) -> Option<Self> {
        match state {
            BatchState::New | BatchState::Succeeded | BatchState::Failed => Some(Self::Idle),
            BatchState::Queued => Some(Self::Queued),
            BatchState::Running => Some(Self::Running),
            BatchState::Unspecified => None,
        }
    }

    /// The service states a `status` list filter selects.
    pub(crate) fn states(self) -> &'static [BatchState] {
        match self {
            Self::Idle => &[BatchState::New, BatchState::Succeeded, BatchState::Failed],
            Self::Queued => &[BatchState::Queued],
            Self::Running => &[BatchState::Running],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_follows_the_contract_table() {
        assert_eq!(Status::from_proto(BatchState::New), Some(Status::Idle));
        assert_eq!(
            Status::from_proto(BatchState::Succeeded),
            Some(Status::Idle)
        );
        assert_eq!(Status::from_proto(BatchState::Failed), Some(Status::Idle));
        assert_eq!(Status::from_proto(BatchState::Queued), Some(Status::Queued));
        assert_eq!(
            Status::from_proto(BatchState::Running),
            Some(Status::Running)
        );
        assert_eq!(Status::from_proto(BatchState::Unspecified), None);
        for status in [Status::Idle, Status::Queued, Status::Running] {
            for state in status.states() {
                assert_eq!(Status::from_proto(*state), Some(status));
            }
        }
    }

    #[test]
    fn words_round_trip_and_default() {
        for word in ["manual", "minutes", "hourly", "daily", "weekly", "monthly"] {
            let kind = ScheduleKind::parse(word).unwrap();
            assert_eq!(ScheduleKind::from_proto(kind.to_proto()), kind);
            assert_eq!(serde_json::to_value(kind).unwrap(), word);
        }
        assert_eq!(ScheduleKind::parse("Daily"), Some(ScheduleKind::Daily));
        assert_eq!(ScheduleKind::parse(""), Some(ScheduleKind::Manual));
        assert_eq!(ScheduleKind::parse("yearly"), None);
        for word in ["highest", "high", "normal", "low", "lowest"] {
            let priority = PriorityWord::parse(word).unwrap();
            assert_eq!(PriorityWord::from_proto(priority.to_proto()), priority);
            assert_eq!(serde_json::to_value(priority).unwrap(), word);
        }
        assert_eq!(
            PriorityWord::from_proto(Priority::Unspecified),
            PriorityWord::Normal
        );
        assert_eq!(PriorityWord::parse("urgent"), None);
    }
}
