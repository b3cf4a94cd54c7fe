//! `batch-service`: the one owner of batch data. It serves `batch.v1.BatchService`
//! over gRPC and keeps everything in PostgreSQL through diesel.
//!
//! - [`domain`]: values that can only be valid (ids, states, secrets, batch fields).
//! - [`storage`]: every SQL statement; knows nothing about gRPC.
//! - [`grpc`]: handlers, proto conversion, the error map, the server.
//! - [`config`]: the command line and environment.
//! - [`metrics`]: the service's own Prometheus metrics.
//! - [`webhooks`]: the background delivery of completion webhooks, and the purge of
//!   expired result sets.

#![cfg_attr(
    test,
    expect(
        unused_crate_dependencies,
        reason = "the unit tests see the dev-dependencies of the integration tests"
    )
)]

// Used by the binary (src/main.rs) only, but a package's dependencies are its library's
// too, and the library is where unused_crate_dependencies looks.
use lifecycle as _;
use mimalloc as _;

pub mod config;
pub mod domain;
pub mod grpc;
pub mod metrics;
pub mod storage;
pub mod webhooks;
