//! `rest-translator`: serves [`rest_translator::app`] until SIGTERM or SIGINT, then
//! stops accepting connections and finishes the requests in flight.

#![expect(
    unused_crate_dependencies,
    reason = "a binary sees every dependency of its package; the library is where unused ones are caught"
)]

use anyhow::Context;
use clap::Parser;
use rest_translator::{Config, app};
use translator_common::{Door, Listeners, Upstream, serve_translator};

// glibc's malloc took a fifth of this process's instructions per request, most of it
// in its slow path; see docs/stack.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// One thread, as for every translator: see `translator_common::serve_translator`.
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    let upstream = Upstream::connect_lazy(&config.upstream, Door::Rest).with_context(|| {
        format!(
            "invalid --batch-service-url {}",
            config.upstream.batch_service_url
        )
    })?;
    let telemetry = telemetry::init(&config.telemetry, "rest-translator");
    tracing::info!(upstream.url = %config.upstream.batch_service_url, "forwarding to batch-service");
    let listeners = Listeners {
        http: config.listen,
        metrics: config.metrics_listen,
    };
    let served = serve_translator(
        "rest-translator",
        listeners,
        app(upstream.clone(), &config),
        upstream,
    )
    .await;
    telemetry.shutdown().await;
    served
}
