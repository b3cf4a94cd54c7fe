//! The gRPC face of the service: the `BatchService` handlers and what they share
//! (authentication, parsing requests, converting answers, the error map), and the
//! server that serves them next to health and reflection.

mod auth;
mod batches;
mod error;
mod items;
mod parse;
mod results;
mod runs;
mod server;
mod service;
mod to_proto;

pub use auth::Authenticator;
pub use error::{ApiError, FieldViolation};
pub use results::DEFAULT_RESULT_RETENTION_DAYS;
pub use server::{ServerOptions, serve};
pub use service::{BatchApi, DEFAULT_MAX_DELETE_IDS, Limits};
