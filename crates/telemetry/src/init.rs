//! Installing logging and tracing for a binary.

use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{Sampler, SdkTracer, SdkTracerProvider};
use tracing::Subscriber;
use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::{FilterExt as _, Targets, filter_fn};
use tracing_subscriber::{EnvFilter, Layer as _, fmt, prelude::*};

/// Set by [`init`] when an OTLP exporter is installed.
static EXPORTING: AtomicBool = AtomicBool::new(false);

/// Whether traces are exported. When they are not, request spans are built only for a
/// log level of debug or finer, and trace context travels as a
/// [`crate::RequestTrace`] instead.
pub fn exporting() -> bool {
    EXPORTING.load(Ordering::Relaxed)
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event, with the span fields (`trace_id`) before it.
    Text,
    /// One JSON object per line, with the current span's fields (`trace_id`) in `span`.
    Json,
}

/// Telemetry settings shared by the three binaries.
#[derive(Debug, Clone, clap::Args)]
pub struct TelemetryArgs {
    /// Log line format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// OTLP/gRPC endpoint that receives traces, e.g. http://otel-collector:4317.
    /// Unset: nothing is exported (trace ids are still made and propagated).
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,
    /// Service name on exported traces; defaults to the binary's name.
    #[arg(long, env = "OTEL_SERVICE_NAME")]
    pub otel_service_name: Option<String>,
}

/// Flushes and stops the exporter when dropped (or on [`TelemetryGuard::shutdown`]).
#[derive(Debug)]
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

impl TelemetryGuard {
    /// Exports what is still buffered, then stops exporting. The exporter's last call
    /// needs the runtime to make progress while the provider waits for it, so the wait
    /// happens on a blocking thread: on a current-thread runtime (the translators')
    /// waiting in place would stall that call until it times out, losing the spans.
    pub async fn shutdown(mut self) {
        if let Some(provider) = self.provider.take() {
            match tokio::task::spawn_blocking(move || provider.shutdown()).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => eprintln!("telemetry: exporting the last spans failed: {error}"),
                Err(error) => eprintln!("telemetry: exporting the last spans panicked: {error}"),
            }
        }
    }

    fn flush(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(error) = provider.shutdown()
        {
            eprintln!("telemetry: exporting the last spans failed: {error}");
        }
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Installs the global subscriber: logs filtered by `RUST_LOG` (default `info`), and
/// OpenTelemetry spans. Call it inside the Tokio runtime (the exporter needs one).
/// A second call (tests) keeps the first subscriber and returns an inert guard.
pub fn init(args: &TelemetryArgs, default_service_name: &str) -> TelemetryGuard {
    let service_name = args
        .otel_service_name
        .clone()
        .unwrap_or_else(|| default_service_name.to_owned());
    let mut builder = SdkTracerProvider::builder().with_resource(
        Resource::builder()
            .with_service_name(service_name.clone())
            .build(),
    );
    let mut exporter_error = None;
    let exporting = match &args.otlp_endpoint {
        Some(endpoint) => match opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .build()
        {
            Ok(exporter) => {
                builder = builder.with_batch_exporter(exporter);
                true
            }
            Err(error) => {
                exporter_error = Some(error.to_string());
                false
            }
        },
        None => false,
    };
    let provider = builder
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::AlwaysOn)))
        .build();
    let tracer = provider.tracer(service_name);

    let log_filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    EXPORTING.store(exporting, Ordering::Relaxed);
    let installed = subscriber(args.log_format, log_filter, exporting.then_some(tracer))
        .try_init()
        .is_ok();
    if let Some(error) = exporter_error {
        tracing::error!(%error, "cannot build the OTLP exporter; traces are not exported");
    }
    TelemetryGuard {
        provider: installed.then_some(provider),
    }
}

/// The global subscriber: logs through `log_filter`, and OpenTelemetry spans when a
/// tracer is given. Without one there is no OpenTelemetry layer at all, not even an
/// empty `Option` of one: an absent layer counts as interested in every callsite, so
/// every request would build spans that nobody records (a tenth of each request's CPU).
fn subscriber(
    format: LogFormat,
    log_filter: EnvFilter,
    tracer: Option<SdkTracer>,
) -> Box<dyn Subscriber + Send + Sync> {
    // Spans give log lines their context (`trace_id`). Logs take them when traces are
    // exported anyway, or at debug level; otherwise an info-level log would make every
    // request build spans only to format fields that no line prints.
    let spans_for_logs = tracer.is_some()
        || log_filter
            .max_level_hint()
            .is_some_and(|max| max >= LevelFilter::DEBUG);
    let log_filter = log_filter.and(filter_fn(move |meta| spans_for_logs || !meta.is_span()));
    // stderr, so stdout stays for what a command prints (admin secrets); colours only
    // for a person at a terminal, not in collected container logs.
    let ansi = std::io::stderr().is_terminal();
    let log_layer = match format {
        LogFormat::Text => fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(ansi)
            .boxed(),
        LogFormat::Json => fmt::layer()
            .with_writer(std::io::stderr)
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .boxed(),
    };
    let logging = tracing_subscriber::registry().with(log_layer.with_filter(log_filter));
    let Some(tracer) = tracer else {
        return Box::new(logging);
    };
    // The exporter speaks gRPC itself; its own HTTP/2 work must not become spans.
    let otel_filter = Targets::new()
        .with_default(LevelFilter::INFO)
        .with_target("h2", LevelFilter::OFF)
        .with_target("hyper", LevelFilter::OFF)
        .with_target("hyper_util", LevelFilter::OFF)
        .with_target("tonic", LevelFilter::OFF)
        .with_target("tower", LevelFilter::OFF)
        .with_target("opentelemetry", LevelFilter::OFF)
        .with_target("opentelemetry_sdk", LevelFilter::OFF)
        .with_target("opentelemetry_otlp", LevelFilter::OFF);
    // Source locations, thread names and busy/idle timings would ride on every span;
    // the semantic-convention attributes are what a trace reader needs.
    Box::new(
        logging.with(
            tracing_opentelemetry::layer()
                .with_tracer(tracer)
                .with_location(false)
                .with_threads(false)
                .with_tracked_inactivity(false)
                .with_filter(otel_filter),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracer() -> SdkTracer {
        SdkTracerProvider::builder().build().tracer("test")
    }

    #[test]
    fn request_spans_are_built_only_when_something_reads_them() {
        let built = |format, filter: &str, tracer| {
            tracing::subscriber::with_default(
                subscriber(format, EnvFilter::new(filter), tracer),
                || !tracing::info_span!("grpc.server").is_disabled(),
            )
        };
        assert!(
            !built(LogFormat::Text, "info", None),
            "info logs, no exporter"
        );
        assert!(
            !built(LogFormat::Json, "warn", None),
            "warn logs, no exporter"
        );
        assert!(
            built(LogFormat::Json, "debug", None),
            "debug logs show spans"
        );
        assert!(built(LogFormat::Text, "info", Some(tracer())), "exported");
    }
}
