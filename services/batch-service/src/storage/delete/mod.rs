//! `DeleteBatches` for a group of requests: one round trip and one commit however many
//! requests and ids the group holds, each request still decided on its own.
//! [`super::grouping`] forms the groups; a lone request is a group of one.
//!
//! Two statements share the work:
//!
//! - [`fast`] deletes the group's rows outright (items, runs and result sets cascade
//!   through foreign keys), then checks every request. When all of them go through,
//!   which is what callers almost always ask for, that is the whole cost: no separate
//!   pass takes row locks first.
//! - When any request must be refused (a running batch, a missing id without
//!   `allow_missing`, a failed webhook without `force`, another tenant's row), the fast
//!   statement aborts itself, so nothing of the group is changed, and [`careful`]
//!   decides the group again: it locks the rows first and refuses only the requests
//!   that must be refused, while the rest of the group goes through.
//!
//! Either way rows are locked in id order across the whole group (the fast statement's
//! delete scans the primary key with the group's ids; the careful one sorts before it
//! locks), so two statements whose ids overlap wait for each other instead of
//! deadlocking. Two requests naming the same id are never put in one group (see
//! [`super::grouping`]).
//!
//! The statements are diesel query fragments with static query ids, so diesel prepares
//! each once per connection; their text does not depend on the group's size (every
//! value travels in arrays).

mod careful;
mod fast;

use diesel::QueryResult;
use diesel_async::AsyncPgConnection;

use super::Caller;
use crate::domain::{BatchId, Refusal};

/// What one delete request asks for.
#[derive(Debug, Clone)]
pub struct DeleteRequest {
    pub caller: Caller,
    /// Ascending, without duplicates (duplicates count once).
    ids: Vec<i64>,
    pub allow_missing: bool,
    /// Delete even batches with a result set whose webhook failed.
    pub force: bool,
    /// `grpc`, `rest` or `soap`: which door the request came through.
    pub door: &'static str,
    /// The W3C trace id of the request, or empty.
    pub trace_id: String,
}

impl DeleteRequest {
    pub fn new(
        caller: Caller,
        ids: impl IntoIterator<Item = BatchId>,
        allow_missing: bool,
        force: bool,
        door: &'static str,
        trace_id: String,
    ) -> Self {
        let mut ids: Vec<i64> = ids.into_iter().map(BatchId::get).collect();
        ids.sort_unstable();
        ids.dedup();
        Self {
            caller,
            ids,
            allow_missing,
            force,
            door,
            trace_id,
        }
    }

    /// The distinct ids, ascending.
    pub fn ids(&self) -> &[i64] {
        &self.ids
    }
}

/// What the database decided for one request: the deleted ids (ascending; the audit
/// row is written), or why nothing of the request was changed.
pub type DeleteOutcome = Result<Vec<i64>, Refusal>;

/// Decides the requests in one statement, or in two when one of them is refused; the
/// outcomes come in the requests' order. The requests must not share ids (the
/// grouping guarantees it).
pub async fn delete_group(
    conn: &mut AsyncPgConnection,
    requests: &[&DeleteRequest],
) -> QueryResult<Vec<DeleteOutcome>> {
    let deleted = match requests {
        [request] => fast::delete_one(conn, request).await.map(|ids| vec![ids]),
        _ => fast::delete_all(conn, &GroupParams::new(requests)).await,
    };
    match deleted {
        Ok(deleted) => Ok(deleted.into_iter().map(Ok).collect()),
        Err(error) if fast::was_refused(&error) => {
            careful::decide_each(conn, &GroupParams::new(requests)).await
        }
        Err(error) => Err(error),
    }
}

/// A group's requests as the statements' array parameters: one entry per request
/// (numbered from 1 in order), and the flattened `(request number, id)` pairs, each
/// request's ids contiguous and ascending.
struct GroupParams<'a> {
    requests: &'a [&'a DeleteRequest],
    tenant_ids: Vec<i64>,
    credential_ids: Vec<i64>,
    allow_missing: Vec<bool>,
    force: Vec<bool>,
    doors: Vec<&'a str>,
    trace_ids: Vec<&'a str>,
    /// How many ids each request names.
    id_counts: Vec<i32>,
    /// Where each request's ids start in `ids` (from 1, as SQL arrays count).
    first_positions: Vec<i32>,
    id_requests: Vec<i64>,
    ids: Vec<i64>,
}

impl<'a> GroupParams<'a> {
    fn new(requests: &'a [&'a DeleteRequest]) -> Self {
        let id_count = requests.iter().map(|r| r.ids.len()).sum();
        let mut group = Self {
            requests,
            tenant_ids: Vec::with_capacity(requests.len()),
            credential_ids: Vec::with_capacity(requests.len()),
            allow_missing: Vec::with_capacity(requests.len()),
            force: Vec::with_capacity(requests.len()),
            doors: Vec::with_capacity(requests.len()),
            trace_ids: Vec::with_capacity(requests.len()),
            id_counts: Vec::with_capacity(requests.len()),
            first_positions: Vec::with_capacity(requests.len()),
            id_requests: Vec::with_capacity(id_count),
            ids: Vec::with_capacity(id_count),
        };
        for (number, request) in (1_i64..).zip(requests) {
            group.tenant_ids.push(request.caller.tenant.0);
            group.credential_ids.push(request.caller.credential_id);
            group.allow_missing.push(request.allow_missing);
            group.force.push(request.force);
            group.doors.push(request.door);
            group.trace_ids.push(&request.trace_id);
            // A group holds at most the service's delete limit of ids (10,000 by
            // default), far below i32::MAX.
            group.id_counts.push(sql_position(request.ids.len()));
            group
                .first_positions
                .push(sql_position(group.ids.len() + 1));
            group
                .id_requests
                .extend(std::iter::repeat_n(number, request.ids.len()));
            group.ids.extend_from_slice(&request.ids);
        }
        group
    }
}

fn sql_position(value: usize) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}
