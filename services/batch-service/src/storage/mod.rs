//! Everything that touches PostgreSQL. Functions take a connection and return diesel's
//! `QueryResult`; where the rules or the data may turn a request down, its value is a
//! `Result<_, Refusal>` (the rules are in `domain`, applied here under the row locks).
//! Nothing here knows about gRPC.

pub mod admin;
pub mod auth;
pub mod batches;
pub mod columns;
pub mod delete;
pub mod error;
pub mod grouping;
pub mod items;
pub mod lifecycle;
pub mod migrations;
pub mod pool;
mod record;
pub mod results;
pub mod schema;
pub mod seed;
pub mod webhooks;

pub use diesel_async::AsyncPgConnection;
pub use error::StorageError;
pub use pool::{Database, PgPool, PoolSettings, build_pool};
pub use record::{BatchRecord, ItemRecord};

/// The tenant a request acts for, resolved from its credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TenantId(pub i64);

/// Who is calling: their tenant and the credential they used (for the audit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub tenant: TenantId,
    pub credential_id: i64,
}
