//! The REST door of batch-service: SerpWow's Batches API under `/live/batches`,
//! translated call by call into `batch.v1` gRPC calls. It holds no data and never
//! touches the database; the caller's `api_key` is forwarded as the bearer credential.
//!
//! [`app`] builds the router (used by `main` and by the tests); [`Config`] is the
//! command line.

mod coerce;
mod config;
mod download;
mod error;
mod extract;
mod ids;
mod json;
mod listing;
mod openapi;
mod routes;
mod settings;
mod values;
mod vocab;

use axum::Router;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use translator_common::{Upstream, health_routes};

pub use config::Config;

/// The whole HTTP service: the `/live/batches` endpoints, `/openapi.json`, `/healthz`
/// and `/readyz`, with the body limit and request timeout of `config`. Every failure,
/// axum's own included (unknown path, wrong verb, oversized body), is answered in
/// SerpWow's error shape.
pub fn app(upstream: Upstream, config: &Config) -> Router {
    let (api, document) = routes::api().split_for_parts();
    // Serialising a document built from static attributes cannot fail.
    let openapi = serde_json::to_vec(&document).unwrap_or_default();
    let state = routes::AppState {
        upstream: upstream.clone(),
        body_limit: config.body_limit_bytes,
        openapi: Bytes::from(openapi),
        public_url: config.public_url.clone(),
    };
    api.with_state(state)
        .merge(health_routes(upstream))
        .method_not_allowed_fallback(routes::no_route)
        .fallback(routes::no_route)
        .layer(DefaultBodyLimit::max(config.body_limit_bytes))
        .layer(middleware::from_fn_with_state(
            config.request_timeout(),
            routes::deadline,
        ))
        .layer(middleware::from_fn(telemetry::http::trace_http))
}
