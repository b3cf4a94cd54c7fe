//! `soap-translator`: serves the SOAP door until SIGTERM or SIGINT, then finishes the
//! requests in flight and exits 0.

#![expect(
    unused_crate_dependencies,
    reason = "a binary sees every dependency of its package; the library is where unused ones are caught"
)]

use anyhow::Context;
use clap::Parser;
use soap_translator::{Config, app};
use translator_common::{Door, Listeners, Upstream, serve_translator};

// glibc's malloc took a fifth of this process's instructions per request, most of it
// in its slow path; see docs/stack.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// One thread, as for every translator: see `translator_common::serve_translator`.
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    let upstream = Upstream::connect_lazy(&config.upstream, Door::Soap)
        .context("invalid batch-service address")?;
    let telemetry = telemetry::init(&config.telemetry, "soap-translator");
    tracing::info!(
        upstream.url = %config.upstream.batch_service_url,
        mode = ?config.app.mode,
        "forwarding to batch-service"
    );
    let listeners = Listeners {
        http: config.listen,
        metrics: config.metrics_listen,
    };
    let served = serve_translator(
        "soap-translator",
        listeners,
        app(upstream.clone(), config.app),
        upstream,
    )
    .await;
    telemetry.shutdown().await;
    served
}
