//! W3C trace context across process boundaries: extracted from incoming HTTP/2 headers
//! (axum and tonic both expose an `http::HeaderMap`), injected into outgoing ones.
//!
//! Two paths, depending on whether traces are exported ([`crate::exporting`]):
//! - exporting: every span is an OpenTelemetry span, and the context travels from span
//!   to span ([`adopt_parent`], [`inject`]);
//! - not exporting: no span is built unless the log level asks for spans, so the
//!   request's trace context travels in a task-local [`RequestTrace`] that the HTTP
//!   middleware sets. Trace ids still reach the service, its logs and its audit.

use opentelemetry::propagation::TextMapPropagator as _;
use opentelemetry::trace::{SpanId, TraceContextExt as _, TraceFlags, TraceId};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{IdGenerator as _, RandomIdGenerator};
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

const TRACEPARENT: &str = "traceparent";

tokio::task_local! {
    static REQUEST_TRACE: RequestTrace;
}

/// The trace one request belongs to, when no OpenTelemetry span carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestTrace {
    trace_id: TraceId,
    flags: TraceFlags,
}

impl RequestTrace {
    /// The caller's trace (from a valid `traceparent`), or a new one.
    pub fn continue_or_start(headers: &http::HeaderMap) -> Self {
        match headers
            .get(TRACEPARENT)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_traceparent)
        {
            Some((trace_id, _, flags)) => Self { trace_id, flags },
            None => Self {
                trace_id: RandomIdGenerator::default().new_trace_id(),
                flags: TraceFlags::default(),
            },
        }
    }

    /// Runs `future` as part of this trace.
    pub async fn scope<F: Future>(self, future: F) -> F::Output {
        REQUEST_TRACE.scope(self, future).await
    }

    /// Runs `f` as part of this trace.
    pub(crate) fn sync_scope<R>(self, f: impl FnOnce() -> R) -> R {
        REQUEST_TRACE.sync_scope(self, f)
    }

    /// The trace of the request being served on this task, if any.
    fn current() -> Option<Self> {
        REQUEST_TRACE.try_with(|trace| *trace).ok()
    }

    /// `00-<trace id>-<new span id>-<flags>`. Written digit by digit: every call to the
    /// service carries one, and the formatting machinery cost several times as much.
    fn traceparent(self) -> String {
        let span_id = RandomIdGenerator::default().new_span_id();
        let mut value = String::with_capacity(55);
        value.push_str("00-");
        push_hex(&mut value, &self.trace_id.to_bytes());
        value.push('-');
        push_hex(&mut value, &span_id.to_bytes());
        value.push('-');
        push_hex(&mut value, &[self.flags.to_u8()]);
        value
    }
}

/// Appends `bytes` as lowercase hex digits.
fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0xF)]));
    }
}

/// `00-<32 hex>-<16 hex>-<2 hex>`, with non-zero ids, as W3C Trace Context defines it.
fn parse_traceparent(value: &str) -> Option<(TraceId, SpanId, TraceFlags)> {
    let mut parts = value.trim().split('-');
    let (version, trace, span, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
    if version != "00"
        || parts.next().is_some()
        || !hex(trace, 32)
        || !hex(span, 16)
        || !hex(flags, 2)
    {
        return None;
    }
    let trace_id = TraceId::from_hex(trace).ok()?;
    let span_id = SpanId::from_hex(span).ok()?;
    let flags = TraceFlags::new(u8::from_str_radix(flags, 16).ok()?);
    (trace_id != TraceId::INVALID && span_id != SpanId::INVALID)
        .then_some((trace_id, span_id, flags))
}

/// The remote parent carried by `traceparent`/`tracestate`, or an empty context.
pub fn parent_from_headers(headers: &http::HeaderMap) -> opentelemetry::Context {
    TraceContextPropagator::new().extract(&opentelemetry_http::HeaderExtractor(headers))
}

/// Writes the current trace context into `headers` as `traceparent`: the context of
/// `span` when traces are exported, else the request's [`RequestTrace`] with a new
/// span id.
pub(crate) fn inject(span: &tracing::Span, headers: &mut http::HeaderMap) {
    if crate::exporting() {
        TraceContextPropagator::new().inject_context(
            &span.context(),
            &mut opentelemetry_http::HeaderInjector(headers),
        );
    } else if let Some(trace) = RequestTrace::current()
        && let Ok(value) = http::HeaderValue::try_from(trace.traceparent())
    {
        headers.insert(TRACEPARENT, value);
    }
}

/// Gives `span` its remote parent and records the trace id on it, so every log line
/// inside carries it. Must run before the span is first entered. Does nothing for a
/// span nobody wants (no exporter, and a log level that leaves spans out).
pub(crate) fn adopt_parent(span: &tracing::Span, headers: &http::HeaderMap) {
    if span.is_disabled() {
        return;
    }
    if !crate::exporting() {
        let trace =
            RequestTrace::current().unwrap_or_else(|| RequestTrace::continue_or_start(headers));
        span.record("trace_id", tracing::field::display(trace.trace_id));
        return;
    }
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
    if !crate::exporting() {
        return RequestTrace::current().map_or_else(String::new, |t| t.trace_id.to_string());
    }
    let context = span.context();
    let span_context = context.span().span_context().clone();
    if span_context.is_valid() {
        span_context.trace_id().to_string()
    } else {
        String::new()
    }
}

/// The trace id of the current request (32 hex digits), or empty outside any trace.
pub fn current_trace_id() -> String {
    current_trace_id_of(&tracing::Span::current())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceparent_is_parsed_strictly() {
        let (trace, span, flags) =
            parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01").unwrap();
        assert_eq!(trace.to_string(), "0af7651916cd43dd8448eb211c80319c");
        assert_eq!(span.to_string(), "b7ad6b7169203331");
        assert!(flags.is_sampled());
        for bad in [
            "garbage",
            "00-00000000000000000000000000000000-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",
            "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        ] {
            assert!(parse_traceparent(bad).is_none(), "{bad}");
        }
    }

    #[tokio::test]
    async fn without_an_exporter_the_request_trace_travels_to_outgoing_calls() {
        let mut incoming = http::HeaderMap::new();
        incoming.insert(
            TRACEPARENT,
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
                .parse()
                .unwrap(),
        );
        let trace = RequestTrace::continue_or_start(&incoming);
        let outgoing = trace
            .scope(async {
                let mut headers = http::HeaderMap::new();
                inject(&tracing::Span::none(), &mut headers);
                headers
            })
            .await;
        let value = outgoing[TRACEPARENT].to_str().unwrap();
        assert!(
            value.starts_with("00-0af7651916cd43dd8448eb211c80319c-") && value.ends_with("-01"),
            "{value}"
        );
        let (trace_id, span_id, flags) = parse_traceparent(value).unwrap();
        assert_eq!(trace_id.to_string(), "0af7651916cd43dd8448eb211c80319c");
        assert_ne!(
            span_id.to_string(),
            "b7ad6b7169203331",
            "a span id of our own"
        );
        assert!(flags.is_sampled());
    }

    #[test]
    fn a_request_without_traceparent_starts_a_trace() {
        let trace = RequestTrace::continue_or_start(&http::HeaderMap::new());
        assert_ne!(trace.trace_id, TraceId::INVALID);
    }
}
