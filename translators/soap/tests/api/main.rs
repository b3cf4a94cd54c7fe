//! The SOAP translator over real sockets: one test binary, one module per area.
//!
//! `corpus`, `http` and `protocol_edges` need nothing else (the service is absent or a
//! peer that breaks every call). `e2e` and `toolkit` run the whole chain, HTTP →
//! translator → gRPC → batch-service → PostgreSQL, through `test-support`, which needs
//! `TEST_DATABASE_URL`; `toolkit` also needs Python (see `toolkit/setup.sh`).

#![expect(
    unused_crate_dependencies,
    reason = "a test target sees every dependency and dev-dependency of its package; the library is where unused ones are caught"
)]

mod corpus;
mod e2e;
mod helpers;
mod http;
mod protocol_edges;
mod toolkit;
