//! The HTTP server span and metrics of the translators, as an [`Around`] middleware.

use std::future::Future;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::response::Response;
use tracing::Instrument as _;
use tracing::field::Empty;

use crate::around::{Around, ResponseFuture};
use crate::metrics::{HttpLabels, RouteLabels, intern, metrics};
use crate::propagation::{RequestTrace, adopt_parent};

/// Set as a response extension by a handler whose route says too little (one SOAP
/// endpoint serves eleven operations): metrics and the span name use it instead.
#[derive(Debug, Clone, Copy)]
pub struct OperationLabel(pub &'static str);

/// One server span per request, continuing the caller's `traceparent`, named
/// `METHOD route` (or `METHOD` for a fallback, as the OpenTelemetry HTTP conventions
/// say), and the request counted and timed. The query string is never recorded: it
/// holds `api_key`. Add it with `Router::layer(AroundLayer(TraceHttp))` after the
/// routes.
#[derive(Debug, Clone, Copy, Default)]
pub struct TraceHttp;

impl Around for TraceHttp {
    fn around<F>(&self, request: Request, next: impl FnOnce(Request) -> F) -> ResponseFuture
    where
        F: Future<Output = Response> + Send + 'static,
    {
        let method = intern(request.method().as_str());
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map(|m| intern(m.as_str()));
        let trace = RequestTrace::continue_or_start(request.headers());
        // Built only when something wants it (an exporter, or logs at debug level); the
        // fields below are not even evaluated otherwise.
        let span = tracing::info_span!(
            "http.server",
            otel.name = %match route {
                Some(route) => format!("{method} {route}"),
                None => method.to_owned(),
            },
            otel.kind = "server",
            otel.status_code = Empty,
            http.request.method = method,
            http.route = route,
            url.path = %request.uri().path(),
            http.response.status_code = Empty,
            soap.operation = Empty,
            trace_id = Empty,
        );
        trace.sync_scope(|| adopt_parent(&span, request.headers()));
        let answered = next(request).instrument(span.clone());
        Box::pin(async move {
            let started = Instant::now();
            let response = trace.scope(answered).await;
            finish(response, &span, method, route, started.elapsed())
        })
    }
}

/// Records the answer on `span`, counts and times it, and logs it at debug level.
fn finish(
    response: Response,
    span: &tracing::Span,
    method: &'static str,
    route: Option<&'static str>,
    elapsed: Duration,
) -> Response {
    let status = response.status().as_u16();
    span.record("http.response.status_code", status);
    if status >= 500 {
        span.record("otel.status_code", "ERROR");
    }
    // The label metrics use: the operation, else the route template; never the raw
    // path, whose ids would make a series per batch.
    let label = match response.extensions().get::<OperationLabel>() {
        Some(OperationLabel(operation)) => {
            // Only an attribute: tracing-opentelemetry fixes the span name at creation.
            span.record("soap.operation", *operation);
            *operation
        }
        None => route.unwrap_or("unmatched"),
    };
    let m = metrics();
    m.http_requests
        .get_or_create(&HttpLabels {
            method,
            route: label,
            status,
        })
        .inc();
    m.http_duration
        .get_or_create(&RouteLabels {
            method,
            route: label,
        })
        .observe(elapsed.as_secs_f64());
    // The access log, at debug level. (Deliberately no `tracing::enabled!` fast path:
    // with per-layer filters it leaves filter state behind that disables the next span
    // for the OpenTelemetry layer, which silently cut traces in two.)
    span.in_scope(|| {
        tracing::debug!(
            http.response.status_code = status,
            duration_ms = elapsed.as_secs_f64() * 1000.0,
            "{method} {label} answered {status}"
        );
    });
    response
}
