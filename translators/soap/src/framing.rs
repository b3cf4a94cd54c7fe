//! What the HTTP layer says about a SOAP request before its body is read: the SOAP
//! version the `Content-Type` suggests, and the action (the `SOAPAction` header for
//! SOAP 1.1, the `action` parameter of `application/soap+xml` for SOAP 1.2).

use axum::http::{HeaderMap, StatusCode, header};

use crate::envelope::SoapVersion;
use crate::fault::{Fault, FaultCode};

/// The HTTP framing of one SOAP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Framing {
    /// The version the content type suggests; the envelope namespace has the last word.
    pub version: SoapVersion,
    /// The action, unquoted; `None` when absent or empty.
    pub action: Option<String>,
}

impl Framing {
    /// Reads the framing, or the Fault (HTTP 415) for a body that is not SOAP at all:
    /// a foreign content type or a charset other than UTF-8.
    pub fn from_headers(headers: &HeaderMap) -> Result<Self, Fault> {
        let unsupported = |version, reason: String| {
            Fault::new(version, FaultCode::Sender, reason)
                .with_status(StatusCode::UNSUPPORTED_MEDIA_TYPE)
        };
        let content_type = match headers.get(header::CONTENT_TYPE) {
            None => None,
            Some(value) => Some(value.to_str().map_err(|_| {
                unsupported(
                    SoapVersion::Soap11,
                    "the Content-Type header is not readable".into(),
                )
            })?),
        };
        let (media_type, parameters) = content_type.map(split_content_type).unwrap_or_default();
        let version = match media_type.as_str() {
            // Lenient: no content type at all is taken as SOAP 1.1.
            "" | "text/xml" | "application/xml" => SoapVersion::Soap11,
            "application/soap+xml" => SoapVersion::Soap12,
            other => {
                return Err(unsupported(
                    SoapVersion::Soap11,
                    format!(
                        "the content type '{}' is not SOAP; send text/xml (SOAP 1.1) or application/soap+xml (SOAP 1.2)",
                        crate::envelope::cursor::quote(other)
                    ),
                ));
            }
        };
        let parameter = |name: &str| {
            parameters
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| value.as_str())
        };
        if let Some(charset) = parameter("charset") {
            let utf8 = ["utf-8", "utf8", "us-ascii"]
                .iter()
                .any(|ok| charset.eq_ignore_ascii_case(ok));
            if !utf8 {
                return Err(unsupported(
                    version,
                    format!(
                        "the charset '{}' is not supported; send UTF-8",
                        crate::envelope::cursor::quote(charset)
                    ),
                ));
            }
        }
        let soap_action = match headers.get("soapaction") {
            None => None,
            Some(value) => Some(value.to_str().map_err(|_| {
                Fault::new(
                    version,
                    FaultCode::Sender,
                    "the SOAPAction header is not readable",
                )
            })?),
        };
        let action = soap_action
            .map(unquote)
            .filter(|action| !action.is_empty())
            .or_else(|| parameter("action").map(unquote).filter(|a| !a.is_empty()))
            .map(str::to_owned);
        Ok(Self { version, action })
    }
}

/// `type/subtype; key=value; key="quoted value"` → lowercased media type and parameters.
fn split_content_type(value: &str) -> (String, Vec<(String, String)>) {
    let mut parts = value.split(';');
    let media_type = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let parameters = parts
        .filter_map(|part| {
            let (key, value) = part.split_once('=')?;
            Some((key.trim().to_owned(), unquote(value).to_owned()))
        })
        .collect();
    (media_type, parameters)
}

fn unquote(value: &str) -> &str {
    let value = value.trim();
    value
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or(value)
        .trim()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn framing(
        content_type: Option<&'static str>,
        soap_action: Option<&'static str>,
    ) -> Result<Framing, Fault> {
        let mut headers = HeaderMap::new();
        if let Some(value) = content_type {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
        }
        if let Some(value) = soap_action {
            headers.insert("SOAPAction", HeaderValue::from_static(value));
        }
        Framing::from_headers(&headers)
    }

    #[test]
    fn soap11_uses_the_soapaction_header() {
        let f = framing(Some("text/xml; charset=utf-8"), Some("\"urn:a/Op\"")).unwrap();
        assert_eq!(f.version, SoapVersion::Soap11);
        assert_eq!(f.action.as_deref(), Some("urn:a/Op"));
        let f = framing(Some("text/xml"), Some("\"\"")).unwrap();
        assert_eq!(f.action, None);
    }

    #[test]
    fn soap12_uses_the_action_parameter() {
        let f = framing(
            Some("application/soap+xml; charset=UTF-8; action=\"urn:a/Op\""),
            None,
        )
        .unwrap();
        assert_eq!(f.version, SoapVersion::Soap12);
        assert_eq!(f.action.as_deref(), Some("urn:a/Op"));
    }

    #[test]
    fn foreign_types_and_charsets_are_415() {
        let fault = framing(Some("application/json"), None).unwrap_err();
        assert_eq!(fault.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let fault = framing(Some("text/xml; charset=iso-8859-1"), None).unwrap_err();
        assert_eq!(fault.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert!(framing(None, None).is_ok());
    }
}
