//! The SQL migrations of `migrations/`, embedded in the binary and applied by
//! `batch-service migrate` (a Kubernetes Job), never by every replica at start.

use anyhow::Context as _;
use diesel::RunQueryDsl as _;
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// Arbitrary, fixed key of the advisory lock that serialises concurrent migrators.
const MIGRATION_LOCK_KEY: i64 = 0x6261_7463_685f_6d67; // "batch_mg"

type SyncConnection = AsyncConnectionWrapper<AsyncPgConnection>;

/// Applies every pending migration and returns the versions applied. Two migrators
/// started together (replicas, parallel tests) take turns on an advisory lock.
pub async fn run_pending(database_url: &str) -> anyhow::Result<Vec<String>> {
    with_locked_connection(database_url, |conn| {
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(applied.iter().map(ToString::to_string).collect())
    })
    .await
}

/// Reverts every applied migration (for tests and for tearing a database down).
pub async fn revert_all(database_url: &str) -> anyhow::Result<Vec<String>> {
    with_locked_connection(database_url, |conn| {
        let reverted = conn
            .revert_all_migrations(MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(reverted.iter().map(ToString::to_string).collect())
    })
    .await
}

/// diesel's migration harness is synchronous; the wrapper drives the async connection
/// on a runtime of its own, so it runs on the blocking pool (and works from any kind of
/// Tokio runtime, current-thread included).
async fn with_locked_connection<T, F>(database_url: &str, work: F) -> anyhow::Result<T>
where
    T: Send + 'static,
    F: FnOnce(&mut SyncConnection) -> anyhow::Result<T> + Send + 'static,
{
    let url = database_url.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut conn = <SyncConnection as diesel::Connection>::establish(&url)
            .context("cannot connect to PostgreSQL to migrate")?;
        diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
            .execute(&mut conn)
            .context("cannot take the migration lock")?;
        let outcome = work(&mut conn);
        // Closing the connection would release the lock too; unlock explicitly anyway.
        let _ = diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
            .execute(&mut conn);
        outcome
    })
    .await
    .context("the migration task panicked")?
}
