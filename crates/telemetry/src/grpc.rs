//! gRPC spans and metrics as a tower layer: [`GrpcLayer::SERVER`] for `batch-service`
//! (continues the caller's trace) and [`GrpcLayer::CLIENT`] for the translators'
//! channel (starts a client span and injects its context into the call's headers).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use tonic::Code;
use tower::{Layer, Service};
use tracing::Instrument as _;
use tracing::field::Empty;

use crate::metrics::{RpcLabels, RpcMethodLabels, intern, metrics};
use crate::propagation::{adopt_parent, inject};

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// `/batch.v1.BatchService/DeleteBatches` as (`batch.v1.BatchService`, `DeleteBatches`).
fn service_and_method(path: &str) -> (&str, &str) {
    path.trim_start_matches('/')
        .split_once('/')
        .unwrap_or(("", path))
}

/// The gRPC status of a response. Errors of unary calls arrive "trailers-only", with
/// `grpc-status` in the headers; a response without it in the headers is OK.
fn status_of<B>(response: &http::Response<B>) -> Code {
    response
        .headers()
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
        .map_or(Code::Ok, Code::from_i32)
}

fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "Ok",
        Code::Cancelled => "Cancelled",
        Code::Unknown => "Unknown",
        Code::InvalidArgument => "InvalidArgument",
        Code::DeadlineExceeded => "DeadlineExceeded",
        Code::NotFound => "NotFound",
        Code::AlreadyExists => "AlreadyExists",
        Code::PermissionDenied => "PermissionDenied",
        Code::ResourceExhausted => "ResourceExhausted",
        Code::FailedPrecondition => "FailedPrecondition",
        Code::Aborted => "Aborted",
        Code::OutOfRange => "OutOfRange",
        Code::Unimplemented => "Unimplemented",
        Code::Internal => "Internal",
        Code::Unavailable => "Unavailable",
        Code::DataLoss => "DataLoss",
        Code::Unauthenticated => "Unauthenticated",
    }
}

fn record(span: &tracing::Span, code: Code) {
    span.record("rpc.grpc.status_code", code as i32);
    if !matches!(code, Code::Ok) {
        span.record("otel.status_code", "ERROR");
    }
}

/// Which end of a call a layer sits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// `batch-service`: continue the caller's trace.
    Server,
    /// The translators' channel: start a child span and send its context along.
    Client,
}

/// gRPC spans and metrics for one side of a call. [`GrpcLayer::SERVER`]: one
/// `grpc.server` span per call, parented by the caller's `traceparent`.
/// [`GrpcLayer::CLIENT`]: one `grpc.client` span per call, child of the current span,
/// whose context travels in the request's `traceparent`. Either way the call is
/// counted and timed by method and code (a transport failure counts as UNAVAILABLE).
#[derive(Debug, Clone, Copy)]
pub struct GrpcLayer {
    side: Side,
}

impl GrpcLayer {
    pub const SERVER: Self = Self { side: Side::Server };
    pub const CLIENT: Self = Self { side: Side::Client };
}

impl<S> Layer<S> for GrpcLayer {
    type Service = Grpc<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Grpc {
            inner,
            side: self.side,
        }
    }
}

/// The service [`GrpcLayer`] wraps around a gRPC server or channel.
#[derive(Debug, Clone)]
pub struct Grpc<S> {
    inner: S,
    side: Side,
}

fn server_span<B>(request: &http::Request<B>, service: &str, method: &str) -> tracing::Span {
    let span = tracing::info_span!(
        "grpc.server",
        otel.name = %request.uri().path().trim_start_matches('/'),
        otel.kind = "server",
        otel.status_code = Empty,
        rpc.system = "grpc",
        rpc.service = %service,
        rpc.method = %method,
        rpc.grpc.status_code = Empty,
        trace_id = Empty,
    );
    adopt_parent(&span, request.headers());
    span
}

fn client_span<B>(request: &mut http::Request<B>, service: &str, method: &str) -> tracing::Span {
    let span = tracing::info_span!(
        "grpc.client",
        otel.name = %request.uri().path().trim_start_matches('/'),
        otel.kind = "client",
        otel.status_code = Empty,
        rpc.system = "grpc",
        rpc.service = %service,
        rpc.method = %method,
        rpc.grpc.status_code = Empty,
        server.address = request.uri().host(),
    );
    inject(&span, request.headers_mut());
    span
}

impl<S, B, R> Service<http::Request<B>> for Grpc<S>
where
    S: Service<http::Request<B>, Response = http::Response<R>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    B: Send + 'static,
    R: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let path = intern(request.uri().path());
        let (service, method) = service_and_method(path);
        let span = match self.side {
            Side::Server => server_span(&request, service, method),
            Side::Client => client_span(&mut request, service, method),
        };
        // The clone that was polled ready is the one to call (tower's usual dance).
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(observe(inner, request, span, path, self.side))
    }
}

/// Calls `inner` inside `span`, then records the gRPC code on the span and counts and
/// times the call.
async fn observe<S, B, R>(
    mut inner: S,
    request: http::Request<B>,
    span: tracing::Span,
    path: &'static str,
    side: Side,
) -> Result<http::Response<R>, S::Error>
where
    S: Service<http::Request<B>, Response = http::Response<R>>,
{
    let started = Instant::now();
    let result = inner.call(request).instrument(span.clone()).await;
    let code = result.as_ref().map_or(Code::Unavailable, status_of);
    record(&span, code);
    let m = metrics();
    let (requests, durations) = match side {
        Side::Server => (&m.rpc_server_requests, &m.rpc_server_duration),
        Side::Client => (&m.rpc_client_requests, &m.rpc_client_duration),
    };
    let method = path.trim_start_matches('/');
    requests
        .get_or_create(&RpcLabels {
            method,
            code: code_name(code),
        })
        .inc();
    durations
        .get_or_create(&RpcMethodLabels { method })
        .observe(started.elapsed().as_secs_f64());
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_into_service_and_method() {
        assert_eq!(
            service_and_method("/batch.v1.BatchService/DeleteBatches"),
            ("batch.v1.BatchService", "DeleteBatches")
        );
    }

    #[test]
    fn trailers_only_errors_carry_their_code() {
        let response = http::Response::builder()
            .header("grpc-status", "9")
            .body(())
            .unwrap();
        assert_eq!(status_of(&response), Code::FailedPrecondition);
        let ok = http::Response::builder().body(()).unwrap();
        assert_eq!(status_of(&ok), Code::Ok);
    }
}
