//! What every translator binary does around its router: telemetry, the metrics
//! endpoint, the HTTP server, and a graceful shutdown on SIGTERM.

use std::net::SocketAddr;

use anyhow::Context as _;
use axum::Router;
use axum::serve::ListenerExt as _;
use tokio::net::TcpListener;

use lifecycle::{MetricsEndpoint, shutdown_signal};

use crate::Upstream;

/// Where a translator listens.
#[derive(Debug, Clone, Copy)]
pub struct Listeners {
    pub http: SocketAddr,
    pub metrics: SocketAddr,
}

/// Serves `router` (already holding its routes and [`crate::health_routes`]) until
/// SIGTERM or SIGINT. Then `/readyz` turns unready, no connection is accepted, requests
/// in flight finish (each bounded by the router's own timeout), and it returns.
///
/// The translators run it on a current-thread runtime. A request costs a sidecar tens
/// of microseconds, so one core carries more than the service behind it; on one thread
/// the tasks a request passes through (its HTTP connection, the channel's buffer, the
/// HTTP/2 connection to the service) hand over without waking another thread, and the
/// HTTP/2 frames of concurrent requests leave together (in a REST bench run, one write
/// to the service for about four requests). In `make bench` that took about a fifth off
/// the CPU per request and 1.5 to 2 MiB off the resident memory. More throughput comes
/// from more replicas, each with its own sidecar.
pub async fn serve_translator(
    name: &'static str,
    listeners: Listeners,
    router: Router,
    upstream: Upstream,
) -> anyhow::Result<()> {
    let listener = TcpListener::bind(listeners.http)
        .await
        .with_context(|| format!("cannot listen on {}", listeners.http))?;
    let metrics = MetricsEndpoint::start(listeners.metrics);
    // The bound address, not the configured one: port 0 picks a free port.
    let address = listener
        .local_addr()
        .context("the listener has no address")?;
    tracing::info!(listen.addr = %address, "{name} listening on {address}");
    // TCP_NODELAY: small answers go out at once instead of waiting for the client's
    // delayed ACK.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let served = axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            upstream.begin_draining();
        })
        .await
        .context("the HTTP server failed");
    metrics.stop().await;
    served?;
    tracing::info!("{name} stopped");
    Ok(())
}
