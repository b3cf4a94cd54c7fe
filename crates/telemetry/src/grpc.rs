//! gRPC spans and metrics as tower layers: [`GrpcServerLayer`] for `batch-service`
//! (continues the caller's trace) and [`GrpcClientLayer`] for the translators' channel
//! (starts a client span and injects its context into the call's headers).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use tonic::Code;
use tower::{Layer, Service};
use tracing::Instrument as _;
use tracing::field::Empty;

use crate::metrics::{RpcLabels, RpcMethodLabels, metrics};
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

fn code_name(code: Code) -> String {
    format!("{code:?}")
}

fn record(span: &tracing::Span, code: Code) {
    span.record("rpc.grpc.status_code", code as i32);
    if !matches!(code, Code::Ok) {
        span.record("otel.status_code", "ERROR");
    }
}

/// Which end of a call a layer sits on; picks the metric families.
#[derive(Debug, Clone, Copy)]
enum Side {
    Server,
    Client,
}

/// Calls `inner` inside `span`, then records the gRPC code on the span and counts and
/// times the call by method and code. A transport failure counts as UNAVAILABLE.
async fn observe<S, B, R>(
    mut inner: S,
    request: http::Request<B>,
    span: tracing::Span,
    path: String,
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
    let method = path.trim_start_matches('/').to_owned();
    requests
        .get_or_create(&RpcLabels {
            method: method.clone(),
            code: code_name(code),
        })
        .inc();
    durations
        .get_or_create(&RpcMethodLabels { method })
        .observe(started.elapsed().as_secs_f64());
    result
}

/// Server side: one `grpc.server` span per call, parented by the caller's
/// `traceparent`, and calls counted and timed by method and code.
#[derive(Debug, Clone, Copy, Default)]
pub struct GrpcServerLayer;

impl<S> Layer<S> for GrpcServerLayer {
    type Service = GrpcServer<S>;
    fn layer(&self, inner: S) -> Self::Service {
        GrpcServer { inner }
    }
}

#[derive(Debug, Clone)]
pub struct GrpcServer<S> {
    inner: S,
}

impl<S, B, R> Service<http::Request<B>> for GrpcServer<S>
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

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let path = request.uri().path().to_owned();
        let (service, method) = service_and_method(&path);
        let span = tracing::info_span!(
            "grpc.server",
            otel.name = %path.trim_start_matches('/'),
            otel.kind = "server",
            otel.status_code = Empty,
            rpc.system = "grpc",
            rpc.service = %service,
            rpc.method = %method,
            rpc.grpc.status_code = Empty,
            trace_id = Empty,
        );
        adopt_parent(&span, request.headers());
        // The clone that was polled ready is the one to call (tower's usual dance).
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(observe(inner, request, span, path, Side::Server))
    }
}

/// Client side: one `grpc.client` span per call, child of the current span, whose
/// context travels in the request's `traceparent`; calls counted and timed by method
/// and code (transport failures count as UNAVAILABLE).
#[derive(Debug, Clone, Copy, Default)]
pub struct GrpcClientLayer;

impl<S> Layer<S> for GrpcClientLayer {
    type Service = GrpcClient<S>;
    fn layer(&self, inner: S) -> Self::Service {
        GrpcClient { inner }
    }
}

#[derive(Debug, Clone)]
pub struct GrpcClient<S> {
    inner: S,
}

impl<S, B, R> Service<http::Request<B>> for GrpcClient<S>
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
        let path = request.uri().path().to_owned();
        let (service, method) = service_and_method(&path);
        let span = tracing::info_span!(
            "grpc.client",
            otel.name = %path.trim_start_matches('/'),
            otel.kind = "client",
            otel.status_code = Empty,
            rpc.system = "grpc",
            rpc.service = %service,
            rpc.method = %method,
            rpc.grpc.status_code = Empty,
            server.address = Empty,
        );
        if let Some(host) = request.uri().host() {
            span.record("server.address", host);
        }
        inject(&span, request.headers_mut());
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(observe(inner, request, span, path, Side::Client))
    }
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
