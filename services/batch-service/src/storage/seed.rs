//! The development seed: one tenant whose credentials are the ones in the SerpWow and
//! SuperOffice documents, and sample batches, so the documents' own examples work
//! verbatim against a local stack. Seeding again changes nothing that already exists
//! (and puts back a sample batch that was deleted). Production never seeds.

use chrono::{TimeZone as _, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection as _, AsyncPgConnection, RunQueryDsl};
use serde_json::json;

use super::admin::{self, CredentialKind};
use super::record::NewBatchRow;
use super::schema::{batch_items, batch_runs, batches};
use crate::bounded_text;
use crate::domain::{
    BatchState, NewBatch, Notification, Priority, Schedule, ScheduleKind, SecretHash,
};

pub const TENANT: &str = "development";
/// SerpWow's documented demo key.
pub const API_KEY: &str = "demo";
/// The ticket of the SuperOffice DeleteBatchTasks example.
pub const TICKET: &str = "7T:1234abcxyzExample==";
/// The application token of the SuperOffice example.
pub const APPLICATION_TOKEN: &str = "1234567-1234-9876";
/// SerpWow's example batch: idle, with two searches.
pub const IDLE_BATCH_ID: i64 = 123_456;
/// A batch in the middle of a run (cannot be deleted).
pub const RUNNING_BATCH_ID: i64 = 123_457;
/// A batch whose last run succeeded.
pub const SUCCEEDED_BATCH_ID: i64 = 123_458;

struct SampleBatch {
    id: i64,
    state: BatchState,
    batch: NewBatch,
    items: Vec<serde_json::Value>,
}

fn samples() -> Vec<SampleBatch> {
    vec![
        SampleBatch {
            id: IDLE_BATCH_ID,
            state: BatchState::New,
            batch: NewBatch {
                name: bounded_text!("My First Batch"),
                owner_id: 1,
                enabled: true,
                priority: Priority::Normal,
                schedule: Schedule {
                    kind: ScheduleKind::Daily,
                    hours: vec![9, 17],
                    ..Schedule::default()
                },
                notification: Notification {
                    email: bounded_text!("john.smith@example.com"),
                    as_csv: true,
                    ..Notification::default()
                },
                ..NewBatch::default()
            },
            items: vec![
                json!({"custom_id": "MyCustomID_001", "q": "mcdonalds", "location": "United States"}),
                json!({"custom_id": "MyCustomID_002", "q": "burger king", "search_type": "images"}),
            ],
        },
        SampleBatch {
            id: RUNNING_BATCH_ID,
            state: BatchState::Running,
            batch: NewBatch {
                name: bounded_text!("Nightly Export"),
                description: bounded_text!("Exports the day's activities"),
                owner_id: 1,
                enabled: true,
                progress_percent: 40,
                progress_description: bounded_text!("Exporting"),
                schedule: Schedule {
                    kind: ScheduleKind::Daily,
                    hours: vec![2],
                    ..Schedule::default()
                },
                ..NewBatch::default()
            },
            items: vec![],
        },
        SampleBatch {
            id: SUCCEEDED_BATCH_ID,
            state: BatchState::Succeeded,
            batch: NewBatch {
                name: bounded_text!("My Second Batch"),
                owner_id: 2,
                enabled: true,
                result: bounded_text!("1 search completed"),
                progress_percent: 100,
                schedule: Schedule {
                    kind: ScheduleKind::Weekly,
                    hours: vec![8],
                    days_of_week: vec![0, 3],
                    ..Schedule::default()
                },
                ..NewBatch::default()
            },
            items: vec![],
        },
    ]
}

/// Applies the seed in one transaction; returns the ids of sample batches it created.
pub async fn apply(conn: &mut AsyncPgConnection) -> QueryResult<Vec<i64>> {
    conn.transaction(async |conn| {
        let tenant = admin::ensure_tenant(conn, TENANT).await?;
        for (kind, secret) in [
            (CredentialKind::ApiKey, API_KEY),
            (CredentialKind::Ticket, TICKET),
        ] {
            admin::add_credential(
                conn,
                tenant,
                kind,
                "development seed",
                &SecretHash::of(secret),
            )
            .await?;
        }
        admin::add_application_token(
            conn,
            tenant,
            "development seed",
            &SecretHash::of(APPLICATION_TOKEN),
        )
        .await?;

        let mut created = Vec::new();
        let started = Utc.with_ymd_and_hms(2020, 9, 1, 0, 0, 0).single();
        for sample in samples() {
            let inserted = diesel::insert_into(batches::table)
                .values((
                    batches::id.eq(sample.id),
                    NewBatchRow::new(tenant.0, &sample.batch, sample.state),
                ))
                .on_conflict(batches::id)
                .do_nothing()
                .execute(conn)
                .await?;
            if inserted == 0 {
                continue;
            }
            created.push(sample.id);
            if sample.state != BatchState::New {
                let results = i32::from(sample.state == BatchState::Succeeded);
                diesel::update(batches::table.find(sample.id))
                    .set((
                        batches::start_count.eq(1),
                        batches::last_started_at.eq(started),
                        batches::results_count.eq(results),
                    ))
                    .execute(conn)
                    .await?;
                // The running sample has its run open; the succeeded one's is closed.
                let finished = sample.state == BatchState::Succeeded;
                diesel::insert_into(batch_runs::table)
                    .values((
                        batch_runs::batch_id.eq(sample.id),
                        batch_runs::worker.eq("seed"),
                        batch_runs::started_at.eq(started.unwrap_or_else(Utc::now)),
                        batch_runs::finished_at.eq(finished.then(Utc::now)),
                        batch_runs::outcome.eq(finished.then_some(BatchState::Succeeded)),
                        batch_runs::result.eq(sample.batch.result.as_str()),
                    ))
                    .execute(conn)
                    .await?;
            }
            for mut item in sample.items.clone() {
                let custom_id = item
                    .as_object_mut()
                    .and_then(|o| o.remove("custom_id"))
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                diesel::insert_into(batch_items::table)
                    .values((
                        batch_items::batch_id.eq(sample.id),
                        batch_items::custom_id.eq(custom_id),
                        batch_items::parameters.eq(item),
                    ))
                    .execute(conn)
                    .await?;
            }
            diesel::update(batches::table.find(sample.id))
                .set(batches::item_count.eq(sample.items.len() as i64))
                .execute(conn)
                .await?;
        }
        // Explicit ids bypass the identity sequence; move it past them so that batches
        // created later never collide with the samples.
        diesel::sql_query(
            "SELECT setval(pg_get_serial_sequence('batches', 'id'), \
             GREATEST((SELECT max(id) FROM batches), \
                      (SELECT last_value FROM batches_id_seq)))",
        )
        .execute(conn)
        .await?;
        Ok(created)
    })
    .await
}
