//! Test harness shared by the service's and the translators' tests.
//!
//! - [`TestDatabase`]: a private database, cloned from a template that is migrated once
//!   per migration set, dropped (`WITH (FORCE)`) when the value is dropped.
//! - [`TestService`]: `batch-service` on `127.0.0.1:<random port>` over such a
//!   database, with the development seed applied.
//! - [`spawn_broken_upstream`]: a gRPC peer that cuts, resets or truncates every call,
//!   for the translators' tests of transport failures.
//! - [`WebhookReceiver`]: a local HTTP server that records webhook POSTs.
//!
//! `TEST_DATABASE_URL` names a PostgreSQL server and a database to connect to for
//! administration (`make test` starts a private server and sets it). Tests must run on
//! a multi-threaded runtime: `#[tokio::test(flavor = "multi_thread")]`.

mod broken_upstream;
mod database;
mod service;
mod webhook;

pub use broken_upstream::{Breakage, spawn_broken_upstream};
pub use database::TestDatabase;
pub use service::{TenantCredentials, TestService, TestServiceOptions};
pub use webhook::{Received, WebhookReceiver};

/// The development seed's credentials and sample batches.
pub mod seed {
    pub use batch_service::storage::seed::{
        API_KEY, APPLICATION_TOKEN, IDLE_BATCH_ID, RUNNING_BATCH_ID, SUCCEEDED_BATCH_ID, TICKET,
    };
}
