//! The connection pool, with timeouts at every step so that a sick database turns into
//! a quick UNAVAILABLE instead of a hang, and [`Database`]: the pool with the retry
//! rules of [`super::error`].
//!
//! Pool hygiene: a connection whose socket closed (PostgreSQL restarted, a proxy cut
//! it) is never handed out again. The check on checkout asks the connection whether
//! it is closed, which costs no round trip; a connection that breaks during use is
//! dropped when it comes back.

use std::time::Duration;

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::{ConnectionError, QueryResult};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, PoolableConnection, RecyclingMethod,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};

use super::error::{CONTENTION_ATTEMPTS, StorageError, contention_backoff};

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
    config.recycling_method =
        RecyclingMethod::CustomFunction(Box::new(|conn: &mut AsyncPgConnection| {
            let closed = conn.is_broken();
            Box::pin(async move {
                if closed {
                    Err(DieselError::DatabaseError(
                        DatabaseErrorKind::ClosedConnection,
                        Box::new("the pooled connection was closed".to_owned()),
                    ))
                } else {
                    Ok(())
                }
            })
        }));
    config.custom_setup = Box::new(move |url| {
        let url = url.to_owned();
        Box::pin(async move { establish(&url, settings).await })
    });
    let manager =
        AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(database_url, config);
    bb8::Pool::builder()
        .max_size(settings.max_size)
        .connection_timeout(settings.acquire_timeout)
        .test_on_check_out(true)
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

/// An async closure over a connection that names its future's type, so that callers
/// can require the future to be `Send` for every connection borrow (an `AsyncFnMut`
/// bound alone cannot say so, and tonic's handlers must be `Send`).
pub trait ConnectionOp<C, R>:
    AsyncFnMut(C) -> R + FnMut(C) -> <Self as ConnectionOp<C, R>>::Fut
{
    type Fut: Future<Output = R>;
}

impl<F, C, Fut, R> ConnectionOp<C, R> for F
where
    F: AsyncFnMut(C) -> R + FnMut(C) -> Fut,
    Fut: Future<Output = R>,
{
    type Fut = Fut;
}

/// The pool, used through [`Database::read`] and [`Database::write`] so that every
/// query gets the same retries:
/// - contention (deadlock, serialization failure) is run again, a bounded number of
///   times: PostgreSQL rolled the work back, so running it again is safe;
/// - a read whose connection was lost is run once more on a fresh connection; a write
///   is not, since its commit may have happened before the connection went.
#[derive(Clone)]
pub struct Database {
    pool: PgPool,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("state", &self.pool.state())
            .finish()
    }
}

impl Database {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Runs `op`, which only reads.
    pub async fn read<T, F>(&self, op: F) -> Result<T, StorageError>
    where
        F: for<'c> ConnectionOp<&'c mut AsyncPgConnection, QueryResult<T>, Fut: Send> + Send,
    {
        self.run(op, true).await
    }

    /// Runs `op`, which changes data in one transaction (or one statement).
    pub async fn write<T, F>(&self, op: F) -> Result<T, StorageError>
    where
        F: for<'c> ConnectionOp<&'c mut AsyncPgConnection, QueryResult<T>, Fut: Send> + Send,
    {
        self.run(op, false).await
    }

    async fn run<T, F>(&self, mut op: F, retry_lost_connection: bool) -> Result<T, StorageError>
    where
        F: for<'c> ConnectionOp<&'c mut AsyncPgConnection, QueryResult<T>, Fut: Send> + Send,
    {
        let mut attempt = 1;
        let mut lost_connection_retried = !retry_lost_connection;
        loop {
            let mut conn = self.pool.get().await?;
            let error = match op(&mut conn).await {
                Ok(value) => return Ok(value),
                Err(error) => StorageError::from(error),
            };
            drop(conn);
            if error.is_contention() {
                if attempt >= CONTENTION_ATTEMPTS {
                    return Err(StorageError::Contention { attempts: attempt });
                }
                attempt += 1;
                tokio::time::sleep(contention_backoff(attempt)).await;
            } else if error.is_connection_lost() && !lost_connection_retried {
                lost_connection_retried = true;
            } else {
                return Err(error);
            }
        }
    }
}
