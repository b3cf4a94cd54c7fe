//! The items of a batch (SerpWow "searches"). Changes lock the batch row first, so an
//! item change and a claim of the same batch cannot interleave, and keep
//! `batches.item_count` in step in the same transaction.

use diesel::prelude::*;
use diesel_async::{AsyncConnection as _, AsyncPgConnection, RunQueryDsl};

use super::schema::{batch_items, batches};
use super::{BatchRecord, ItemRecord, TenantId};
use crate::domain::{Action, BatchId, ItemId, Refusal, Resource, ShortText};

/// A new item: the client's id and its parameters (a JSON object).
#[derive(Debug, Clone, PartialEq)]
pub struct NewItem {
    pub custom_id: ShortText,
    pub parameters: serde_json::Value,
}

/// Locks the tenant's batch for an item change; `Err` carries the refusal.
async fn lock_changeable_batch(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: BatchId,
) -> QueryResult<Result<BatchRecord, Refusal>> {
    let batch = batches::table
        .filter(batches::id.eq(id.get()))
        .filter(batches::tenant_id.eq(tenant.0))
        .select(BatchRecord::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?;
    Ok(match batch {
        None => Err(Refusal::batch_not_found(id)),
        Some(b) => Action::ChangeItems.check(id, b.state).map(|()| b),
    })
}

async fn adjust_count(
    conn: &mut AsyncPgConnection,
    id: BatchId,
    delta: i64,
) -> QueryResult<BatchRecord> {
    diesel::update(batches::table.find(id.get()))
        .set((
            batches::item_count.eq(batches::item_count + delta),
            batches::updated_at.eq(chrono::Utc::now()),
        ))
        .returning(BatchRecord::as_returning())
        .get_result(conn)
        .await
}

/// Adds items; returns them with the batch as it is afterwards.
#[tracing::instrument(name = "INSERT batch_items", skip_all, fields(otel.kind = "client", db.system.name = "postgresql", db.operation.name = "INSERT", db.collection.name = "batch_items", batch.id = id.get()))]
pub async fn add(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: BatchId,
    items: &[NewItem],
) -> QueryResult<Result<(Vec<ItemRecord>, BatchRecord), Refusal>> {
    conn.transaction(async |conn| {
        if let Err(refusal) = lock_changeable_batch(conn, tenant, id).await? {
            return Ok(Err(refusal));
        }
        let rows: Vec<_> = items
            .iter()
            .map(|item| {
                (
                    batch_items::batch_id.eq(id.get()),
                    batch_items::custom_id.eq(item.custom_id.as_str()),
                    batch_items::parameters.eq(&item.parameters),
                )
            })
            .collect();
        let inserted = diesel::insert_into(batch_items::table)
            .values(&rows)
            .returning(ItemRecord::as_returning())
            .get_results(conn)
            .await?;
        let batch = adjust_count(conn, id, inserted.len() as i64).await?;
        Ok(Ok((inserted, batch)))
    })
    .await
}

/// One page of a batch's items, optionally only those matching `query`, and the
/// number of matching items.
#[tracing::instrument(name = "SELECT batch_items", skip_all, fields(otel.kind = "client", db.system.name = "postgresql", db.operation.name = "SELECT", db.collection.name = "batch_items", batch.id = id.get()))]
pub async fn list(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: BatchId,
    query: Option<&str>,
    limit: i64,
    offset: i64,
) -> QueryResult<Result<(Vec<ItemRecord>, i64), Refusal>> {
    if super::batches::find(conn, tenant, id).await?.is_none() {
        return Ok(Err(Refusal::batch_not_found(id)));
    }
    let matching = || {
        let mut q = batch_items::table
            .filter(batch_items::batch_id.eq(id.get()))
            .into_boxed();
        if let Some(text) = query {
            let pattern = format!("%{}%", super::batches::escape_like(text));
            q = q.filter(
                batch_items::custom_id
                    .ilike(pattern.clone())
                    .or(diesel::dsl::sql::<diesel::sql_types::Text>(
                        "batch_items.parameters::text",
                    )
                    .ilike(pattern)),
            );
        }
        q
    };
    let total = matching().count().get_result(conn).await?;
    let page = matching()
        .order_by(batch_items::id.asc())
        .limit(limit)
        .offset(offset)
        .select(ItemRecord::as_select())
        .load(conn)
        .await?;
    Ok(Ok((page, total)))
}

/// Deletes the listed items of a batch, all of them or none.
#[tracing::instrument(name = "DELETE batch_items", skip_all, fields(otel.kind = "client", db.system.name = "postgresql", db.operation.name = "DELETE", db.collection.name = "batch_items", batch.id = id.get()))]
pub async fn delete(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: BatchId,
    item_ids: &[ItemId],
) -> QueryResult<Result<Vec<i64>, Refusal>> {
    let mut wanted: Vec<i64> = item_ids.iter().map(|i| i.get()).collect();
    wanted.sort_unstable();
    wanted.dedup();
    conn.transaction(async |conn| {
        if let Err(refusal) = lock_changeable_batch(conn, tenant, id).await? {
            return Ok(Err(refusal));
        }
        let existing: Vec<i64> = batch_items::table
            .filter(batch_items::batch_id.eq(id.get()))
            .filter(batch_items::id.eq_any(&wanted))
            .select(batch_items::id)
            .load(conn)
            .await?;
        let missing: Vec<i64> = wanted
            .iter()
            .copied()
            .filter(|w| !existing.contains(w))
            .collect();
        if !missing.is_empty() {
            return Ok(Err(Refusal::NotFound {
                resource: Resource::Item,
                ids: missing,
            }));
        }
        let mut deleted: Vec<i64> = diesel::delete(
            batch_items::table
                .filter(batch_items::batch_id.eq(id.get()))
                .filter(batch_items::id.eq_any(&wanted)),
        )
        .returning(batch_items::id)
        .get_results(conn)
        .await?;
        deleted.sort_unstable();
        adjust_count(conn, id, -(deleted.len() as i64)).await?;
        Ok(Ok(deleted))
    })
    .await
}

/// Deletes every item of a batch; returns how many there were.
#[tracing::instrument(name = "DELETE batch_items", skip_all, fields(otel.kind = "client", db.system.name = "postgresql", db.operation.name = "DELETE", db.collection.name = "batch_items", batch.id = id.get()))]
pub async fn clear(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: BatchId,
) -> QueryResult<Result<i64, Refusal>> {
    conn.transaction(async |conn| {
        if let Err(refusal) = lock_changeable_batch(conn, tenant, id).await? {
            return Ok(Err(refusal));
        }
        let deleted = diesel::delete(batch_items::table.filter(batch_items::batch_id.eq(id.get())))
            .execute(conn)
            .await? as i64;
        adjust_count(conn, id, -deleted).await?;
        Ok(Ok(deleted))
    })
    .await
}

/// Merges `parameters` (a JSON object; a null value removes that key) into one item
/// and replaces its custom id when given. Refused while the batch runs.
#[tracing::instrument(name = "UPDATE batch_items", skip_all, fields(otel.kind = "client", db.system.name = "postgresql", db.operation.name = "UPDATE", db.collection.name = "batch_items", batch.id = id.get()))]
pub async fn update(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: BatchId,
    item: ItemId,
    parameters: &serde_json::Map<String, serde_json::Value>,
    custom_id: Option<&str>,
) -> QueryResult<Result<ItemRecord, Refusal>> {
    conn.transaction(async |conn| {
        if let Err(refusal) = lock_changeable_batch(conn, tenant, id).await? {
            return Ok(Err(refusal));
        }
        let target = batch_items::table
            .filter(batch_items::id.eq(item.get()))
            .filter(batch_items::batch_id.eq(id.get()));
        let Some(current) = target
            .select(ItemRecord::as_select())
            .first(conn)
            .await
            .optional()?
        else {
            return Ok(Err(Refusal::NotFound {
                resource: Resource::Item,
                ids: vec![item.get()],
            }));
        };
        let mut merged = current.parameters;
        for (key, value) in parameters {
            if value.is_null() {
                merged.remove(key);
            } else {
                merged.insert(key.clone(), value.clone());
            }
        }
        let updated = diesel::update(target)
            .set((
                batch_items::parameters.eq(serde_json::Value::Object(merged)),
                batch_items::custom_id.eq(custom_id.unwrap_or(&current.custom_id)),
            ))
            .returning(ItemRecord::as_returning())
            .get_result(conn)
            .await?;
        Ok(Ok(updated))
    })
    .await
}
