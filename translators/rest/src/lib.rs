//! The REST door of batch-service: SerpWow's Batches API under `/live/batches`,
//! translated call by call into `batch.v1` gRPC calls. It holds no data and never
//! touches the database; the caller's `api_key` is forwarded as the bearer credential.
//!
//! [`app`] builds the router (used by `main` and by the tests); [`Config`] is the
//! command line.

#![cfg_attr(
    test,
    expect(
        unused_crate_dependencies,
        reason = "the unit tests see the dev-dependencies of the integration tests"
    )
)]

// Used by the binary (src/main.rs) only, but a package's dependencies are its library's
// too, and the library is where unused_crate_dependencies looks.
use anyhow as _;
use mimalloc as _;

mod coerce;
mod config;
mod deadline;
mod download;
mod error;
mod extract;
mod ids;
mod json;
mod listing;
mod openapi;
mod routes;
mod settings;
mod state;
mod values;
mod vocab;

use axum::Router;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use telemetry::around::AroundLayer;
use telemetry::http::TraceHttp;
use translator_common::{HostError, Upstream, health_routes, require_one_host};

pub use config::Config;
use deadline::Deadline;

/// The whole HTTP service: the `/live/batches` endpoints, `/openapi.json`, `/healthz`
/// and `/readyz`, with the body limit and request timeout of `config`. Every failure,
/// axum's own included (unknown path, wrong verb, oversized body), is answered in
/// SerpWow's error shape.
pub fn app(upstream: Upstream, config: &Config) -> Router {
    let (api, document) = routes::api().split_for_parts();
    // Serialising a document built from static attributes cannot fail.
    let openapi = serde_json::to_vec(&document).unwrap_or_default();
    let state = state::AppState {
        upstream: upstream.clone(),
        body_limit: config.body_limit_bytes,
        openapi: Bytes::from(openapi),
        public_url: config.public_url.clone(),
    };
    let router = api
        .with_state(state)
        .merge(health_routes(upstream))
        .method_not_allowed_fallback(routes::no_route)
        .fallback(routes::no_route)
        .layer(DefaultBodyLimit::max(config.body_limit_bytes))
        .layer(AroundLayer(Deadline(config.request_timeout())));
    require_one_host(router, reject_host).layer(AroundLayer(TraceHttp))
}

/// A request without exactly one `Host` header: 400 in SerpWow's error shape.
fn reject_host(_headers: &HeaderMap, error: HostError) -> Response {
    error::ApiError::BadHost(error).into_response()
}

/// Entry points for the fuzz targets in `fuzz/` (not part of the API): the readers a
/// request passes through before any call to the service, without a server.
#[doc(hidden)]
pub mod fuzzing {
    use serde_json::Value;

    use crate::coerce::{form_fields, to_int_list, to_text_list};
    use crate::extract::{api_key, parse_body};
    use crate::listing::ListParams;
    use crate::settings::{BatchSettings, BatchUpdate};

    /// Reads `query` as the query string and `body` as a request body (`is_json` as
    /// the content type would say) through every reader a handler uses on them. Only
    /// a panic is of interest; every refusal is a normal answer.
    pub fn read_request(query: &str, body: &[u8], is_json: Option<bool>) {
        let _ = api_key(query);
        let fields = form_fields(query.as_bytes());
        if let Ok(params) = ListParams::from_query(&fields) {
            let _ = params.into_query();
        }
        let Ok(body) = parse_body(body, is_json) else {
            return;
        };
        if let Value::Object(fields) = &body
            && let Ok(settings) = BatchSettings::from_fields(fields)
        {
            let _ = settings.into_new_batch();
        }
        if let Ok(update) = BatchUpdate::from_body(&body) {
            let _ = update.settings.into_update(1);
            for search in update.searches {
                let _ = search.into_item();
            }
        }
        let _ = to_text_list("search ids", &body);
        let _ = to_int_list("schedule_hours", &body, 0, 23);
    }
}
