//! The fast delete: deletes the group's rows outright and checks every request
//! afterwards, within the same statement. When a request must be refused, the
//! statement calls `batch_delete_refused()` (a migration defines it), which raises an
//! error: PostgreSQL rolls the whole statement back, nothing of the group is changed
//! (no other transaction ever saw the deleted rows), and [`was_refused`] tells the
//! caller to decide the group again with [`super::careful`].
//!
//! The delete scans the primary key with the group's ids, which the index visits in
//! ascending order, so rows are locked in id order. It filters on nothing else, so that
//! the planner has no other index to choose (every other index of `batches` starts with
//! the tenant): a row whose tenant is not the requesting one's counts as a refusal, and
//! the careful statement then reports it missing to that request.
//!
//! A lone request has a statement of its own, with scalar parameters and no mapping of
//! rows to requests: it is the one an idle service runs, and the one that deletes many
//! ids at once.

use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::result::Error as DieselError;
use diesel::sql_types::{Array, Bool, Int4, Int8, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::{DeleteRequest, GroupParams};

/// How `batch_delete_refused()` words its error (see the migration that defines it).
const REFUSED_MESSAGE: &str = "batch delete refused";

/// Whether `error` is the statement's own abort: a request must be refused.
pub(super) fn was_refused(error: &DieselError) -> bool {
    matches!(error, DieselError::DatabaseError(_, info) if info.message().starts_with(REFUSED_MESSAGE))
}

/// Deletes every id of `request`, or refuses (see [`was_refused`]); returns the
/// deleted ids, ascending.
pub(super) async fn delete_one(
    conn: &mut AsyncPgConnection,
    request: &DeleteRequest,
) -> QueryResult<Vec<i64>> {
    let partial: Option<Vec<i64>> = RunQueryDsl::get_result(DeleteOne { request }, conn).await?;
    Ok(partial.unwrap_or_else(|| request.ids.clone()))
}

/// Deletes every id of every request of `group`, or refuses them all (see
/// [`was_refused`]); returns each request's deleted ids, ascending, in order.
pub(super) async fn delete_all(
    conn: &mut AsyncPgConnection,
    group: &GroupParams<'_>,
) -> QueryResult<Vec<Vec<i64>>> {
    let rows: Vec<(i64, Option<Vec<i64>>)> = RunQueryDsl::load(DeleteAll { group }, conn).await?;
    if rows.len() != group.requests.len() {
        return Err(DieselError::DeserializationError(
            format!(
                "{} answers for {} requests",
                rows.len(),
                group.requests.len()
            )
            .into(),
        ));
    }
    Ok(group
        .requests
        .iter()
        .zip(rows)
        .map(|(request, (_, partial))| partial.unwrap_or_else(|| request.ids.clone()))
        .collect())
}

/// The statement for a lone request.
struct DeleteOne<'a> {
    request: &'a DeleteRequest,
}

/// The statement's identity in diesel's prepared-statement cache.
struct DeleteOneId;

impl QueryId for DeleteOne<'_> {
    type QueryId = DeleteOneId;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for DeleteOne<'_> {
    /// The deleted ids when some were missing (`allow_missing`), NULL when all went.
    type SqlType = Nullable<Array<Int8>>;
}

impl QueryFragment<Pg> for DeleteOne<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let request = self.request;
        // Parameters: $1 tenant, $2 credential, $3 allow_missing, $4 force, $5 door,
        // $6 trace id, $7 ids. `decided` is read twice, so it runs once; a CASE
        // evaluates only the branch it takes, so the refusal is raised only when due.
        out.push_sql("WITH gone AS (DELETE FROM batches WHERE id = ANY ($7) RETURNING id, tenant_id, state), \
            tally AS (SELECT count(*) AS found, \
                bool_or(state = 'running' OR tenant_id <> $1) AS refused FROM gone), \
            decided AS (SELECT t.found = cardinality($7) AS complete, \
                CASE WHEN t.refused OR NOT ($3 OR t.found = cardinality($7)) \
                    OR (NOT $4 AND EXISTS (SELECT 1 FROM result_sets \
                        WHERE webhook_status = 'failed' AND batch_id = ANY ($7))) \
                        THEN batch_delete_refused() \
                    WHEN t.found = cardinality($7) THEN $7 \
                    ELSE (SELECT COALESCE(array_agg(id ORDER BY id), '{}') FROM gone) END AS deleted \
                FROM tally t), \
            audit AS (INSERT INTO batch_deletions (tenant_id, credential_id, door, batch_ids, trace_id) \
                SELECT $1, $2, $5, deleted, $6 FROM decided) \
            SELECT CASE WHEN complete THEN NULL ELSE deleted END FROM decided -- ");
        // The text names each parameter by number, some of them several times; diesel
        // numbers binds in the order they are pushed and writes their placeholders
        // where it pushes them, so they go last, into the comment, in that order.
        out.push_bind_param::<Int8, _>(&request.caller.tenant.0)?;
        out.push_bind_param::<Int8, _>(&request.caller.credential_id)?;
        out.push_bind_param::<Bool, _>(&request.allow_missing)?;
        out.push_bind_param::<Bool, _>(&request.force)?;
        out.push_bind_param::<Text, _>(&request.door)?;
        out.push_bind_param::<Text, _>(&request.trace_id)?;
        out.push_bind_param::<Array<Int8>, _>(&request.ids)?;
        Ok(())
    }
}

/// The statement for a group of requests.
struct DeleteAll<'a> {
    group: &'a GroupParams<'a>,
}

/// The statement's identity in diesel's prepared-statement cache.
struct DeleteAllId;

impl QueryId for DeleteAll<'_> {
    type QueryId = DeleteAllId;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for DeleteAll<'_> {
    /// Request number; its deleted ids when some were missing, NULL when all went.
    type SqlType = (Int8, Nullable<Array<Int8>>);
}

impl QueryFragment<Pg> for DeleteAll<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let group = self.group;
        // Parameters, one entry per request: $1 tenant, $2 credential, $3
        // allow_missing, $4 force, $5 door, $6 trace id, $7 how many ids, $8 where its
        // ids start in $10; and per id: $9 the request's number, $10 the id.
        // `mine` maps each deleted row to its request and marks the rows that refuse
        // it; `decided` raises the refusal or gives each request its deleted ids (a
        // slice of $10 when all went).
        out.push_sql("WITH req AS (SELECT * FROM unnest($1, $2, $3, $4, $5, $6, $7, $8) WITH ORDINALITY \
                AS r(tenant_id, credential_id, allow_missing, force, door, trace_id, wanted, first, n)), \
            gone AS (DELETE FROM batches WHERE id = ANY ($10) RETURNING id, tenant_id, state), \
            failed AS (SELECT DISTINCT batch_id FROM result_sets \
                WHERE webhook_status = 'failed' AND batch_id = ANY ($10)), \
            mine AS (SELECT w.n, g.id, g.state = 'running' OR g.tenant_id <> r.tenant_id \
                    OR (NOT r.force AND f.batch_id IS NOT NULL) AS refused \
                FROM gone g JOIN unnest($9, $10) AS w(n, id) ON w.id = g.id \
                JOIN req r ON r.n = w.n LEFT JOIN failed f ON f.batch_id = g.id), \
            tally AS (SELECT n, count(*) AS found, bool_or(refused) AS refused FROM mine GROUP BY n), \
            decided AS (SELECT r.n, r.tenant_id, r.credential_id, r.door, r.trace_id, \
                    COALESCE(t.found, 0) = r.wanted AS complete, \
                CASE WHEN t.refused OR NOT (r.allow_missing OR COALESCE(t.found, 0) = r.wanted) \
                        THEN batch_delete_refused() \
                    WHEN t.found = r.wanted THEN $10[r.first : r.first + r.wanted - 1] \
                    ELSE (SELECT COALESCE(array_agg(m.id ORDER BY m.id), '{}') FROM mine m \
                        WHERE m.n = r.n) END AS deleted \
                FROM req r LEFT JOIN tally t ON t.n = r.n), \
            audit AS (INSERT INTO batch_deletions (tenant_id, credential_id, door, batch_ids, trace_id) \
                SELECT tenant_id, credential_id, door, deleted, trace_id FROM decided) \
            SELECT n, CASE WHEN complete THEN NULL ELSE deleted END FROM decided ORDER BY n -- ");
        // Numbered as above, like the lone statement's.
        out.push_bind_param::<Array<Int8>, _>(&group.tenant_ids)?;
        out.push_bind_param::<Array<Int8>, _>(&group.credential_ids)?;
        out.push_bind_param::<Array<Bool>, _>(&group.allow_missing)?;
        out.push_bind_param::<Array<Bool>, _>(&group.force)?;
        out.push_bind_param::<Array<Text>, _>(&group.doors)?;
        out.push_bind_param::<Array<Text>, _>(&group.trace_ids)?;
        out.push_bind_param::<Array<Int4>, _>(&group.id_counts)?;
        out.push_bind_param::<Array<Int4>, _>(&group.first_positions)?;
        out.push_bind_param::<Array<Int8>, _>(&group.id_requests)?;
        out.push_bind_param::<Array<Int8>, _>(&group.ids)?;
        Ok(())
    }
}
