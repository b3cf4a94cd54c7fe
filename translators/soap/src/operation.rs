//! The eleven `IBatchAgent` operations of Services86: their names and their typed
//! requests. `envelope::body` reads them from the stream.

use crate::envelope::ACTION_PREFIX;
use crate::model::{BatchTaskInfoInput, BatchTaskState};

/// The name of an operation: its body element, its SOAPAction suffix and the stem of
/// its response element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OperationName {
    DeleteBatchTask,
    DeleteBatchTasks,
    GetBatchTaskInfo,
    GetBatchTaskInfosByAssociates,
    GetBatchTaskInfosByAssociatesAndState,
    GetBatchTaskInfosByNameAndAssociates,
    GetBatchTaskInfosByNameAndState,
    GetBatchTaskInfosByState,
    StartBatchJob,
    StopBatchJob,
    UpdateBatchTask,
}

impl OperationName {
    /// All eleven, alphabetically (as the reference lists them).
    pub const ALL: [Self; 11] = [
        Self::DeleteBatchTask,
        Self::DeleteBatchTasks,
        Self::GetBatchTaskInfo,
        Self::GetBatchTaskInfosByAssociates,
        Self::GetBatchTaskInfosByAssociatesAndState,
        Self::GetBatchTaskInfosByNameAndAssociates,
        Self::GetBatchTaskInfosByNameAndState,
        Self::GetBatchTaskInfosByState,
        Self::StartBatchJob,
        Self::StopBatchJob,
        Self::UpdateBatchTask,
    ];

    /// The operation's name, which is also its request body element.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DeleteBatchTask => "DeleteBatchTask",
            Self::DeleteBatchTasks => "DeleteBatchTasks",
            Self::GetBatchTaskInfo => "GetBatchTaskInfo",
            Self::GetBatchTaskInfosByAssociates => "GetBatchTaskInfosByAssociates",
            Self::GetBatchTaskInfosByAssociatesAndState => "GetBatchTaskInfosByAssociatesAndState",
            Self::GetBatchTaskInfosByNameAndAssociates => "GetBatchTaskInfosByNameAndAssociates",
            Self::GetBatchTaskInfosByNameAndState => "GetBatchTaskInfosByNameAndState",
            Self::GetBatchTaskInfosByState => "GetBatchTaskInfosByState",
            Self::StartBatchJob => "StartBatchJob",
            Self::StopBatchJob => "StopBatchJob",
            Self::UpdateBatchTask => "UpdateBatchTask",
        }
    }

    /// The operation called `name` (exact, as XML names are case-sensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.as_str() == name)
    }

    /// The operation a SOAPAction names: `http://www.superoffice.net/ws/crm/NetServer/Services86/Batch/<Op>`.
    pub fn from_action(action: &str) -> Option<Self> {
        action.strip_prefix(ACTION_PREFIX).and_then(Self::from_name)
    }

    /// The SOAPAction of this operation.
    pub fn action(self) -> String {
        format!("{ACTION_PREFIX}{}", self.as_str())
    }
}

/// One decoded operation call with its arguments. Absent scalars take the values a
/// WCF server would give them (0, `Unknown`); absent or nil arrays are empty.
#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    DeleteBatchTask {
        id: i32,
    },
    DeleteBatchTasks {
        ids: Vec<i32>,
    },
    GetBatchTaskInfo {
        id: i32,
    },
    GetBatchTaskInfosByAssociates {
        associate_ids: Vec<i32>,
    },
    GetBatchTaskInfosByAssociatesAndState {
        associate_ids: Vec<i32>,
        state: BatchTaskState,
    },
    GetBatchTaskInfosByNameAndAssociates {
        name: Option<String>,
        associate_ids: Vec<i32>,
    },
    GetBatchTaskInfosByNameAndState {
        name: Option<String>,
        state: BatchTaskState,
    },
    GetBatchTaskInfosByState {
        state: BatchTaskState,
    },
    StartBatchJob {
        info: Option<BatchTaskInfoInput>,
    },
    StopBatchJob {
        id: i32,
    },
    UpdateBatchTask {
        info: Option<BatchTaskInfoInput>,
    },
}

impl Operation {
    /// Which operation this is.
    pub fn name(&self) -> OperationName {
        match self {
            Self::DeleteBatchTask { .. } => OperationName::DeleteBatchTask,
            Self::DeleteBatchTasks { .. } => OperationName::DeleteBatchTasks,
            Self::GetBatchTaskInfo { .. } => OperationName::GetBatchTaskInfo,
            Self::GetBatchTaskInfosByAssociates { .. } => {
                OperationName::GetBatchTaskInfosByAssociates
            }
            Self::GetBatchTaskInfosByAssociatesAndState { .. } => {
                OperationName::GetBatchTaskInfosByAssociatesAndState
            }
            Self::GetBatchTaskInfosByNameAndAssociates { .. } => {
                OperationName::GetBatchTaskInfosByNameAndAssociates
            }
            Self::GetBatchTaskInfosByNameAndState { .. } => {
                OperationName::GetBatchTaskInfosByNameAndState
            }
            Self::GetBatchTaskInfosByState { .. } => OperationName::GetBatchTaskInfosByState,
            Self::StartBatchJob { .. } => OperationName::StartBatchJob,
            Self::StopBatchJob { .. } => OperationName::StopBatchJob,
            Self::UpdateBatchTask { .. } => OperationName::UpdateBatchTask,
        }
    }
}
