//! W3C trace context across process boundaries: extracted from incoming HTTP/2 headers
//! (axum and tonic both expose an `http::HeaderMap`), injected into outgoing ones.

use opentelemetry::propagation::TextMapPropagator as _;
use opentelemetry::trace::TraceContextExt as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// The remote parent carried by `traceparent`/`tracestate`, or an empty context.
pub fn parent_from_headers(headers: &http::HeaderMap) -> opentelemetry::Context {
    TraceContextPropagator::new().extract(&opentelemetry_http::HeaderExtractor(headers))
}

/// Writes the context of `span` into `headers` as `traceparent`/`tracestate`.
pub(crate) fn inject(span: &tracing::Span, headers: &mut http::HeaderMap) {
    TraceContextPropagator::new().inject_context(
        &span.context(),
        &mut opentelemetry_http::HeaderInjector(headers),
    );
}

/// Gives `span` its remote parent and records the trace id on it, so every log line
/// inside carries it. Must run before the span is first entered.
pub(crate) fn adopt_parent(span: &tracing::Span, headers: &http::HeaderMap) {
    let parent = parent_from_headers(headers);
    let remote = parent.span().span_context().clone();
    if remote.is_valid() {
        let _ = span.set_parent(parent);
        // The child's trace is the parent's. (Asking the span itself now can still
        // answer with the id it was given at creation, before it had this parent.)
        span.record("trace_id", remote.trace_id().to_string());
    } else {
        span.record("trace_id", current_trace_id_of(span));
    }
}

fn current_trace_id_of(span: &tracing::Span) -> String {
    let context = span.context();
    let span_context = context.span().span_context().clone();
    if span_context.is_valid() {
        span_context.trace_id().to_string()
    } else {
        String::new()
    }
}

/// The trace id of the current span (32 hex digits), or empty outside any trace.
pub fn current_trace_id() -> String {
    current_trace_id_of(&tracing::Span::current())
}
