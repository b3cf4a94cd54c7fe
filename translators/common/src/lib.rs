//! What both translator sidecars (REST and SOAP) share: the persistent gRPC channel to
//! `batch-service`, the caller's credential and the caller bound to that channel
//! ([`CallerUpstream`]), the upstream error each gRPC code becomes,
//! `/healthz` and `/readyz`, the HTTP/1.1 `Host` rule, and the server around a door
//! (whose shutdown signal and metrics endpoint come from the `lifecycle` crate).
//!
//! Translators hold no data: they decode their protocol, call [`Upstream`], and encode
//! the answer (or the [`UpstreamError`]) in their own vocabulary.

mod caller;
mod credential;
mod error;
mod health;
mod host;
mod serve;
mod transport;
mod upstream;

pub use caller::{CallerClient, CallerMetadata, CallerUpstream};
pub use credential::{CallerSecret, CredentialError};
pub use error::{Missing, ResourceKind, UpstreamError, Violation};
pub use health::health_routes;
pub use host::{HostError, RejectHost, check_host, require_one_host};
pub use serve::{Listeners, serve_translator};
pub use transport::{TransportFailures, TransportFailuresLayer};
pub use upstream::{Door, TracedChannel, Upstream, UpstreamArgs};
