//! The body of create and update (`POST /batches`, `PUT /batches/{id}`): batch settings
//! and searches, read from JSON or form fields, and turned into `batch.v1` messages.
//!
//! Unknown fields are ignored, as unknown query parameters are. `null` (or an empty
//! form value) sets a field back to its empty value.

use batch_proto::prost_types::FieldMask;
use batch_proto::v1::{Batch, BatchItem, Notification, Schedule};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::coerce::{CoerceError, Fields, to_bool, to_int_list, to_text, to_text_list};
use crate::values;
use crate::vocab::{PriorityWord, ScheduleKind};

/// Batch settings, every one optional. Lists may also be sent as comma-separated text
/// (`"9,17"`) or a single value, booleans as `"true"`/`"1"`, numbers as strings.
#[derive(Debug, Default, Clone, PartialEq, ToSchema)]
pub(crate) struct BatchSettings {
    /// Required when creating.
    #[schema(example = "My First Batch")]
    pub(crate) name: Option<String>,
    /// Whether scheduled runs happen (default `true`).
    pub(crate) enabled: Option<bool>,
    /// Default `manual`.
    pub(crate) schedule_type: Option<ScheduleKind>,
    /// Hours of the day, 0-23.
    #[schema(example = json!([9, 17]))]
    pub(crate) schedule_hours: Option<Vec<i32>>,
    /// 0 = Sunday ... 6 = Saturday.
    pub(crate) schedule_days_of_week: Option<Vec<i32>>,
    /// 1-31.
    pub(crate) schedule_days_of_month: Option<Vec<i32>>,
    /// For `minutes` schedules, kept as sent (e.g. `every_5_minutes`).
    pub(crate) schedule_minutes: Option<String>,
    /// Default `normal`.
    pub(crate) priority: Option<PriorityWord>,
    pub(crate) destination_ids: Option<Vec<String>>,
    pub(crate) notification_email: Option<String>,
    pub(crate) notification_webhook: Option<String>,
    pub(crate) notification_as_json: Option<bool>,
    pub(crate) notification_as_jsonlines: Option<bool>,
    pub(crate) notification_as_csv: Option<bool>,
    pub(crate) notification_csv_fields: Option<String>,
    /// Locks the batch to one search type (e.g. `google_web`).
    pub(crate) searches_type: Option<String>,
}

/// A search to add: its Search API parameters plus an optional `custom_id`.
#[derive(Debug, Default, Clone, PartialEq, ToSchema)]
#[schema(example = json!({"q": "mcdonalds", "location": "United States", "custom_id": "MyCustomID_001"}))]
pub(crate) struct NewSearch {
    /// Echoed back when the searches are listed.
    #[schema(required = false)]
    pub(crate) custom_id: String,
    /// Every other field of the search object (`q`, `location`, `search_type`, ...).
    #[serde(flatten)]
    pub(crate) parameters: Map<String, Value>,
}

/// What a `PUT /batches/{batch_id}` asks for: settings to change, searches to add, or
/// both. A bare JSON array is a list of searches, as the SerpWow docs' prose allows.
#[derive(Debug, Default, Clone, PartialEq, ToSchema)]
pub(crate) struct BatchUpdate {
    /// The settings sit at the top level of the body, beside `searches`.
    #[serde(flatten)]
    pub(crate) settings: BatchSettings,
    /// Up to 1000 searches per call.
    #[schema(required = false)]
    pub(crate) searches: Vec<NewSearch>,
}

impl BatchSettings {
    /// Reads every known setting of `fields`, naming the field of the first bad value.
    pub(crate) fn from_fields(fields: &Fields) -> Result<Self, CoerceError> {
        let mut s = Self::default();
        for (key, value) in fields {
            let field = key.as_str();
            match field {
                "name" => s.name = Some(to_text(field, value)?),
                "enabled" => s.enabled = Some(to_bool(field, value)?),
                "schedule_type" => {
                    let word = to_text(field, value)?;
                    s.schedule_type = Some(
                        ScheduleKind::parse(&word)
                            .ok_or_else(|| CoerceError::expected(field, ScheduleKind::WORDS))?,
                    );
                }
                "schedule_hours" => s.schedule_hours = Some(to_int_list(field, value, 0, 23)?),
                "schedule_days_of_week" => {
                    s.schedule_days_of_week = Some(to_int_list(field, value, 0, 6)?);
                }
                "schedule_days_of_month" => {
                    s.schedule_days_of_month = Some(to_int_list(field, value, 1, 31)?);
                }
                "schedule_minutes" => s.schedule_minutes = Some(to_text(field, value)?),
                "priority" => {
                    let word = to_text(field, value)?;
                    s.priority = Some(
                        PriorityWord::parse(&word)
                            .ok_or_else(|| CoerceError::expected(field, PriorityWord::WORDS))?,
                    );
                }
                "destination_ids" => s.destination_ids = Some(to_text_list(field, value)?),
                "notification_email" => s.notification_email = Some(to_text(field, value)?),
                "notification_webhook" => s.notification_webhook = Some(to_text(field, value)?),
                "notification_as_json" => s.notification_as_json = Some(to_bool(field, value)?),
                "notification_as_jsonlines" => {
                    s.notification_as_jsonlines = Some(to_bool(field, value)?);
                }
                "notification_as_csv" => s.notification_as_csv = Some(to_bool(field, value)?),
                "notification_csv_fields" => {
                    s.notification_csv_fields = Some(to_text(field, value)?);
                }
                "searches_type" => s.searches_type = Some(to_text(field, value)?),
                _ => {}
            }
        }
        Ok(s)
    }

    /// The batch to create. `name` is required; unset settings take SerpWow's defaults
    /// (enabled, manual schedule, normal priority).
    pub(crate) fn into_new_batch(self) -> Result<Batch, CoerceError> {
        if self
            .name
            .as_deref()
            .is_none_or(|name| name.trim().is_empty())
        {
            return Err(CoerceError::expected("name", "a non-empty text"));
        }
        let mut batch = Batch {
            enabled: true,
            schedule: Some(Schedule::default()),
            notification: Some(Notification::default()),
            ..Batch::default()
        };
        batch.set_priority(PriorityWord::Normal.to_proto());
        self.apply(&mut batch);
        Ok(batch)
    }

    /// The `UpdateBatch` payload: the batch carrying the new values, and the mask naming
    /// exactly the settings that were sent. `None` when no setting was sent.
    pub(crate) fn into_update(self, id: i64) -> Option<(Batch, FieldMask)> {
        let mut batch = Batch {
            id,
            schedule: Some(Schedule::default()),
            notification: Some(Notification::default()),
            ..Batch::default()
        };
        let paths = self.apply(&mut batch);
        (!paths.is_empty()).then(|| {
            let paths = paths.into_iter().map(str::to_owned).collect();
            (batch, FieldMask { paths })
        })
    }

    /// Copies every set value into `batch`; returns the `update_mask` path of each.
    fn apply(self, batch: &mut Batch) -> Vec<&'static str> {
        // Destructured so that a new setting cannot be forgotten here.
        let Self {
            name,
            enabled,
            schedule_type,
            schedule_hours,
            schedule_days_of_week,
            schedule_days_of_month,
            schedule_minutes,
            priority,
            destination_ids,
            notification_email,
            notification_webhook,
            notification_as_json,
            notification_as_jsonlines,
            notification_as_csv,
            notification_csv_fields,
            searches_type,
        } = self;
        let mut paths = Vec::new();
        let mut mark = |path| paths.push(path);

        if let Some(name) = name {
            batch.name = name;
            mark("name");
        }
        if let Some(enabled) = enabled {
            batch.enabled = enabled;
            mark("enabled");
        }
        if let Some(priority) = priority {
            batch.set_priority(priority.to_proto());
            mark("priority");
        }
        if let Some(ids) = destination_ids {
            batch.destination_ids = ids;
            mark("destination_ids");
        }
        if let Some(kind) = searches_type {
            batch.items_type = kind;
            mark("items_type");
        }

        let schedule = batch.schedule.get_or_insert_default();
        if let Some(kind) = schedule_type {
            schedule.set_type(kind.to_proto());
            mark("schedule.type");
        }
        if let Some(hours) = schedule_hours {
            schedule.hours = hours;
            mark("schedule.hours");
        }
        if let Some(days) = schedule_days_of_week {
            schedule.days_of_week = days;
            mark("schedule.days_of_week");
        }
        if let Some(days) = schedule_days_of_month {
            schedule.days_of_month = days;
            mark("schedule.days_of_month");
        }
        if let Some(minutes) = schedule_minutes {
            schedule.minutes = minutes;
            mark("schedule.minutes");
        }

        let notification = batch.notification.get_or_insert_default();
        if let Some(email) = notification_email {
            notification.email = email;
            mark("notification.email");
        }
        if let Some(url) = notification_webhook {
            notification.webhook_url = url;
            mark("notification.webhook_url");
        }
        if let Some(on) = notification_as_json {
            notification.as_json = on;
            mark("notification.as_json");
        }
        if let Some(on) = notification_as_jsonlines {
            notification.as_jsonlines = on;
            mark("notification.as_jsonlines");
        }
        if let Some(on) = notification_as_csv {
            notification.as_csv = on;
            mark("notification.as_csv");
        }
        if let Some(fields) = notification_csv_fields {
            notification.csv_fields = fields;
            mark("notification.csv_fields");
        }
        paths
    }
}

impl BatchUpdate {
    /// Reads a `PUT` body: an object of settings with an optional `searches` list, or a
    /// bare list of searches. `null` (no body) asks for nothing.
    pub(crate) fn from_body(body: &Value) -> Result<Self, CoerceError> {
        match body {
            Value::Null => Ok(Self::default()),
            Value::Array(_) => Ok(Self {
                settings: BatchSettings::default(),
                searches: searches_from(body)?,
            }),
            Value::Object(fields) => Ok(Self {
                settings: BatchSettings::from_fields(fields)?,
                searches: fields
                    .get("searches")
                    .map(searches_from)
                    .transpose()?
                    .unwrap_or_default(),
            }),
            Value::Bool(_) | Value::Number(_) | Value::String(_) => Err(CoerceError::expected(
                "the request body",
                "a JSON object, a JSON array of searches or form fields",
            )),
        }
    }
}

impl NewSearch {
    /// The item to add; the service sets its id, batch and time.
    pub(crate) fn into_item(self) -> BatchItem {
        BatchItem {
            custom_id: self.custom_id,
            parameters: Some(values::to_struct(self.parameters)),
            ..BatchItem::default()
        }
    }
}

/// Reads `searches`: a list of search objects, one object, or (from a form) the same as
/// JSON text. An `id` field is dropped: ids are the service's to choose.
fn searches_from(value: &Value) -> Result<Vec<NewSearch>, CoerceError> {
    let invalid = || CoerceError::expected("searches", "a list of search objects");
    match value {
        Value::Null => Ok(Vec::new()),
        Value::String(text) if text.trim().is_empty() => Ok(Vec::new()),
        Value::String(text) => match serde_json::from_str::<Value>(text) {
            Ok(parsed @ (Value::Array(_) | Value::Object(_))) => searches_from(&parsed),
            Ok(_) | Err(_) => Err(invalid()),
        },
        Value::Object(_) => searches_from(&Value::Array(vec![value.clone()])),
        Value::Array(items) => items
            .iter()
            .map(|item| {
                let Value::Object(fields) = item else {
                    return Err(invalid());
                };
                let mut parameters = fields.clone();
                parameters.remove("id");
                let custom_id = match parameters.remove("custom_id") {
                    Some(value) => to_text("custom_id", &value)?,
                    None => String::new(),
                };
                Ok(NewSearch {
                    custom_id,
                    parameters,
                })
            })
            .collect(),
        Value::Bool(_) | Value::Number(_) => Err(invalid()),
    }
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
