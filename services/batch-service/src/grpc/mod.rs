//! The gRPC face of the service: the `BatchService` handlers and what they share
//! (authentication, proto conversion, paging, the error map), and the server that
//! serves them next to health and reflection.

mod auth;
mod convert;
mod error;
mod items;
mod paging;
mod results;
mod server;
mod service;

pub use auth::Authenticator;
pub use error::{ApiError, FieldViolation};
pub use results::DEFAULT_RESULT_RETENTION_DAYS;
pub use server::{ServerOptions, serve};
pub use service::{BatchApi, DEFAULT_MAX_DELETE_IDS, Limits};
