//! The careful delete: locks the group's rows in id order, decides each request from
//! what it finds, and deletes only the requests that go through, refusing the others
//! alone. Run when the [`super::fast`] statement found a request it must refuse.
//!
//! For every request the statement finds the running and the missing rows and those
//! with a failed webhook, and deletes the request's rows only if none is running, none
//! has a failed webhook (unless `force`) and (`allow_missing` or none is missing); it
//! writes one audit row per request that went through. A concurrent start or claim
//! either finished before (and its state is seen) or waits for the lock (and then
//! finds no row).

use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, Bool, Int8, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::{DeleteOutcome, GroupParams};
use crate::domain::{Action, Refusal, Resource};

/// Decides each request of `group` under row locks; the outcomes come in the
/// requests' order.
pub(super) async fn decide_each(
    conn: &mut AsyncPgConnection,
    group: &GroupParams<'_>,
) -> QueryResult<Vec<DeleteOutcome>> {
    let requests = group.requests;
    let statement = DecideEach { group };
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

/// The statement over a group's parameters.
struct DecideEach<'a> {
    group: &'a GroupParams<'a>,
}

/// The statement's identity in diesel's prepared-statement cache.
struct DecideEachId;

impl QueryId for DecideEach<'_> {
    type QueryId = DecideEachId;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for DecideEach<'_> {
    /// Request number, found ids, running ids, missing ids, webhook-failed ids.
    type SqlType = (Int8, Array<Int8>, Array<Int8>, Array<Int8>, Array<Int8>);
}

impl QueryFragment<Pg> for DecideEach<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        // `found` locks the requested rows of each request's tenant in id order (another
        // tenant's batch is simply not found). A concurrent start or claim either
        // finished before (and we see its state) or waits for us (and then finds no
        // row). `verdict` decides each request in one aggregation over its wanted ids;
        // `ok` holds the requests that go through, which `deleted` and `audit` both
        // read. Data-modifying CTEs always run, read or not.
        out.push_sql("WITH req AS (SELECT * FROM unnest(");
        out.push_bind_param::<Array<Int8>, _>(&self.group.tenant_ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Int8>, _>(&self.group.credential_ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Bool>, _>(&self.group.allow_missing)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Bool>, _>(&self.group.force)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.group.doors)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.group.trace_ids)?;
        out.push_sql(
            ") WITH ORDINALITY AS r(tenant_id, credential_id, allow_missing, force, door, trace_id, n)), \
             wanted AS (SELECT * FROM unnest(",
        );
        out.push_bind_param::<Array<Int8>, _>(&self.group.id_requests)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Int8>, _>(&self.group.ids)?;
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
