//! `DeleteBatches` for a group of requests in one SQL statement: one round trip and one
//! commit however many requests and ids the group holds, each request still decided on
//! its own. [`super::grouping`] forms the groups; a lone request is a group of one.
//!
//! For every request the statement locks the tenant's listed rows, finds the running
//! and the missing ones, and deletes the request's rows (items and runs cascade through
//! foreign keys) only if none is running and (`allow_missing` or none is missing); it
//! writes one audit row per request that went through. Requests refused stay untouched
//! while the rest of the group goes through.
//!
//! Rows are locked in id order across the whole group, so two statements whose ids
//! overlap wait for each other instead of deadlocking. Two requests naming the same id
//! are never put in one group (see [`super::grouping`]).
//!
//! The statement is a diesel query fragment with a static query id, so diesel prepares
//! it once per connection; its text does not depend on the group's size (every value
//! travels in arrays).

use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, Bool, Int8, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::Caller;
use crate::domain::{Action, BatchId, Refusal, Resource};

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

/// Runs the requests as one statement; the outcomes come in the requests' order.
/// The requests must not share ids (the grouping guarantees it).
pub async fn delete_group(
    conn: &mut AsyncPgConnection,
    requests: &[&DeleteRequest],
) -> QueryResult<Vec<DeleteOutcome>> {
    let id_count = requests.iter().map(|r| r.ids.len()).sum();
    let mut statement = GroupStatement {
        tenant_ids: Vec::with_capacity(requests.len()),
        credential_ids: Vec::with_capacity(requests.len()),
        allow_missing: Vec::with_capacity(requests.len()),
        force: Vec::with_capacity(requests.len()),
        doors: Vec::with_capacity(requests.len()),
        trace_ids: Vec::with_capacity(requests.len()),
        id_requests: Vec::with_capacity(id_count),
        ids: Vec::with_capacity(id_count),
    };
    for (number, request) in (1_i64..).zip(requests) {
        statement.tenant_ids.push(request.caller.tenant.0);
        statement.credential_ids.push(request.caller.credential_id);
        statement.allow_missing.push(request.allow_missing);
        statement.force.push(request.force);
        statement.doors.push(request.door);
        statement.trace_ids.push(&request.trace_id);
        statement
            .id_requests
            .extend(std::iter::repeat_n(number, request.ids.len()));
        statement.ids.extend_from_slice(&request.ids);
    }
    let rows: Vec<VerdictRow> = RunQueryDsl::load(statement, conn).await?;
    if rows.len() != requests.len() {
        return Err(diesel::result::Error::DeserializationError(
            format!("{} outcomes for {} requests", rows.len(), requests.len()).into(),
        ));
    }
    Ok(requests
        .iter()
        .zip(rows)
        .map(|(request, (_, found, running, missing, webhook_failed))| {
            if !missing.is_empty() && !request.allow_missing {
                Err(Refusal::NotFound {
                    resource: Resource::Batch,
                    ids: missing,
                })
            } else if !running.is_empty() {
                Err(Refusal::Running {
                    action: Action::Delete,
                    ids: running,
                })
            } else if !webhook_failed.is_empty() {
                Err(Refusal::WebhookFailed {
                    ids: webhook_failed,
                })
            } else {
                // Every found row was locked, so the delete took exactly these.
                Ok(found)
            }
        })
        .collect())
}

/// One request's verdict: its number, the ids found (and locked) for its tenant, running
/// ids, missing ids, ids whose webhook failed.
type VerdictRow = (i64, Vec<i64>, Vec<i64>, Vec<i64>, Vec<i64>);

/// The statement's parameters, as arrays: one entry per request (numbered from 1 in
/// order), and the flattened `(request number, id)` pairs.
struct GroupStatement<'a> {
    tenant_ids: Vec<i64>,
    credential_ids: Vec<i64>,
    allow_missing: Vec<bool>,
    force: Vec<bool>,
    doors: Vec<&'a str>,
    trace_ids: Vec<&'a str>,
    id_requests: Vec<i64>,
    ids: Vec<i64>,
}

/// The statement's identity in diesel's prepared-statement cache.
struct GroupStatementId;

impl QueryId for GroupStatement<'_> {
    type QueryId = GroupStatementId;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for GroupStatement<'_> {
    /// Request number, found ids, running ids, missing ids, webhook-failed ids.
    type SqlType = (Int8, Array<Int8>, Array<Int8>, Array<Int8>, Array<Int8>);
}

impl QueryFragment<Pg> for GroupStatement<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        // `found` locks the requested rows of each request's tenant in id order (another
        // tenant's batch is simply not found). A concurrent start or claim either
        // finished before (and we see its state) or waits for us (and then finds no
        // row). `verdict` decides each request in one aggregation over its wanted ids;
        // `ok` holds the requests that go through, which `deleted` and `audit` both
        // read. Data-modifying CTEs always run, read or not.
        out.push_sql("WITH req AS (SELECT * FROM unnest(");
        out.push_bind_param::<Array<Int8>, _>(&self.tenant_ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Int8>, _>(&self.credential_ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Bool>, _>(&self.allow_missing)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Bool>, _>(&self.force)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.doors)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.trace_ids)?;
        out.push_sql(
            ") WITH ORDINALITY AS r(tenant_id, credential_id, allow_missing, force, door, trace_id, n)), \
             wanted AS (SELECT * FROM unnest(",
        );
        out.push_bind_param::<Array<Int8>, _>(&self.id_requests)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Int8>, _>(&self.ids)?;
        out.push_sql(
            ") AS w(n, id)), \
             found AS MATERIALIZED (SELECT b.id, b.state, w.n FROM wanted w \
                JOIN req r ON r.n = w.n \
                JOIN batches b ON b.id = w.id AND b.tenant_id = r.tenant_id \
                ORDER BY b.id FOR UPDATE OF b), \
             verdict AS (SELECT r.n, r.tenant_id, r.credential_id, r.door, r.trace_id, \
                r.allow_missing, \
                COALESCE(array_agg(f.id ORDER BY f.id) FILTER (WHERE f.id IS NOT NULL), \
                    '{}') AS found, \
                COALESCE(array_agg(w.id ORDER BY w.id) \
                    FILTER (WHERE w.id IS NOT NULL AND f.id IS NULL), '{}') AS missing, \
                COALESCE(array_agg(f.id ORDER BY f.id) FILTER (WHERE f.state = 'running'), \
                    '{}') AS running, \
                COALESCE(array_agg(f.id ORDER BY f.id) FILTER (WHERE NOT r.force AND EXISTS \
                    (SELECT 1 FROM result_sets rs \
                     WHERE rs.batch_id = f.id AND rs.webhook_status = 'failed')), \
                    '{}') AS webhook_failed \
                FROM req r LEFT JOIN wanted w ON w.n = r.n LEFT JOIN found f ON f.id = w.id \
                GROUP BY r.n, r.tenant_id, r.credential_id, r.door, r.trace_id, \
                    r.allow_missing, r.force), \
             ok AS (SELECT * FROM verdict WHERE running = '{}' AND webhook_failed = '{}' \
                AND (allow_missing OR missing = '{}')), \
             deleted AS (DELETE FROM batches b USING ok \
                WHERE b.id = ANY (ok.found) AND b.tenant_id = ok.tenant_id), \
             audit AS (INSERT INTO batch_deletions \
                (tenant_id, credential_id, door, batch_ids, trace_id) \
                SELECT tenant_id, credential_id, door, found, trace_id FROM ok) \
             SELECT n, found, running, missing, webhook_failed FROM verdict ORDER BY n",
        );
        Ok(())
    }
}
