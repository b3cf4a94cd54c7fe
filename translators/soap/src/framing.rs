//! What the HTTP layer says about a SOAP request before its body is read: the SOAP
//! version the `Content-Type` suggests, its charset (UTF-8 or UTF-16; any other is
//! HTTP 415, as WCF answers), and the action (the `SOAPAction` header for SOAP 1.1, the
//! `action` parameter of `application/soap+xml` for SOAP 1.2).

use axum::http::{HeaderMap, StatusCode, header};

use crate::envelope::{Charset, SoapVersion};
use crate::fault::{Fault, FaultCode};

/// The HTTP framing of one SOAP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Framing {
    /// The version the content type suggests; the envelope namespace has the last word.
    pub version: SoapVersion,
    /// The declared charset; a byte order mark in the body has the last word.
    pub charset: Charset,
    /// The action, unquoted; `None` when absent or empty.
    pub action: Option<String>,
}

impl Framing {
    /// The SOAP version to answer a request in before (or without) reading its
    /// framing: SOAP 1.2 when the content type says so, else SOAP 1.1.
    pub fn version_hint(headers: &HeaderMap) -> SoapVersion {
        let soap12 = headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| split_content_type(value).0 == "application/soap+xml");
        if soap12 {
            SoapVersion::Soap12
        } else {
            SoapVersion::Soap11
        }
    }

    /// Reads the framing, or the Fault (HTTP 415) for a body that is not SOAP at all:
    /// a foreign content type or a charset other than UTF-8 and UTF-16.
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
        let charset = match parameter("charset") {
            None => Charset::Unspecified,
            Some(label) => Charset::from_label(label).ok_or_else(|| {
                unsupported(
                    version,
                    format!(
                        "the charset '{}' is not supported; send UTF-8 or UTF-16",
                        crate::envelope::cursor::quote(label)
                    ),
                )
            })?,
        };
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
        Ok(Self {
            version,
            charset,
            action,
        })
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
        for charset in ["iso-8859-1", "utf-32", "x-unknown"] {
            let content_type = format!("text/xml; charset={charset}");
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, content_type.parse().unwrap());
            let fault = Framing::from_headers(&headers).unwrap_err();
            assert_eq!(fault.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
            assert!(fault.reason.contains("UTF-8 or UTF-16"), "{}", fault.reason);
        }
        assert!(framing(None, None).is_ok());
    }

    #[test]
    fn utf16_charsets_are_read() {
        let f = framing(Some("text/xml; charset=utf-16"), None).unwrap();
        assert_eq!(f.charset, Charset::Utf16);
        let f = framing(Some("application/soap+xml; charset=\"UTF-16LE\""), None).unwrap();
        assert_eq!(f.charset, Charset::Utf16Le);
        let f = framing(Some("text/xml"), None).unwrap();
        assert_eq!(f.charset, Charset::Unspecified);
    }
}
