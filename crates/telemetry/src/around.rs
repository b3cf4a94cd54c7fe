//! Per-route HTTP middleware for the translators without `axum::middleware::from_fn`'s
//! cost: that one clones the rest of the stack and boxes three times per request,
//! which showed in the translators' profiles; [`AroundLayer`] calls the inner service
//! in place and boxes once. It lives here because every translator crate depends on
//! this one ([`crate::http::TraceHttp`] is such a middleware).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::response::Response;
use tower::{Layer, Service};

/// The answer of a middleware, boxed once.
pub type ResponseFuture = Pin<Box<dyn Future<Output = Response> + Send>>;

/// What a middleware does around the rest of the stack: given the request and `next`,
/// which passes a request on, the answer. `next` borrows the inner service, so it is
/// called before `around` returns; a middleware that must await something before it
/// passes the request on needs `from_fn` instead. Add it with
/// `Router::layer(AroundLayer(middleware))` after the routes.
pub trait Around: Clone + Send + Sync + 'static {
    fn around<F>(&self, request: Request, next: impl FnOnce(Request) -> F) -> ResponseFuture
    where
        F: Future<Output = Response> + Send + 'static;
}

/// Applies an [`Around`] to every route.
#[derive(Debug, Clone, Copy)]
pub struct AroundLayer<A>(pub A);

impl<A: Around, S> Layer<S> for AroundLayer<A> {
    type Service = AroundService<A, S>;
    fn layer(&self, inner: S) -> Self::Service {
        AroundService {
            around: self.0.clone(),
            inner,
        }
    }
}

/// The service [`AroundLayer`] wraps around each route.
#[derive(Debug, Clone)]
pub struct AroundService<A, S> {
    around: A,
    inner: S,
}

impl<A, S> Service<Request> for AroundService<A, S>
where
    A: Around,
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Answer;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // `next` calls the inner service right away, as tower's contract wants after
        // `poll_ready`; what the route does runs when the answer is polled.
        let inner = &mut self.inner;
        Answer(self.around.around(request, |request| {
            let answered = inner.call(request);
            async move {
                let Ok(response) = answered.await;
                response
            }
        }))
    }
}

/// [`AroundService`]'s future: the middleware's answer, which cannot fail.
pub struct Answer(ResponseFuture);

impl Future for Answer {
    type Output = Result<Response, Infallible>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.as_mut().poll(cx).map(Ok)
    }
}
