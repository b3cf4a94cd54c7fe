//! Creating, reading, listing and updating batches.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::{AsyncConnection as _, AsyncPgConnection, RunQueryDsl};

use super::record::{NewBatchRow, destination_ids, to_json};
use super::schema::batches;
use super::{BatchRecord, TenantId};
use crate::domain::{
    BatchField, BatchId, BatchPatch, BatchState, ListQuery, NameMatch, NewBatch, Priority, Refusal,
    SortKey,
};

/// Inserts a batch, already QUEUED when `start` is set (SOAP `StartBatchJob`).
#[tracing::instrument(name = "INSERT batches", skip_all, fields(otel.kind = "client", db.system.name = "postgresql", db.operation.name = "INSERT", db.collection.name = "batches"))]
pub async fn create(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    batch: &NewBatch,
    start: bool,
) -> QueryResult<BatchRecord> {
    let state = if start {
        BatchState::Queued
    } else {
        BatchState::New
    };
    diesel::insert_into(batches::table)
        .values(NewBatchRow::new(tenant.0, batch, state))
        .returning(BatchRecord::as_returning())
        .get_result(conn)
        .await
}

/// One batch of the tenant; `None` also for another tenant's batch.
#[tracing::instrument(name = "SELECT batches", skip_all, fields(otel.kind = "client", db.system.name = "postgresql", db.operation.name = "SELECT", db.collection.name = "batches", batch.id = id.get()))]
pub async fn find(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: BatchId,
) -> QueryResult<Option<BatchRecord>> {
    batches::table
        .filter(batches::id.eq(id.get()))
        .filter(batches::tenant_id.eq(tenant.0))
        .select(BatchRecord::as_select())
        .first(conn)
        .await
        .optional()
}

/// One page of the tenant's batches and the number matching the filters.
#[tracing::instrument(name = "SELECT batches", skip_all, fields(otel.kind = "client", db.system.name = "postgresql", db.operation.name = "SELECT", db.collection.name = "batches"))]
pub async fn list(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    query: &ListQuery,
) -> QueryResult<(Vec<BatchRecord>, i64)> {
    let total = filtered(tenant, query).count().get_result(conn).await?;
    let page = sorted(filtered(tenant, query), query)
        .limit(query.limit)
        .offset(query.offset)
        .select(BatchRecord::as_select())
        .load(conn)
        .await?;
    Ok((page, total))
}

type BoxedBatches<'a> = batches::BoxedQuery<'a, Pg>;

fn filtered<'a>(tenant: TenantId, query: &'a ListQuery) -> BoxedBatches<'a> {
    let mut q = batches::table
        .filter(batches::tenant_id.eq(tenant.0))
        .into_boxed();
    if !query.states.is_empty() {
        q = q.filter(batches::state.eq_any(&query.states));
    }
    if let Some(name) = &query.name {
        let text = name.text.as_str();
        q = match name.how {
            NameMatch::Exact => q.filter(batches::name.eq(text)),
            NameMatch::Prefix => q.filter(batches::name.ilike(format!("{}%", escape_like(text)))),
            NameMatch::Suffix => q.filter(batches::name.ilike(format!("%{}", escape_like(text)))),
            NameMatch::Contains => {
                // SerpWow: every word must occur, non-alphanumerics separate words, and
                // the whole text may also be the batch id.
                let words: Vec<String> = text
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .map(|w| format!("%{}%", escape_like(w)))
                    .collect();
                let id_match = text.trim().parse::<i64>().ok();
                let mut all_words: Box<dyn BoxableExpression<batches::table, Pg, SqlType = _>> =
                    Box::new(diesel::dsl::sql::<diesel::sql_types::Bool>("TRUE"));
                for word in words {
                    all_words = Box::new(all_words.and(batches::name.ilike(word)));
                }
                match id_match {
                    Some(id) => q.filter(all_words.or(batches::id.eq(id))),
                    None => q.filter(all_words),
                }
            }
        };
    }
    if !query.owner_ids.is_empty() {
        q = q.filter(batches::owner_id.eq_any(query.owner_ids.clone()));
    }
    if let Some(after) = query.created_after {
        q = q.filter(batches::created_at.gt(after));
    }
    if let Some(before) = query.created_before {
        q = q.filter(batches::created_at.lt(before));
    }
    if let Some(after) = query.last_started_after {
        q = q.filter(batches::last_started_at.gt(after));
    }
    if let Some(before) = query.last_started_before {
        q = q.filter(batches::last_started_at.lt(before));
    }
    match query.has_results {
        Some(true) => q = q.filter(batches::results_count.gt(0)),
        Some(false) => q = q.filter(batches::results_count.eq(0)),
        None => {}
    }
    if let Some(destination) = &query.destination_id {
        q = q.filter(batches::destination_ids.contains(vec![destination.to_string()]));
    }
    q
}

fn sorted<'a>(q: BoxedBatches<'a>, query: &ListQuery) -> BoxedBatches<'a> {
    macro_rules! by {
        ($column:expr) => {
            if query.descending {
                q.order_by($column.desc().nulls_last())
                    .then_order_by(batches::id.desc())
            } else {
                q.order_by($column.asc().nulls_last())
                    .then_order_by(batches::id.asc())
            }
        };
    }
    match query.sort {
        SortKey::Id => by!(batches::id),
        SortKey::Name => by!(batches::name),
        SortKey::CreateTime => by!(batches::created_at),
        SortKey::LastStartTime => by!(batches::last_started_at),
        SortKey::Priority => by!(batches::priority),
        SortKey::State => by!(batches::state),
    }
}

/// `%`, `_` and `\` are wildcards to ILIKE; a filter text is literal.
pub(super) fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// Applies a patch under a row lock, so the rules see the state the change applies to.
#[tracing::instrument(name = "UPDATE batches", skip_all, fields(otel.kind = "client", db.system.name = "postgresql", db.operation.name = "UPDATE", db.collection.name = "batches", batch.id = patch.id.get()))]
pub async fn update(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    patch: &BatchPatch,
) -> QueryResult<Result<BatchRecord, Refusal>> {
    conn.transaction(async |conn| {
        let Some(current) = batches::table
            .filter(batches::id.eq(patch.id.get()))
            .filter(batches::tenant_id.eq(tenant.0))
            .select(BatchRecord::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?
        else {
            return Ok(Err(Refusal::batch_not_found(patch.id)));
        };
        if let Err(refusal) = patch.check(current.state) {
            return Ok(Err(refusal));
        }
        let changes = Changes::new(&current, patch);
        let updated = diesel::update(batches::table.find(current.id))
            .set(&changes)
            .returning(BatchRecord::as_returning())
            .get_result(conn)
            .await?;
        Ok(Ok(updated))
    })
    .await
}

/// The columns an update writes; `None` leaves a column alone.
#[derive(AsChangeset)]
#[diesel(table_name = batches)]
struct Changes<'a> {
    name: Option<&'a str>,
    description: Option<&'a str>,
    state: Option<BatchState>,
    owner_id: Option<i64>,
    queued_at: Option<Option<DateTime<Utc>>>,
    last_started_at: Option<Option<DateTime<Utc>>>,
    start_count: Option<i32>,
    details_table: Option<i32>,
    details_record: Option<i32>,
    is_system_task: Option<bool>,
    is_internal_task: Option<bool>,
    parameters: Option<serde_json::Value>,
    database_serial_number: Option<&'a str>,
    context: Option<&'a str>,
    result: Option<&'a str>,
    request: Option<&'a str>,
    response: Option<&'a str>,
    progress_description: Option<&'a str>,
    progress_percent: Option<i32>,
    enabled: Option<bool>,
    priority: Option<Priority>,
    destination_ids: Option<Vec<&'a str>>,
    schedule: Option<serde_json::Value>,
    notification: Option<serde_json::Value>,
    items_type: Option<&'a str>,
    updated_at: DateTime<Utc>,
}

impl<'a> Changes<'a> {
    fn new(current: &BatchRecord, patch: &'a BatchPatch) -> Self {
        let v = &patch.values;
        let set = |field| patch.touches(field);
        let now = Utc::now();
        let new_state = patch.state.filter(|to| *to != current.state);
        let mut schedule = current.schedule.clone();
        schedule.merge(&v.schedule, &patch.schedule_parts);
        let mut notification = current.notification.clone();
        notification.merge(&v.notification, &patch.notification_parts);
        Self {
            name: set(BatchField::Name).then_some(v.name.as_str()),
            description: set(BatchField::Description).then_some(v.description.as_str()),
            state: new_state,
            owner_id: set(BatchField::OwnerId).then_some(v.owner_id),
            queued_at: (new_state == Some(BatchState::Queued)).then_some(Some(now)),
            last_started_at: (new_state == Some(BatchState::Running)).then_some(Some(now)),
            start_count: (new_state == Some(BatchState::Running))
                .then_some(current.start_count.saturating_add(1)),
            details_table: set(BatchField::DetailsTable).then_some(v.details_table),
            details_record: set(BatchField::DetailsRecord).then_some(v.details_record),
            is_system_task: set(BatchField::IsSystemTask).then_some(v.is_system_task),
            is_internal_task: set(BatchField::IsInternalTask).then_some(v.is_internal_task),
            parameters: set(BatchField::Parameters).then(|| to_json(&v.parameters)),
            database_serial_number: set(BatchField::DatabaseSerialNumber)
                .then_some(v.database_serial_number.as_str()),
            context: set(BatchField::Context).then_some(v.context.as_str()),
            result: set(BatchField::Result).then_some(v.result.as_str()),
            request: set(BatchField::Request).then_some(v.request.as_str()),
            response: set(BatchField::Response).then_some(v.response.as_str()),
            progress_description: set(BatchField::ProgressDescription)
                .then_some(v.progress_description.as_str()),
            progress_percent: set(BatchField::ProgressPercent).then_some(v.progress_percent),
            enabled: set(BatchField::Enabled).then_some(v.enabled),
            priority: set(BatchField::Priority).then_some(v.priority),
            destination_ids: set(BatchField::DestinationIds)
                .then(|| destination_ids(&v.destination_ids)),
            schedule: set(BatchField::Schedule).then(|| to_json(&schedule)),
            notification: set(BatchField::Notification).then(|| to_json(&notification)),
            items_type: set(BatchField::ItemsType).then_some(v.items_type.as_str()),
            updated_at: now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn like_wildcards_are_literal() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
    }
}
