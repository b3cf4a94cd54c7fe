//! The door's request deadline: a request still unanswered after the configured time
//! gets a 503 in SerpWow's shape, and its work is dropped.

use std::future::Future;
use std::time::Duration;

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use telemetry::around::{Around, ResponseFuture};

use crate::error::ApiError;

/// Answers a request that takes longer than its duration with [`ApiError::Timeout`];
/// applied with `telemetry::around::AroundLayer`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline(pub(crate) Duration);

impl Around for Deadline {
    fn around<F>(&self, request: Request, next: impl FnOnce(Request) -> F) -> ResponseFuture
    where
        F: Future<Output = Response> + Send + 'static,
    {
        let answered = tokio::time::timeout(self.0, next(request));
        Box::pin(async move {
            answered
                .await
                .unwrap_or_else(|_elapsed| ApiError::Timeout.into_response())
        })
    }
}
