//! What every handler shares, built once by [`crate::app`].

use axum::body::Bytes;
use translator_common::Upstream;

/// What every handler shares. Cloned per request, so every field is cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct AppState {
    pub(crate) upstream: Upstream,
    /// The configured body limit, to tell callers what it is when they exceed it.
    pub(crate) body_limit: usize,
    /// `GET /openapi.json`, serialized once at startup.
    pub(crate) openapi: Bytes,
    /// The door's public base URL for download links (else the request's host).
    pub(crate) public_url: Option<String>,
}
