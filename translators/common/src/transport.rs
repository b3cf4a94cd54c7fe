//! Telling a broken call apart from an answer of the service.
//!
//! The service answers every call with a `grpc-status`: in the response headers
//! (trailers-only) or in the trailers. Anything else that ends a call is a transport
//! failure: the connection was refused, reset or closed, the stream was cut, the
//! deadline passed. tonic reports some of these as UNKNOWN or INTERNAL (a closed stream
//! is "h2 protocol error", a body that ends without trailers is "missing grpc-status
//! trailer", one that ends mid-message is "Unexpected EOF"), which a door would show as
//! a bug (500). [`TransportFailures`] sits under the client, where the difference is
//! still visible, and turns every such failure into UNAVAILABLE (DEADLINE_EXCEEDED for
//! the channel's own timeout) before tonic sees it:
//!
//! - the channel fails the call (connect refused, connection lost before an answer,
//!   timeout);
//! - the response body fails (stream reset, connection closed mid-answer);
//! - a `200` response body ends without a `grpc-status` in its headers or trailers.
//!
//! The status keeps the original error as its `source`, which
//! [`crate::UpstreamError`] also checks, so a status made on this side of the wire is
//! never mistaken for the service's INTERNAL. Statuses sent by the service pass through
//! untouched.
//!
//! Something other than the service may answer, too: a proxy in front of it with no
//! ready replica behind (`503 no healthy upstream`), or whatever now holds the
//! service's old address. tonic would read such a body as gRPC messages and fail with
//! INTERNAL ("invalid compression flag"). Any non-`200` answer without a `grpc-status`
//! is settled here instead, by [`foreign_answer`]: UNAVAILABLE where the gRPC spec's
//! HTTP mapping says so (429, 502, 503, 504); otherwise INTERNAL, without a source and
//! naming the HTTP status, since a peer that is not the service is a deployment fault
//! that the doors report as their own (500).

use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper::body::{Body as HttpBody, Frame, SizeHint};
use tonic::Status;
use tonic::body::Body;
use tower::{Layer, Service};

type BoxError = Box<dyn StdError + Send + Sync>;
type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// The header (or trailer) that carries the service's answer.
const GRPC_STATUS: &str = "grpc-status";

/// The layer; see the module documentation.
#[derive(Debug, Clone, Copy, Default)]
pub struct TransportFailuresLayer;

impl<S> Layer<S> for TransportFailuresLayer {
    type Service = TransportFailures<S>;
    fn layer(&self, inner: S) -> Self::Service {
        TransportFailures { inner }
    }
}

/// A gRPC channel whose transport failures are UNAVAILABLE (or DEADLINE_EXCEEDED).
#[derive(Debug, Clone)]
pub struct TransportFailures<S> {
    inner: S,
}

/// Whether `error`'s chain holds tonic's timeout (the channel's own deadline).
fn is_timeout(error: &(dyn StdError + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(error) = next {
        if error.is::<tonic::TimeoutExpired>() {
            return true;
        }
        next = error.source();
    }
    false
}

/// The status a transport failure becomes, carrying the failure as its source.
pub(crate) fn transport_status(error: BoxError) -> Status {
    let mut status = if is_timeout(&*error) {
        Status::deadline_exceeded(format!("the call to batch-service timed out: {error}"))
    } else {
        Status::unavailable(format!(
            "batch-service could not be reached or the call was cut: {error}"
        ))
    };
    status.set_source(Arc::from(error));
    status
}

/// The status for an HTTP answer that carries no `grpc-status` and is not a `200`:
/// someone other than the service answered (see the module documentation).
pub(crate) fn foreign_answer(http_status: http::StatusCode) -> Status {
    use http::StatusCode;
    match http_status {
        StatusCode::TOO_MANY_REQUESTS
        | StatusCode::BAD_GATEWAY
        | StatusCode::SERVICE_UNAVAILABLE
        | StatusCode::GATEWAY_TIMEOUT => Status::unavailable(format!(
            "batch-service could not be reached: a proxy answered HTTP {http_status}"
        )),
        _ => Status::internal(format!(
            "not batch-service: its address answered HTTP {http_status}, not gRPC"
        )),
    }
}

impl<S, B> Service<http::Request<B>> for TransportFailures<S>
where
    S: Service<http::Request<B>, Response = http::Response<Body>>,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = BoxError;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner
            .poll_ready(cx)
            .map_err(|error| Box::new(transport_status(error.into())) as BoxError)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let call = self.inner.call(request);
        Box::pin(async move {
            match call.await {
                Ok(response) => {
                    let status_seen = response.headers().contains_key(GRPC_STATUS);
                    if !status_seen && response.status() != http::StatusCode::OK {
                        return Err(Box::new(foreign_answer(response.status())) as BoxError);
                    }
                    Ok(response.map(|body| {
                        Body::new(Guarded {
                            inner: body,
                            status_seen,
                            done: false,
                        })
                    }))
                }
                Err(error) => Err(Box::new(transport_status(error.into())) as BoxError),
            }
        })
    }
}

/// A response body whose errors, and whose end without a `grpc-status`, are transport
/// failures.
struct Guarded {
    inner: Body,
    /// A `grpc-status` was in the headers or trailers (or the response needs none).
    status_seen: bool,
    /// The body has ended (or failed); nothing more comes.
    done: bool,
}

impl HttpBody for Guarded {
    type Data = <Body as HttpBody>::Data;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        if self.done {
            return Poll::Ready(None);
        }
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Ok(frame))) => {
                if frame
                    .trailers_ref()
                    .is_some_and(|trailers| trailers.contains_key(GRPC_STATUS))
                {
                    this.status_seen = true;
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(error))) => {
                this.done = true;
                Poll::Ready(Some(Err(transport_status(error.into()))))
            }
            Poll::Ready(None) => {
                this.done = true;
                if this.status_seen {
                    Poll::Ready(None)
                } else {
                    let mut status = Status::unavailable(
                        "batch-service's answer ended without a gRPC status: the stream was cut",
                    );
                    status.set_source(Arc::new(StreamCut));
                    Poll::Ready(Some(Err(status)))
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done || (self.status_seen && self.inner.is_end_stream())
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The source of the status made when a body ends without a `grpc-status`.
#[derive(Debug, thiserror::Error)]
#[error("the response stream ended without a grpc-status")]
pub(crate) struct StreamCut;

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::Code;

    #[test]
    fn a_timeout_is_a_deadline_and_anything_else_unavailable() {
        let status = transport_status(Box::new(tonic::TimeoutExpired(())));
        assert_eq!(status.code(), Code::DeadlineExceeded);
        assert!(status.source().is_some());
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let status = transport_status(Box::new(refused));
        assert_eq!(status.code(), Code::Unavailable);
        assert!(status.message().contains("refused"), "{}", status.message());
    }

    #[test]
    fn a_foreign_answer_is_unavailable_only_where_the_grpc_spec_says_so() {
        use http::StatusCode;
        for transient in [429, 502, 503, 504] {
            let status = foreign_answer(StatusCode::from_u16(transient).unwrap());
            assert_eq!(status.code(), Code::Unavailable, "{transient}");
            assert!(status.message().contains(&transient.to_string()));
        }
        for wrong_peer in [400, 401, 403, 404, 500] {
            let status = foreign_answer(StatusCode::from_u16(wrong_peer).unwrap());
            assert_eq!(status.code(), Code::Internal, "{wrong_peer}");
            assert!(status.message().contains(&wrong_peer.to_string()));
        }
    }
}
