//! The REST translator over real sockets: one test binary, one module per area.
//!
//! `offline` and `edges` need nothing else (the service is absent). The other modules
//! run the whole chain, HTTP → translator → gRPC → batch-service → PostgreSQL, through
//! `test-support`, which needs `TEST_DATABASE_URL`.

#![expect(
    unused_crate_dependencies,
    reason = "a test target sees every dependency and dev-dependency of its package; the library is where unused ones are caught"
)]

mod batches;
mod edges;
mod errors;
mod helpers;
mod offline;
mod process;
mod results;
mod runs;
mod searches;
mod serpwow_client;
mod worker;
