//! `/healthz` (the process is alive) and `/readyz` (the upstream service answers).

use axum::{Router, extract::State, http::StatusCode, routing::get};

use crate::Upstream;

/// Routes for Kubernetes probes. Liveness never depends on the service, so a
/// translator is not restarted because its neighbour is down; readiness does.
pub fn health_routes<S>(upstream: Upstream) -> Router<S> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .with_state(upstream)
}

async fn readyz(State(upstream): State<Upstream>) -> (StatusCode, &'static str) {
    if upstream.is_ready().await {
        (StatusCode::OK, "ready")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "batch-service is not reachable",
        )
    }
}
