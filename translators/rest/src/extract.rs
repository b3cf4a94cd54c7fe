//! Extractors that read a request the way SerpWow clients write it, and reject in
//! SerpWow's error shape (axum's own rejections would answer in plain text).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::{StatusCode, header, request::Parts};
use batch_proto::tonic;
use serde::de::DeserializeOwned;
use serde_json::Value;
use translator_common::{CallerClient, CallerSecret, CallerUpstream, CredentialError};
use utoipa::IntoParams;

use crate::coerce::{Fields, form_fields, form_is_utf8};
use crate::error::ApiError;
use crate::state::AppState;

/// The `api_key` every SerpWow call carries in its query string. Documents the
/// parameter; [`api_key`] reads it.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ApiKeyParam {
    /// Your API key (`demo` on the development stack).
    #[expect(
        dead_code,
        reason = "read by the Caller extractor; here for the OpenAPI document"
    )]
    api_key: String,
}

/// Who is calling, bound to the service: every call made through [`Caller::client`]
/// carries the caller's `api_key` as the bearer credential, the door and the deadline.
/// (The trace context travels by itself: the client span of the upstream channel
/// continues the request's server span, which continued the caller's `traceparent`.)
#[derive(Debug)]
pub(crate) struct Caller(CallerUpstream);

impl Caller {
    /// A client on the shared channel that calls on behalf of this caller.
    pub(crate) fn client(&self) -> CallerClient {
        self.0.client()
    }

    /// Checks the caller's credential without touching any batch.
    pub(crate) async fn check_credential(&self) -> Result<(), tonic::Status> {
        self.0.check_credential().await
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let secret = api_key(parts.uri.query().unwrap_or_default())?;
        Ok(Self(state.upstream.for_caller(&secret)))
    }
}

/// The secret a query string names with `api_key`, taken exactly as sent.
pub(crate) fn api_key(query: &str) -> Result<CallerSecret, ApiError> {
    // The last `api_key` wins, as with every other repeated parameter.
    let raw = form_urlencoded::parse(query.as_bytes())
        .filter(|(key, _)| key == "api_key")
        .last()
        .map(|(_, value)| value);
    match CallerSecret::parse(raw.as_deref().unwrap_or_default()) {
        Ok(secret) => Ok(secret),
        Err(CredentialError::Missing) => Err(ApiError::MissingApiKey),
        Err(CredentialError::Malformed) => Err(ApiError::InvalidApiKey),
    }
}

/// The query string as fields (repeated keys become lists), for the parameters beyond
/// `api_key`.
#[derive(Debug, Default)]
pub(crate) struct Query(pub(crate) Fields);

impl<S: Send + Sync> FromRequestParts<S> for Query {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        Ok(Self(form_fields(query.as_bytes())))
    }
}

/// Path parameters. They are read as text and parsed by the handler, so a failure
/// here means the URL itself is unusable (e.g. not UTF-8): 404, like any bad URL.
#[derive(Debug)]
pub(crate) struct Segments<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Segments<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(Self(value)),
            Err(_) => Err(ApiError::NoRoute),
        }
    }
}

/// A request body as JSON: a JSON body as it is, form fields as an object of strings,
/// no body as `null`. Bodies beyond the configured limit are refused with 413.
#[derive(Debug)]
pub(crate) struct Body(pub(crate) Value);

impl FromRequest<AppState> for Body {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        // Some(true) for JSON, Some(false) for form fields, None when the type is
        // missing or says neither.
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(|value| value.to_ascii_lowercase())
            .and_then(|value| {
                if value.starts_with("application/json") || value.contains("+json") {
                    Some(true)
                } else if value.starts_with("application/x-www-form-urlencoded") {
                    Some(false)
                } else {
                    None
                }
            });
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge {
                        limit: state.body_limit,
                    }
                } else {
                    ApiError::BadRequest(format!("The request body could not be read: {rejection}"))
                }
            })?;
        parse_body(&bytes, is_json).map(Self)
    }
}

/// JSON or form fields as the content type says; when it says neither (or is missing,
/// as with some clients), whatever the body looks like. Either must be UTF-8 text.
pub(crate) fn parse_body(bytes: &[u8], is_json: Option<bool>) -> Result<Value, ApiError> {
    let text_start = bytes.iter().find(|b| !b.is_ascii_whitespace());
    let Some(first) = text_start else {
        return Ok(Value::Null);
    };
    let json = is_json.unwrap_or(matches!(first, b'{' | b'['));
    if json {
        serde_json::from_slice(bytes).map_err(|error| {
            ApiError::BadRequest(format!("The request body is not valid JSON: {error}"))
        })
    } else if form_is_utf8(bytes) {
        Ok(Value::Object(form_fields(bytes)))
    } else {
        Err(ApiError::BadRequest(
            "The request body is not valid form data: it is not UTF-8 text".to_owned(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bodies_by_content_type_or_by_look() {
        assert_eq!(parse_body(b"", Some(true)).unwrap(), Value::Null);
        assert_eq!(parse_body(b"  \n", None).unwrap(), Value::Null);
        assert_eq!(
            parse_body(br#"{"name":"x"}"#, Some(true)).unwrap(),
            json!({"name": "x"})
        );
        assert_eq!(
            parse_body(br#"["1","2"]"#, None).unwrap(),
            json!(["1", "2"])
        );
        assert_eq!(
            parse_body(b"name=x&schedule_hours=9%2C17", None).unwrap(),
            json!({"name": "x", "schedule_hours": "9,17"})
        );
        assert_eq!(
            parse_body(b"name=x", Some(false)).unwrap(),
            json!({"name": "x"})
        );
        let err = parse_body(b"{oops", Some(true)).unwrap_err();
        assert!(matches!(err, ApiError::BadRequest(m) if m.contains("not valid JSON")));
    }

    #[test]
    fn form_bodies_must_be_utf8_raw_and_percent_decoded() {
        for body in [
            &b"name=%FF%FE"[..],
            b"name=\xFF",
            b"%C3=x",
            b"a=1&name=%E2%82",
        ] {
            let err = parse_body(body, Some(false)).unwrap_err();
            assert!(
                matches!(&err, ApiError::BadRequest(m) if m.contains("not UTF-8")),
                "{body:?}: {err:?}"
            );
        }
        assert_eq!(
            parse_body(b"name=%E2%82%AC+%25zz&x=%", Some(false)).unwrap(),
            json!({"name": "\u{20AC} %zz", "x": "%"})
        );
    }
}
