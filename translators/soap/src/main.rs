//! `soap-translator`: serves the SOAP door until SIGTERM or SIGINT, then finishes the
//! requests in flight and exits 0.

use anyhow::Context;
use clap::Parser;
use soap_translator::{Config, app};
use tracing_subscriber::EnvFilter;
use translator_common::{Door, Upstream, shutdown_signal};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let config = Config::parse();
    let upstream = Upstream::connect_lazy(&config.upstream, Door::Soap)
        .context("invalid batch-service address")?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    tracing::info!(
        listen.addr = %config.listen,
        upstream.url = %config.upstream.batch_service_url,
        mode = ?config.app.mode,
        "soap-translator listening on {}",
        config.listen
    );
    axum::serve(listener, app(upstream, config.app))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("server failed")?;
    tracing::info!("soap-translator stopped");
    Ok(())
}
