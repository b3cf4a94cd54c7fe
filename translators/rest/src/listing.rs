//! The query of `GET /batches`: SerpWow's filters, paging and sorting, parsed into a
//! `ListBatchesRequest`. Empty values count as absent; unknown parameters are ignored.

use batch_proto::prost_types::Timestamp;
use batch_proto::v1::{BatchOrder, BatchState, ListBatchesRequest, NameMatch};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use crate::coerce::{CoerceError, Fields, to_bool, to_text};
use crate::ids::PageNumber;
use crate::vocab::Status;

/// SerpWow's default page size.
const DEFAULT_PAGE_SIZE: u32 = 25;
/// SerpWow's largest page size.
const MAX_PAGE_SIZE: u32 = 1000;

/// The `status` filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StatusFilter {
    All,
    Idle,
    Queued,
    Running,
}

/// How `search_term` matches (`search_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SearchType {
    /// Every word occurs in the name (any case), or the term is the batch id.
    Contains,
    StartsWith,
    EndsWith,
    /// Case-sensitive equality with the name.
    Exact,
}

/// `sort_by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SortBy {
    CreatedAt,
    LastRun,
    Name,
    Priority,
    Status,
}

/// `sort_direction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SortDirection {
    Ascending,
    Descending,
}

/// The query parameters of List Batches, typed. Parsed from the query string by
/// [`ListParams::from_query`]; the OpenAPI document is generated from this struct.
#[derive(Debug, Clone, Default, PartialEq, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListParams {
    /// 1-based page number (default 1).
    #[param(value_type = Option<u32>, minimum = 1)]
    pub(crate) page: Option<PageNumber>,
    /// Batches per page, 1-1000 (default 25).
    #[param(minimum = 1, maximum = 1000)]
    pub(crate) page_size: Option<u32>,
    /// Only batches that have completed a run.
    pub(crate) only_with_results: Option<bool>,
    /// Only batches that never completed a run.
    pub(crate) only_without_results: Option<bool>,
    /// Text to find in batch names (and ids, for `contains`).
    pub(crate) search_term: Option<String>,
    /// Default `contains`.
    pub(crate) search_type: Option<SearchType>,
    /// Default `all`; `idle` is every batch that is neither queued nor running.
    pub(crate) status: Option<StatusFilter>,
    /// ISO 8601 time, e.g. `2020-09-01T00:00:00.000Z`.
    #[param(value_type = Option<String>, format = DateTime)]
    pub(crate) created_before: Option<Timestamp>,
    #[param(value_type = Option<String>, format = DateTime)]
    pub(crate) created_after: Option<Timestamp>,
    #[param(value_type = Option<String>, format = DateTime)]
    pub(crate) last_run_before: Option<Timestamp>,
    #[param(value_type = Option<String>, format = DateTime)]
    pub(crate) last_run_after: Option<Timestamp>,
    /// Only batches that upload to this destination.
    pub(crate) destination_id: Option<String>,
    /// Default `name`.
    pub(crate) sort_by: Option<SortBy>,
    /// Default `ascending`.
    pub(crate) sort_direction: Option<SortDirection>,
}

/// A parsed list query: the request to send and the page it asks for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ListQuery {
    pub(crate) request: ListBatchesRequest,
    pub(crate) page: PageNumber,
    pub(crate) page_size: u32,
}

impl ListParams {
    /// Reads the query string's fields, naming the first bad parameter.
    pub(crate) fn from_query(query: &Fields) -> Result<Self, CoerceError> {
        let text = |name: &str| -> Result<Option<String>, CoerceError> {
            match query.get(name) {
                Some(value) => Ok(Some(to_text(name, value)?).filter(|t| !t.trim().is_empty())),
                None => Ok(None),
            }
        };
        let flag = |name: &str| -> Result<Option<bool>, CoerceError> {
            query
                .get(name)
                .map(|value| to_bool(name, value))
                .transpose()
        };
        let time = |name: &str| -> Result<Option<Timestamp>, CoerceError> {
            text(name)?.map(|t| parse_time(name, &t)).transpose()
        };
        let page = text("page")?
            .map(|raw| {
                PageNumber::parse(&raw)
                    .ok_or_else(|| CoerceError::expected("page", "a whole number from 1"))
            })
            .transpose()?;
        let page_size = text("page_size")?
            .map(|raw| {
                raw.trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
                    .ok_or_else(|| {
                        CoerceError::expected("page_size", "a whole number from 1 to 1000")
                    })
            })
            .transpose()?;
        Ok(Self {
            page,
            page_size,
            only_with_results: flag("only_with_results")?,
            only_without_results: flag("only_without_results")?,
            search_term: text("search_term")?,
            search_type: word(text("search_type")?, "search_type", SEARCH_TYPES)?,
            status: word(text("status")?, "status", STATUSES)?,
            created_before: time("created_before")?,
            created_after: time("created_after")?,
            last_run_before: time("last_run_before")?,
            last_run_after: time("last_run_after")?,
            destination_id: text("destination_id")?,
            sort_by: word(text("sort_by")?, "sort_by", SORT_KEYS)?,
            sort_direction: word(text("sort_direction")?, "sort_direction", DIRECTIONS)?,
        })
    }

    /// The `ListBatchesRequest` these parameters ask for, with SerpWow's defaults.
    pub(crate) fn into_query(self) -> Result<ListQuery, CoerceError> {
        let page = self.page.unwrap_or(PageNumber::FIRST);
        let page_size = self.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
        let has_results = match (
            self.only_with_results.unwrap_or(false),
            self.only_without_results.unwrap_or(false),
        ) {
            (true, true) => {
                return Err(CoerceError::expected(
                    "only_with_results",
                    "left out when only_without_results is true",
                ));
            }
            (true, false) => Some(true),
            (false, true) => Some(false),
            (false, false) => None,
        };
        let (name, name_match) = match self.search_term {
            None => (String::new(), NameMatch::Unspecified),
            Some(term) => match self.search_type.unwrap_or(SearchType::Contains) {
                // SerpWow: for `contains`, non-alphanumerics become spaces.
                SearchType::Contains => (
                    term.chars()
                        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
                        .collect(),
                    NameMatch::Contains,
                ),
                SearchType::StartsWith => (term, NameMatch::Prefix),
                SearchType::EndsWith => (term, NameMatch::Suffix),
                SearchType::Exact => (term, NameMatch::Exact),
            },
        };
        let states: &[BatchState] = match self.status.unwrap_or(StatusFilter::All) {
            StatusFilter::All => &[],
            StatusFilter::Idle => Status::Idle.states(),
            StatusFilter::Queued => Status::Queued.states(),
            StatusFilter::Running => Status::Running.states(),
        };
        let order_by = match self.sort_by.unwrap_or(SortBy::Name) {
            SortBy::CreatedAt => BatchOrder::CreateTime,
            SortBy::LastRun => BatchOrder::LastStartTime,
            SortBy::Name => BatchOrder::Name,
            SortBy::Priority => BatchOrder::Priority,
            SortBy::Status => BatchOrder::State,
        };
        let mut request = ListBatchesRequest {
            page_size: i32::try_from(page_size).unwrap_or(i32::MAX),
            skip: page.skip(page_size),
            name,
            created_after: self.created_after,
            created_before: self.created_before,
            last_started_after: self.last_run_after,
            last_started_before: self.last_run_before,
            has_results,
            destination_id: self.destination_id.unwrap_or_default(),
            descending: self.sort_direction == Some(SortDirection::Descending),
            ..ListBatchesRequest::default()
        };
        request.set_name_match(name_match);
        request.set_order_by(order_by);
        for state in states {
            request.push_states(*state);
        }
        Ok(ListQuery {
            request,
            page,
            page_size,
        })
    }
}

const SEARCH_TYPES: &[(&str, SearchType)] = &[
    ("contains", SearchType::Contains),
    ("starts_with", SearchType::StartsWith),
    ("ends_with", SearchType::EndsWith),
    ("exact", SearchType::Exact),
];
const STATUSES: &[(&str, StatusFilter)] = &[
    ("all", StatusFilter::All),
    ("idle", StatusFilter::Idle),
    ("queued", StatusFilter::Queued),
    ("running", StatusFilter::Running),
];
const SORT_KEYS: &[(&str, SortBy)] = &[
    ("created_at", SortBy::CreatedAt),
    ("last_run", SortBy::LastRun),
    ("name", SortBy::Name),
    ("priority", SortBy::Priority),
    ("status", SortBy::Status),
];
const DIRECTIONS: &[(&str, SortDirection)] = &[
    ("ascending", SortDirection::Ascending),
    ("asc", SortDirection::Ascending),
    ("descending", SortDirection::Descending),
    ("desc", SortDirection::Descending),
];

/// Looks a word up (any case); the error lists the accepted words.
fn word<T: Copy>(
    raw: Option<String>,
    name: &str,
    words: &[(&str, T)],
) -> Result<Option<T>, CoerceError> {
    let Some(raw) = raw else { return Ok(None) };
    let wanted = raw.trim().to_ascii_lowercase();
    words
        .iter()
        .find(|(w, _)| *w == wanted)
        .map(|(_, value)| Some(*value))
        .ok_or_else(|| {
            let list: Vec<&str> = words.iter().map(|(w, _)| *w).collect();
            CoerceError::expected(name, &format!("one of {}", list.join(", ")))
        })
}

/// Reads an ISO 8601 time: with an offset (`...Z`, `+02:00`), without one (taken as
/// UTC, which is what SerpWow's timestamps are), or a bare date (midnight UTC).
fn parse_time(name: &str, raw: &str) -> Result<Timestamp, CoerceError> {
    let raw = raw.trim();
    let time: Option<DateTime<Utc>> = DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
                .iter()
                .find_map(|format| NaiveDateTime::parse_from_str(raw, format).ok())
                .map(|t| t.and_utc())
        })
        .or_else(|| {
            NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc())
        });
    let time = time.ok_or_else(|| {
        CoerceError::expected(name, "an ISO 8601 time such as 2020-09-01T00:00:00.000Z")
    })?;
    Ok(Timestamp {
        seconds: time.timestamp(),
        nanos: i32::try_from(time.timestamp_subsec_nanos()).unwrap_or_default(),
    })
}

#[cfg(test)]
#[path = "listing_tests.rs"]
mod tests;
