//! The Services86 Batch vocabulary as Rust types: `BatchTaskState` and `BatchTaskInfo`,
//! as they appear on the wire.

use chrono::{DateTime, Utc};

/// `BatchTaskState`, spelled exactly as on the wire (including `Aquired`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchTaskState {
    Unknown,
    New,
    Aquired,
    Started,
    Succeeded,
    Failed,
    /// A filter wildcard in the `...ByState` queries, not a state a task can be in.
    All,
}

impl BatchTaskState {
    /// Every value, in WSDL order.
    pub const ALL_VALUES: [Self; 7] = [
        Self::Unknown,
        Self::New,
        Self::Aquired,
        Self::Started,
        Self::Succeeded,
        Self::Failed,
        Self::All,
    ];

    /// The name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "Unknown",
            Self::New => "New",
            Self::Aquired => "Aquired",
            Self::Started => "Started",
            Self::Succeeded => "Succeeded",
            Self::Failed => "Failed",
            Self::All => "All",
        }
    }

    /// Parses a wire name (exact, case-sensitive like the enumeration in the WSDL).
    pub fn from_wire(name: &str) -> Option<Self> {
        Self::ALL_VALUES
            .into_iter()
            .find(|state| state.as_str() == name)
    }
}

/// A `BatchTaskInfo` as this door writes it: every field of the WSDL sequence except
/// the Carrier's `TableRight` and `FieldProperties`, which the service does not model
/// and which are optional.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BatchTaskInfo {
    pub id: i32,
    pub name: String,
    pub associate_id: i32,
    pub details_table: i16,
    pub details_record: i32,
    pub is_system_task: bool,
    pub is_internal_task: bool,
    /// `ParameterObject` (a `StringDictionary`): order and duplicates are kept.
    pub parameters: Vec<(String, String)>,
    /// Absent when the task never ran; the element is then omitted.
    pub last_started: Option<DateTime<Utc>>,
    pub created: Option<DateTime<Utc>>,
    pub start_count: i32,
    pub database_serial_number: String,
    pub context: String,
    pub result: String,
    pub state: BatchTaskState,
    pub description: String,
    pub response: String,
    pub request: String,
    pub progress_description: String,
    pub progress_percent: i16,
}

/// A `BatchTaskInfo` as a client sent it (StartBatchJob, UpdateBatchTask): each field
/// is `None` when its element was absent. A string sent as `xsi:nil` is `Some("")`.
/// `LastStarted`, `Created`, `StartCount`, `TableRight` and `FieldProperties` are
/// read-only and never read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchTaskInfoInput {
    pub id: Option<i32>,
    pub name: Option<String>,
    pub associate_id: Option<i32>,
    pub details_table: Option<i16>,
    pub details_record: Option<i32>,
    pub is_system_task: Option<bool>,
    pub is_internal_task: Option<bool>,
    pub parameters: Option<Vec<(String, String)>>,
    pub database_serial_number: Option<String>,
    pub context: Option<String>,
    pub result: Option<String>,
    pub state: Option<BatchTaskState>,
    pub description: Option<String>,
    pub response: Option<String>,
    pub request: Option<String>,
    pub progress_description: Option<String>,
    pub progress_percent: Option<i16>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip_and_keep_the_misspelling() {
        for state in BatchTaskState::ALL_VALUES {
            assert_eq!(BatchTaskState::from_wire(state.as_str()), Some(state));
        }
        assert_eq!(BatchTaskState::Aquired.as_str(), "Aquired");
        assert_eq!(BatchTaskState::from_wire("Acquired"), None);
        assert_eq!(BatchTaskState::from_wire("started"), None);
    }
}
