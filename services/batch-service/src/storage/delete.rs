//! `DeleteBatches` in one SQL statement, hence one database round trip whatever the
//! number of ids: lock the tenant's requested rows, decide, delete (cascading to items
//! and runs through foreign keys) and write the audit record, atomically.
//!
//! The statement is a diesel query fragment with a static query id, so diesel prepares
//! it once per connection and afterwards each call is a single Bind/Execute exchange.

use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, Bool, Int8, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::Caller;
use crate::domain::BatchId;

/// What one delete request asks for.
#[derive(Debug, Clone)]
pub struct DeleteRequest<'a> {
    pub ids: &'a [BatchId],
    pub allow_missing: bool,
    /// Delete even batches with a result set whose webhook failed.
    pub force: bool,
    /// `grpc`, `rest` or `soap`: which door the request came through.
    pub door: &'a str,
    /// The W3C trace id of the request, or empty.
    pub trace_id: &'a str,
}

/// What the database decided. Nothing was changed unless it is `Deleted`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteOutcome {
    /// Every listed batch that exists is gone (ascending ids); the audit row is written.
    Deleted(Vec<i64>),
    /// These ids do not exist for the tenant (and `allow_missing` was not set).
    Missing(Vec<i64>),
    /// These ids are running.
    Running(Vec<i64>),
    /// These ids have a result set whose webhook failed (and `force` was not set).
    WebhookFailed(Vec<i64>),
}

/// Runs the delete as one statement.
#[tracing::instrument(name = "DELETE batches", skip_all, fields(otel.kind = "client", db.system.name = "postgresql", db.operation.name = "DELETE", db.collection.name = "batches", batch.count = request.ids.len()))]
pub async fn delete_batches(
    conn: &mut AsyncPgConnection,
    caller: Caller,
    request: &DeleteRequest<'_>,
) -> QueryResult<DeleteOutcome> {
    let mut ids: Vec<i64> = request.ids.iter().map(|id| id.get()).collect();
    // Duplicates count once.
    ids.sort_unstable();
    ids.dedup();
    let statement = DeleteStatement {
        tenant_id: caller.tenant.0,
        credential_id: caller.credential_id,
        ids: &ids,
        allow_missing: request.allow_missing,
        force: request.force,
        door: request.door,
        trace_id: request.trace_id,
    };
    let (deleted, running, missing, webhook_failed): (Vec<i64>, Vec<i64>, Vec<i64>, Vec<i64>) =
        RunQueryDsl::get_result(statement, conn).await?;
    Ok(if !missing.is_empty() && !request.allow_missing {
        DeleteOutcome::Missing(missing)
    } else if !running.is_empty() {
        DeleteOutcome::Running(running)
    } else if !webhook_failed.is_empty() {
        DeleteOutcome::WebhookFailed(webhook_failed)
    } else {
        DeleteOutcome::Deleted(deleted)
    })
}

/// The statement's parameters; see `walk_ast` for the SQL.
#[derive(Debug, Clone, Copy)]
struct DeleteStatement<'a> {
    tenant_id: i64,
    credential_id: i64,
    ids: &'a [i64],
    allow_missing: bool,
    force: bool,
    door: &'a str,
    trace_id: &'a str,
}

/// The statement's identity in diesel's prepared-statement cache.
struct DeleteStatementId;

impl QueryId for DeleteStatement<'_> {
    type QueryId = DeleteStatementId;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for DeleteStatement<'_> {
    /// Deleted ids, running ids, missing ids, ids whose webhook failed.
    type SqlType = (Array<Int8>, Array<Int8>, Array<Int8>, Array<Int8>);
}

impl QueryFragment<Pg> for DeleteStatement<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        // `ids` holds no duplicates (see `delete_batches`). `found` locks the tenant's
        // rows (another tenant's batch is simply not found): a concurrent start or
        // claim either finished before (and we see its state) or waits for us (and then
        // finds no row).
        out.push_sql("WITH requested AS (SELECT unnest(");
        out.push_bind_param::<Array<Int8>, _>(self.ids)?;
        out.push_sql(
            ") AS id), \
             found AS (SELECT b.id, b.state FROM batches b \
                WHERE b.id IN (SELECT id FROM requested) AND b.tenant_id = ",
        );
        out.push_bind_param::<Int8, _>(&self.tenant_id)?;
        out.push_sql(
            " FOR UPDATE), \
             verdict AS (SELECT \
                COALESCE((SELECT array_agg(id ORDER BY id) FROM found \
                    WHERE state = 'running'), '{}') AS running, \
                COALESCE((SELECT array_agg(id ORDER BY id) FROM requested \
                    WHERE id NOT IN (SELECT id FROM found)), '{}') AS missing, \
                COALESCE((SELECT array_agg(f.id ORDER BY f.id) FROM found f \
                    WHERE NOT ",
        );
        out.push_bind_param::<Bool, _>(&self.force)?;
        out.push_sql(
            " AND EXISTS (SELECT 1 FROM result_sets rs \
                    WHERE rs.batch_id = f.id AND rs.webhook_status = 'failed')), '{}') \
                    AS webhook_failed), \
             allowed AS (SELECT cardinality(running) = 0 \
                AND cardinality(webhook_failed) = 0 AND (",
        );
        out.push_bind_param::<Bool, _>(&self.allow_missing)?;
        out.push_sql(
            " OR cardinality(missing) = 0) AS ok FROM verdict), \
             deleted AS (DELETE FROM batches WHERE id IN (SELECT id FROM found) \
                AND (SELECT ok FROM allowed) RETURNING id), \
             audit AS (INSERT INTO batch_deletions \
                (tenant_id, credential_id, door, batch_ids, trace_id) \
                SELECT ",
        );
        out.push_bind_param::<Int8, _>(&self.tenant_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Int8, _>(&self.credential_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&self.door)?;
        out.push_sql(", COALESCE((SELECT array_agg(id ORDER BY id) FROM deleted), '{}'), ");
        out.push_bind_param::<Text, _>(&self.trace_id)?;
        out.push_sql(
            " WHERE (SELECT ok FROM allowed)) \
             SELECT COALESCE((SELECT array_agg(id ORDER BY id) FROM deleted), '{}'::int8[]), \
                running, missing, webhook_failed FROM verdict",
        );
        Ok(())
    }
}
