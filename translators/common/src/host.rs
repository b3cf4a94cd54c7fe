//! The `Host` rule of HTTP/1.1 (RFC 9112 §3.2): a server must answer 400 to a request
//! with more than one `Host` header, and to an HTTP/1.1 request without one. hyper
//! leaves the rule to the application, so both doors apply this layer; each answers in
//! its own vocabulary (a JSON error, a SOAP Fault) through the function it passes in.

use std::future::{Future, ready};

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, Version, header};
use axum::response::Response;
use telemetry::around::{Around, AroundLayer, ResponseFuture};

/// Why a request's `Host` headers break the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    #[error("the request has no Host header; HTTP/1.1 requires exactly one")]
    Missing,
    #[error("the request has {0} Host headers; HTTP requires exactly one")]
    Repeated(usize),
}

/// How a door answers a request that breaks the rule; it sees the request headers so
/// that it can answer in the form the client asked for.
pub type RejectHost = fn(&HeaderMap, HostError) -> Response;

/// Checks the `Host` headers of a request of HTTP `version`. HTTP/1.0 may omit
/// `Host`; HTTP/2 carries the authority in the request line instead.
pub fn check_host(version: Version, headers: &HeaderMap) -> Result<(), HostError> {
    match headers.get_all(header::HOST).iter().count() {
        0 if version == Version::HTTP_11 => Err(HostError::Missing),
        0 | 1 => Ok(()),
        count => Err(HostError::Repeated(count)),
    }
}

/// `router` with the rule enforced in front of every route, `reject` answering the
/// requests that break it.
pub fn require_one_host(router: Router, reject: RejectHost) -> Router {
    router.layer(AroundLayer(OneHost { reject }))
}

#[derive(Clone, Copy)]
struct OneHost {
    reject: RejectHost,
}

impl Around for OneHost {
    fn around<F>(&self, request: Request, next: impl FnOnce(Request) -> F) -> ResponseFuture
    where
        F: Future<Output = Response> + Send + 'static,
    {
        match check_host(request.version(), request.headers()) {
            Ok(()) => Box::pin(next(request)),
            Err(error) => Box::pin(ready((self.reject)(request.headers(), error))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn hosts(count: usize) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for _ in 0..count {
            headers.append(header::HOST, HeaderValue::from_static("example.com"));
        }
        headers
    }

    #[test]
    fn http11_needs_exactly_one_host() {
        assert_eq!(check_host(Version::HTTP_11, &hosts(1)), Ok(()));
        assert_eq!(
            check_host(Version::HTTP_11, &hosts(0)),
            Err(HostError::Missing)
        );
        assert_eq!(
            check_host(Version::HTTP_11, &hosts(2)),
            Err(HostError::Repeated(2))
        );
    }

    #[test]
    fn other_versions_may_omit_host_but_never_repeat_it() {
        assert_eq!(check_host(Version::HTTP_10, &hosts(0)), Ok(()));
        assert_eq!(check_host(Version::HTTP_2, &hosts(0)), Ok(()));
        assert_eq!(
            check_host(Version::HTTP_10, &hosts(3)),
            Err(HostError::Repeated(3))
        );
    }
}
