//! Waiting for the signal that starts a graceful shutdown.

use tokio::signal::unix::{SignalKind, signal};

/// Resolves on SIGTERM (Kubernetes starting a shutdown) or SIGINT (Ctrl-C while
/// developing). If a handler cannot be installed, that signal is simply not awaited.
pub async fn shutdown_signal() {
    let wait = |kind: SignalKind| async move {
        match signal(kind) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for a shutdown signal");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = wait(SignalKind::terminate()) => tracing::info!("SIGTERM received, shutting down"),
        () = wait(SignalKind::interrupt()) => tracing::info!("SIGINT received, shutting down"),
    }
}
