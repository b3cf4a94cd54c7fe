//! Harness for tests that run the real `batch-service`, `rest-translator` and
//! `soap-translator` binaries as processes: finding and starting them, a fake OTLP
//! collector, reading Prometheus text, a private PostgreSQL cluster that fault tests
//! may restart, and clients that load the stack and record every outcome.
//!
//! The binaries must be built first (`make test` and `cargo nextest run --workspace`
//! build them with the tests).

#![cfg_attr(
    test,
    expect(
        unused_crate_dependencies,
        reason = "the unit tests see the dev-dependencies of the integration tests"
    )
)]

pub mod clients;
pub mod collector;
pub mod load;
pub mod metrics;
pub mod postgres;
pub mod processes;
