//! Process plumbing shared by `batch-service` and both translators, so that each is
//! written once and behaves the same in every binary:
//!
//! - [`shutdown_signal`]: resolves on SIGTERM (Kubernetes) or SIGINT (Ctrl-C); what
//!   happens when a handler cannot be installed is decided here, once.
//! - [`MetricsEndpoint`]: the Prometheus `/metrics` endpoint on its own port, started
//!   before the server and stopped after it.

mod metrics;
mod signal;

pub use metrics::MetricsEndpoint;
pub use signal::shutdown_signal;
