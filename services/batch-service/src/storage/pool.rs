//! The connection pool, with timeouts at every step so that a sick database turns into
//! a quick UNAVAILABLE instead of a hang.

use std::time::Duration;

use diesel::ConnectionError;
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};

/// The connection manager behind [`PgPool`].
pub type Manager = AsyncDieselConnectionManager<AsyncPgConnection>;

pub type PgPool = bb8::Pool<Manager>;

/// How the pool treats the database.
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    pub max_size: u32,
    /// Time to open one connection.
    pub connect_timeout: Duration,
    /// Time a request waits for a free connection.
    pub acquire_timeout: Duration,
    /// PostgreSQL `statement_timeout` on every connection.
    pub statement_timeout: Duration,
}

/// Builds the pool without connecting: the service starts (and reports NOT_SERVING
/// through errors, not a crash loop) while the database is still coming up.
pub fn build_pool(database_url: &str, settings: PoolSettings) -> PgPool {
    let mut config = ManagerConfig::default();
    config.custom_setup = Box::new(move |url| {
        let url = url.to_owned();
        Box::pin(async move { establish(&url, settings).await })
    });
    let manager =
        AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(database_url, config);
    bb8::Pool::builder()
        .max_size(settings.max_size)
        .connection_timeout(settings.acquire_timeout)
        .test_on_check_out(false)
        .build_unchecked(manager)
}

async fn establish(
    url: &str,
    settings: PoolSettings,
) -> Result<AsyncPgConnection, ConnectionError> {
    let mut conn =
        tokio::time::timeout(settings.connect_timeout, AsyncPgConnection::establish(url))
            .await
            .map_err(|_| {
                ConnectionError::BadConnection("timed out connecting to PostgreSQL".into())
            })??;
    // diesel prepares each static statement once per connection. PostgreSQL would
    // still plan it afresh on every execution (custom plans, chosen by cost for a
    // statement as large as the delete); the statements are all keyed lookups whose
    // generic plan is the right one, and planning was a quarter of the machine's CPU
    // under load (see bench/).
    conn.batch_execute(&format!(
        "SET statement_timeout = {}; SET plan_cache_mode = force_generic_plan; \
         SET application_name = 'batch-service'",
        settings.statement_timeout.as_millis()
    ))
    .await
    .map_err(ConnectionError::CouldntSetupConfiguration)?;
    Ok(conn)
}
