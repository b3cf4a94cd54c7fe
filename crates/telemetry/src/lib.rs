//! Telemetry for the three binaries, in one place: one trace per request across every
//! hop, Prometheus metrics, and log lines that carry the trace id.
//!
//! - [`init`] installs logging and tracing (and the OTLP exporter when
//!   `OTEL_EXPORTER_OTLP_ENDPOINT` is set) and returns a guard that flushes on shutdown.
//! - [`http::TraceHttp`]: the translators' HTTP server spans, an [`around::Around`]
//!   middleware (per-route middleware without `from_fn`'s per-request clones).
//! - [`grpc::GrpcLayer`]: a tower layer for the gRPC server and client spans, which
//!   also carries the W3C context across the hop.
//! - [`metrics`]: the metric families and the `/metrics` endpoint.

pub mod around;
pub mod grpc;
pub mod http;
mod init;
pub mod metrics;
mod propagation;

pub use init::{LogFormat, TelemetryArgs, TelemetryGuard, exporting, init};
pub use propagation::{RequestTrace, current_trace_id, parent_from_headers};
