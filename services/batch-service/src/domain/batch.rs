//! What callers may write into a batch, and what they may ask for when listing.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Action, BatchId, BatchState, LongText, NameText, NonEmptyText, Refusal, ShortText};

/// Upper bounds on caller-supplied text, so one request cannot fill the database.
pub struct TextLimits;

impl TextLimits {
    pub const NAME: usize = 1_024;
    /// Description, request, response, result, context, progress text.
    pub const LONG_TEXT: usize = 64 * 1024;
    pub const SHORT_TEXT: usize = 1_024;
    pub const PARAMETERS: usize = 1_000;
    pub const DESTINATIONS: usize = 100;
}

/// Order in which queued batches are claimed; stored as 1 (lowest) to 5 (highest),
/// read and written through `FromSql` and `ToSql` (in `storage::columns`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, diesel::expression::AsExpression,
)]
#[diesel(sql_type = diesel::sql_types::SmallInt)]
pub enum Priority {
    Lowest = 1,
    Low = 2,
    #[default]
    Normal = 3,
    High = 4,
    Highest = 5,
}

impl Priority {
    pub const ALL: [Priority; 5] = [
        Priority::Lowest,
        Priority::Low,
        Priority::Normal,
        Priority::High,
        Priority::Highest,
    ];

    /// The value in the `batches.priority` column.
    pub fn rank(self) -> i16 {
        self as i16
    }

    /// Reads the `batches.priority` column, through the same mapping as [`Self::rank`].
    pub fn from_rank(rank: i16) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.rank() == rank)
    }
}

/// When a batch runs by itself (stored as JSON; never filtered on). Keys missing from
/// the stored JSON (the column's default is `{}`) take their defaults.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Schedule {
    /// The proto calls it `type`; the stored JSON, `kind`.
    pub kind: ScheduleKind,
    pub hours: Vec<i32>,
    pub days_of_week: Vec<i32>,
    pub days_of_month: Vec<i32>,
    pub minutes: ShortText,
}

/// How often a batch runs by itself; stored lower-case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScheduleKind {
    #[default]
    Manual,
    Minutes,
    Hourly,
    Daily,
    Weekly,
    Monthly,
}

/// A part of a schedule an update mask may name after `schedule.`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SchedulePart {
    Type,
    Hours,
    DaysOfWeek,
    DaysOfMonth,
    Minutes,
}

impl SchedulePart {
    /// The proto field name, as written in an update mask.
    pub fn from_mask_name(name: &str) -> Option<Self> {
        Some(match name {
            "type" => Self::Type,
            "hours" => Self::Hours,
            "days_of_week" => Self::DaysOfWeek,
            "days_of_month" => Self::DaysOfMonth,
            "minutes" => Self::Minutes,
            _ => return None,
        })
    }
}

impl Schedule {
    /// Copies the named parts of `from` (all of it when `parts` is empty).
    pub fn merge(&mut self, from: &Schedule, parts: &BTreeSet<SchedulePart>) {
        if parts.is_empty() {
            *self = from.clone();
            return;
        }
        for part in parts {
            match part {
                SchedulePart::Type => self.kind = from.kind,
                SchedulePart::Hours => self.hours.clone_from(&from.hours),
                SchedulePart::DaysOfWeek => self.days_of_week.clone_from(&from.days_of_week),
                SchedulePart::DaysOfMonth => self.days_of_month.clone_from(&from.days_of_month),
                SchedulePart::Minutes => self.minutes.clone_from(&from.minutes),
            }
        }
    }
}

/// Who hears about finished runs (stored as JSON; missing keys take their defaults).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Notification {
    pub email: ShortText,
    pub webhook_url: ShortText,
    pub as_json: bool,
    pub as_jsonlines: bool,
    pub as_csv: bool,
    pub csv_fields: LongText,
}

/// A part of a notification an update mask may name after `notification.`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NotificationPart {
    Email,
    WebhookUrl,
    AsJson,
    AsJsonlines,
    AsCsv,
    CsvFields,
}

impl NotificationPart {
    /// The proto field name, as written in an update mask.
    pub fn from_mask_name(name: &str) -> Option<Self> {
        Some(match name {
            "email" => Self::Email,
            "webhook_url" => Self::WebhookUrl,
            "as_json" => Self::AsJson,
            "as_jsonlines" => Self::AsJsonlines,
            "as_csv" => Self::AsCsv,
            "csv_fields" => Self::CsvFields,
            _ => return None,
        })
    }
}

impl Notification {
    /// Copies the named parts of `from` (all of it when `parts` is empty).
    pub fn merge(&mut self, from: &Notification, parts: &BTreeSet<NotificationPart>) {
        if parts.is_empty() {
            *self = from.clone();
            return;
        }
        for part in parts {
            match part {
                NotificationPart::Email => self.email.clone_from(&from.email),
                NotificationPart::WebhookUrl => self.webhook_url.clone_from(&from.webhook_url),
                NotificationPart::AsJson => self.as_json = from.as_json,
                NotificationPart::AsJsonlines => self.as_jsonlines = from.as_jsonlines,
                NotificationPart::AsCsv => self.as_csv = from.as_csv,
                NotificationPart::CsvFields => self.csv_fields.clone_from(&from.csv_fields),
            }
        }
    }
}

/// One key/value pair of a SuperOffice `StringDictionary`; order and duplicates kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parameter {
    pub key: ShortText,
    pub value: LongText,
}

/// Where a batch's results go: one entry of `destination_ids`.
pub type DestinationId = NonEmptyText<{ TextLimits::SHORT_TEXT }>;

/// Every field a caller may set on a batch, already validated: each text carries its
/// bound in its type.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewBatch {
    pub name: NameText,
    pub description: LongText,
    pub owner_id: i64,
    pub details_table: i32,
    pub details_record: i32,
    pub is_system_task: bool,
    pub is_internal_task: bool,
    pub parameters: Vec<Parameter>,
    pub database_serial_number: ShortText,
    pub context: LongText,
    pub result: LongText,
    pub request: LongText,
    pub response: LongText,
    pub progress_description: LongText,
    pub progress_percent: i32,
    pub enabled: bool,
    pub priority: Priority,
    pub destination_ids: Vec<DestinationId>,
    pub schedule: Schedule,
    pub notification: Notification,
    pub items_type: ShortText,
}

/// A field of a batch that an update can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum BatchField {
    Name,
    Description,
    State,
    OwnerId,
    DetailsTable,
    DetailsRecord,
    IsSystemTask,
    IsInternalTask,
    Parameters,
    DatabaseSerialNumber,
    Context,
    Result,
    Request,
    Response,
    ProgressDescription,
    ProgressPercent,
    Enabled,
    Schedule,
    Priority,
    DestinationIds,
    Notification,
    ItemsType,
}

impl BatchField {
    /// The proto field name, as written in an update mask.
    pub fn from_mask_path(path: &str) -> Option<Self> {
        use BatchField::*;
        Some(match path {
            "name" => Name,
            "description" => Description,
            "state" => State,
            "owner_id" => OwnerId,
            "details_table" => DetailsTable,
            "details_record" => DetailsRecord,
            "is_system_task" => IsSystemTask,
            "is_internal_task" => IsInternalTask,
            "parameters" => Parameters,
            "database_serial_number" => DatabaseSerialNumber,
            "context" => Context,
            "result" => Result,
            "request" => Request,
            "response" => Response,
            "progress_description" => ProgressDescription,
            "progress_percent" => ProgressPercent,
            "enabled" => Enabled,
            "priority" => Priority,
            "destination_ids" => DestinationIds,
            "items_type" => ItemsType,
            _ if path == "schedule" || path.starts_with("schedule.") => Schedule,
            _ if path == "notification" || path.starts_with("notification.") => Notification,
            _ => return None,
        })
    }

    /// Fields that report on a run and so may change while the batch runs; every other
    /// field is a setting, frozen while running.
    pub fn is_run_report(self) -> bool {
        use BatchField::*;
        matches!(
            self,
            Description
                | Context
                | Result
                | Request
                | Response
                | ProgressDescription
                | ProgressPercent
        )
    }
}

/// An update: the new values and which of them to apply.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchPatch {
    pub id: BatchId,
    pub values: NewBatch,
    pub fields: BTreeSet<BatchField>,
    /// Set when `state` is in the mask.
    pub state: Option<BatchState>,
    /// Sub-fields named as `schedule.hours`; empty when `schedule` is replaced whole.
    pub schedule_parts: BTreeSet<SchedulePart>,
    /// Sub-fields named as `notification.email`; empty when replaced whole.
    pub notification_parts: BTreeSet<NotificationPart>,
}

impl BatchPatch {
    pub fn touches(&self, field: BatchField) -> bool {
        self.fields.contains(&field)
    }

    /// Whether every named field may change while the batch runs.
    pub fn only_run_reports(&self) -> bool {
        self.fields.iter().all(|f| f.is_run_report())
    }

    /// `Ok` when the patch may apply to the batch in state `from`: settings are frozen
    /// while it runs, and a state change must be a legal transition.
    pub fn check(&self, from: BatchState) -> Result<(), Refusal> {
        if from == BatchState::Running && !self.only_run_reports() {
            let leaves_running = self.state.is_some_and(|to| to != BatchState::Running);
            let only_state_and_reports = self
                .fields
                .iter()
                .all(|f| *f == BatchField::State || f.is_run_report());
            // Finishing a run through an update (SOAP UpdateBatchTask) is allowed.
            if !(leaves_running && only_state_and_reports) {
                return Err(Action::Update.refused(self.id, from));
            }
        }
        match self.state {
            Some(to) if !from.can_become(to) => Err(Action::moving_to(to).refused(self.id, from)),
            Some(_) | None => Ok(()),
        }
    }
}

/// How a name filter matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameMatch {
    Exact,
    /// Every word occurs in the name (case-insensitive), or the text is the id.
    Contains,
    Prefix,
    Suffix,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameFilter {
    pub text: NameText,
    pub how: NameMatch,
}

/// The column a list is sorted by; ties are broken by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Id,
    Name,
    CreateTime,
    LastStartTime,
    Priority,
    State,
}

/// A validated `ListBatches` request.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    pub limit: i64,
    pub offset: i64,
    pub states: Vec<BatchState>,
    pub name: Option<NameFilter>,
    pub owner_ids: Vec<i64>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    pub last_started_after: Option<DateTime<Utc>>,
    pub last_started_before: Option<DateTime<Utc>>,
    pub has_results: Option<bool>,
    pub destination_id: Option<ShortText>,
    pub sort: SortKey,
    pub descending: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priority_ranks_round_trip() {
        let ranks: Vec<i16> = Priority::ALL.into_iter().map(Priority::rank).collect();
        assert_eq!(ranks, [1, 2, 3, 4, 5]);
        for priority in Priority::ALL {
            assert_eq!(Priority::from_rank(priority.rank()), Some(priority));
        }
        assert_eq!(Priority::from_rank(0), None);
        assert_eq!(Priority::from_rank(6), None);
    }
}
