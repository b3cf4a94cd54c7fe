//! Harness for tests that run the real `batch-service`, `rest-translator` and
//! `soap-translator` binaries as processes: finding and starting them, a fake OTLP
//! collector, and reading Prometheus text.
//!
//! The binaries must be built first (`make test` and `cargo nextest run --workspace`
//! build them with the tests).

pub mod collector;
pub mod metrics;
pub mod processes;
