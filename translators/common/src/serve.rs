//! What every translator binary does around its router: telemetry, the metrics
//! endpoint, the HTTP server, and a graceful shutdown on SIGTERM.

use std::net::SocketAddr;

use anyhow::Context as _;
use axum::Router;
use axum::serve::ListenerExt as _;
use tokio::net::TcpListener;

use crate::{Upstream, shutdown_signal};

/// Where a translator listens.
#[derive(Debug, Clone, Copy)]
pub struct Listeners {
    pub http: SocketAddr,
    pub metrics: SocketAddr,
}

/// Serves `router` (already holding its routes and [`crate::health_routes`]) until
/// SIGTERM or SIGINT. Then `/readyz` turns unready, no connection is accepted, requests
/// in flight finish (each bounded by the router's own timeout), and it returns.
pub async fn serve_translator(
    name: &'static str,
    listeners: Listeners,
    router: Router,
    upstream: Upstream,
) -> anyhow::Result<()> {
    let listener = TcpListener::bind(listeners.http)
        .await
        .with_context(|| format!("cannot listen on {}", listeners.http))?;
    let (stop_metrics, metrics_stopped) = tokio::sync::oneshot::channel::<()>();
    let metrics = tokio::spawn(telemetry::metrics::serve(listeners.metrics, async {
        let _ = metrics_stopped.await;
    }));
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
    let _ = stop_metrics.send(());
    if let Ok(Err(error)) = metrics.await {
        tracing::warn!(%error, "the metrics endpoint failed");
    }
    served?;
    tracing::info!("{name} stopped");
    Ok(())
}
