//! `rest-translator`: serves [`rest_translator::app`] until SIGTERM or SIGINT, then
//! stops accepting connections and finishes the requests in flight.

use std::io::IsTerminal;

use anyhow::Context;
use clap::Parser;
use rest_translator::{Config, LogFormat, app};
use tracing_subscriber::EnvFilter;
use translator_common::{Door, Upstream, shutdown_signal};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    init_logging(config.log_format);

    let upstream = Upstream::connect_lazy(&config.upstream, Door::Rest).with_context(|| {
        format!(
            "invalid --batch-service-url {}",
            config.upstream.batch_service_url
        )
    })?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    // The bound address, not the configured one: port 0 picks a free port.
    let address = listener
        .local_addr()
        .context("the listener has no address")?;
    tracing::info!(
        listen.addr = %address,
        upstream.url = %config.upstream.batch_service_url,
        "rest-translator listening on {address}"
    );
    axum::serve(listener, app(upstream, &config))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("HTTP server failed")?;
    tracing::info!("rest-translator stopped");
    Ok(())
}

/// Logs to stderr, filtered by `RUST_LOG` (default `info`).
fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only for a person at a terminal, not in collected container logs.
        .with_ansi(std::io::stderr().is_terminal());
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
