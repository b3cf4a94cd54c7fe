//! Prometheus metrics: the families every binary shares, a registry the binaries add
//! their own to, and the `/metrics` endpoint.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{LazyLock, Mutex, RwLock};

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Metric, Registry};

/// Latency buckets in seconds: 0.5 ms to 10 s.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// An HTTP request: method, route template (or SOAP operation) and status.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub method: &'static str,
    pub route: &'static str,
    pub status: u16,
}

/// Method and route, for latencies.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: &'static str,
    pub route: &'static str,
}

/// A gRPC call: full method name and status code name.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RpcLabels {
    pub method: &'static str,
    pub code: &'static str,
}

/// A gRPC method, for latencies.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RpcMethodLabels {
    pub method: &'static str,
}

/// Most distinct label values [`intern`] keeps; any further one is counted as `other`.
const MAX_INTERNED: usize = 512;

/// Label values (routes, gRPC methods) as `&'static str`, each leaked once, so that
/// counting a request allocates nothing. A server has a handful of routes and methods;
/// past [`MAX_INTERNED`] values (someone probing paths) the rest share `other`.
pub fn intern(value: &str) -> &'static str {
    static INTERNED: LazyLock<RwLock<HashSet<&'static str>>> = LazyLock::new(Default::default);
    if let Some(known) = INTERNED
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(value)
    {
        return known;
    }
    let mut interned = INTERNED.write().unwrap_or_else(|e| e.into_inner());
    if let Some(known) = interned.get(value) {
        return known;
    }
    if interned.len() >= MAX_INTERNED {
        return "other";
    }
    let leaked: &'static str = Box::leak(value.to_owned().into_boxed_str());
    interned.insert(leaked);
    leaked
}

type LatencyFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// The shared metric families.
pub struct Metrics {
    registry: Mutex<Registry>,
    pub http_requests: Family<HttpLabels, Counter>,
    pub http_duration: LatencyFamily<RouteLabels>,
    pub rpc_server_requests: Family<RpcLabels, Counter>,
    pub rpc_server_duration: LatencyFamily<RpcMethodLabels>,
    pub rpc_client_requests: Family<RpcLabels, Counter>,
    pub rpc_client_duration: LatencyFamily<RpcMethodLabels>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let http_requests = Family::default();
    let http_duration: LatencyFamily<RouteLabels> = Family::new_with_constructor(latency_histogram);
    let rpc_server_requests = Family::default();
    let rpc_server_duration: LatencyFamily<RpcMethodLabels> =
        Family::new_with_constructor(latency_histogram);
    let rpc_client_requests = Family::default();
    let rpc_client_duration: LatencyFamily<RpcMethodLabels> =
        Family::new_with_constructor(latency_histogram);
    let mut registry = Registry::default();
    registry.register(
        "http_server_requests",
        "HTTP requests served",
        http_requests.clone(),
    );
    registry.register(
        "http_server_request_duration_seconds",
        "Time to answer an HTTP request",
        http_duration.clone(),
    );
    registry.register(
        "rpc_server_requests",
        "gRPC calls served",
        rpc_server_requests.clone(),
    );
    registry.register(
        "rpc_server_call_duration_seconds",
        "Time to answer a gRPC call",
        rpc_server_duration.clone(),
    );
    registry.register(
        "rpc_client_requests",
        "gRPC calls made to batch-service (code other than OK: upstream errors)",
        rpc_client_requests.clone(),
    );
    registry.register(
        "rpc_client_call_duration_seconds",
        "Time batch-service took to answer a call",
        rpc_client_duration.clone(),
    );
    Metrics {
        registry: Mutex::new(registry),
        http_requests,
        http_duration,
        rpc_server_requests,
        rpc_server_duration,
        rpc_client_requests,
        rpc_client_duration,
    }
});

/// The process-wide metrics.
pub fn metrics() -> &'static Metrics {
    &METRICS
}

/// Adds a binary's own metric to the registry (e.g. deletes by outcome).
pub fn register(name: &str, help: &str, metric: impl Metric) {
    metrics()
        .registry
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .register(name, help, metric);
}

/// The registry in the Prometheus text format.
pub fn render() -> String {
    let mut text = String::new();
    let registry = metrics().registry.lock().unwrap_or_else(|e| e.into_inner());
    // Writing into a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut text, &registry);
    text
}

/// `GET /metrics`.
pub fn router() -> Router {
    Router::new().route(
        "/metrics",
        get(|| async {
            (
                [(
                    CONTENT_TYPE,
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                )],
                render(),
            )
                .into_response()
        }),
    )
}

/// Serves `/metrics` on its own port until `shutdown` resolves.
pub async fn serve(
    addr: SocketAddr,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(address = %addr, "serving Prometheus metrics on /metrics");
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, router())
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_gives_one_static_copy_per_value() {
        let a = intern("/live/batches/{batch_id}");
        let b = intern(&String::from("/live/batches/{batch_id}"));
        assert!(std::ptr::eq(a, b));
        assert_eq!(a, "/live/batches/{batch_id}");
    }
}
