//! The HTTP surface: `POST` and `GET` on `/Remote/Services86/Batch.svc` (any case, also
//! below one leading customer segment such as `/Cust12345`), plus the probes.

use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use telemetry::around::AroundLayer;
use telemetry::http::{OperationLabel, TraceHttp};
use translator_common::{HostError, Upstream, health_routes, require_one_host};

use crate::config::AppConfig;
use crate::envelope::{Limits, SoapVersion, read_request};
use crate::fault::{Fault, FaultCode};
use crate::framing::Framing;
use crate::{dispatch, writer, wsdl};

/// The service path, lowercased for comparison.
const SERVICE_PATH: &str = "/remote/services86/batch.svc";

#[derive(Clone)]
struct AppState {
    upstream: Upstream,
    config: Arc<AppConfig>,
    limits: Limits,
}

/// The whole SOAP door: the Batch endpoint, `/healthz` and `/readyz`.
pub fn app(upstream: Upstream, config: AppConfig) -> Router {
    let state = AppState {
        upstream: upstream.clone(),
        config: Arc::new(config),
        limits: Limits::default(),
    };
    // A fallback rather than routes: the path is matched case-insensitively and may
    // start with any customer segment, which axum's router cannot express.
    let router = Router::new()
        .fallback(entry)
        .with_state(state)
        .merge(health_routes(upstream));
    require_one_host(router, reject_host).layer(AroundLayer(TraceHttp))
}

/// A request without exactly one `Host` header gets a Sender Fault with HTTP 400.
fn reject_host(headers: &HeaderMap, error: HostError) -> Response {
    Fault::bad_host(Framing::version_hint(headers), error).into_response()
}

/// Whether `path` is the Batch endpoint, directly or below one customer segment.
fn is_batch_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    match lower.strip_suffix(SERVICE_PATH) {
        Some("") => true,
        Some(prefix) => prefix.len() > 1 && prefix.starts_with('/') && !prefix[1..].contains('/'),
        None => false,
    }
}

async fn entry(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    // A SOAP client reads Faults, whatever went wrong; answer in the version it speaks.
    let version = Framing::version_hint(&parts.headers);
    if !is_batch_path(parts.uri.path()) {
        return Fault::not_found(version, parts.uri.path()).into_response();
    }
    match parts.method {
        Method::POST => post(&state, &parts, body).await,
        Method::GET => get(&parts),
        _ => (
            [(header::ALLOW, HeaderValue::from_static("GET, POST"))],
            Fault::method_not_allowed(version, parts.method.as_str()),
        )
            .into_response(),
    }
}

/// `?wsdl` or `?singleWsdl` (any case) serves the WSDL; a bare GET says where it is.
fn get(parts: &Parts) -> Response {
    let wants_wsdl = parts.uri.query().is_some_and(|query| {
        query.split('&').any(|pair| {
            let key = pair.split('=').next().unwrap_or("");
            key.eq_ignore_ascii_case("wsdl") || key.eq_ignore_ascii_case("singlewsdl")
        })
    });
    if !wants_wsdl {
        return (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "Services86 Batch SOAP service. The WSDL is at ?wsdl\n",
        )
            .into_response();
    }
    let address = wsdl::service_address(&parts.headers, &parts.uri);
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        wsdl::wsdl(&address),
    )
        .into_response()
}

async fn post(state: &AppState, parts: &Parts, body: Body) -> Response {
    let framing = match Framing::from_headers(&parts.headers) {
        Ok(framing) => framing,
        Err(fault) => return fault.into_response(),
    };
    let timeout = state.config.request_timeout();
    match tokio::time::timeout(timeout, handle(state, parts, &framing, body)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(timeout_ms = timeout.as_millis(), "SOAP request timed out");
            Fault::new(
                framing.version,
                FaultCode::Receiver,
                format!("the request took longer than {} ms", timeout.as_millis()),
            )
            .into_response()
        }
    }
}

async fn handle(state: &AppState, parts: &Parts, framing: &Framing, body: Body) -> Response {
    let started = Instant::now();
    let bytes = match read_body(body, parts, state.config.body_limit_bytes, framing.version).await {
        Ok(bytes) => bytes,
        Err(fault) => return fault.into_response(),
    };
    let request = match read_request(
        &bytes,
        framing.charset,
        framing.action.as_deref(),
        state.limits,
    ) {
        Ok(request) => request,
        Err(failure) => {
            let fault = Fault::from_read_failure(&failure, framing.version);
            tracing::info!(error = %failure.error, "SOAP request refused with a Fault");
            return fault.into_response();
        }
    };
    let op = request.operation.name();
    let reply = dispatch::execute(&state.upstream, state.config.mode, &request).await;
    tracing::debug!(
        soap.operation = op.as_str(),
        succeeded = reply.result.is_ok(),
        duration_ms = started.elapsed().as_millis(),
        "SOAP call {} answered",
        op.as_str()
    );
    match writer::write_response(request.version, op, &reply) {
        Ok(body) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, request.version.content_type())],
            // One endpoint serves eleven operations: metrics and spans name the one.
            Extension(OperationLabel(op.as_str())),
            body,
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "cannot write a SOAP response");
            Fault::new(
                request.version,
                FaultCode::Receiver,
                "the response could not be written",
            )
            .into_response()
        }
    }
}

/// The body, at most `limit` bytes; a larger one is refused with HTTP 413 before it is
/// read in full.
async fn read_body(
    body: Body,
    parts: &Parts,
    limit: usize,
    version: SoapVersion,
) -> Result<Bytes, Fault> {
    let too_large = || {
        Fault::new(
            version,
            FaultCode::Sender,
            format!("the request body is larger than {limit} bytes"),
        )
        .with_status(StatusCode::PAYLOAD_TOO_LARGE)
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(too_large());
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Err(error) => {
            tracing::info!(%error, "cannot read a SOAP request body");
            Err(Fault::new(
                version,
                FaultCode::Sender,
                "the request body could not be read",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_case_insensitively_with_one_optional_segment() {
        assert!(is_batch_path("/Remote/Services86/Batch.svc"));
        assert!(is_batch_path("/remote/services86/batch.svc"));
        assert!(is_batch_path("/Cust12345/Remote/Services86/Batch.svc"));
        assert!(!is_batch_path("/a/b/Remote/Services86/Batch.svc"));
        assert!(!is_batch_path("//Remote/Services86/Batch.svc"));
        assert!(!is_batch_path("/Remote/Services88/Batch.svc"));
        assert!(!is_batch_path("/Remote/Services86/Batch.svc/"));
        assert!(!is_batch_path("/XRemote/Services86/Batch.svc"));
    }
}
