//! SOAP Faults: the answer to a request that is not a usable call (malformed XML, a
//! refused construct, an unknown operation, an impossible value), as opposed to an
//! application error, which is answered in band (see [`crate::exception`]).
//!
//! SOAP 1.1 Faults travel with HTTP 500; SOAP 1.2 Sender Faults with HTTP 400 and
//! Receiver Faults with HTTP 500, as each version's HTTP binding says. An unknown
//! action mimics WCF: `a:ActionNotSupported` in the `addressing/none` namespace.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use translator_common::HostError;

use crate::envelope::{ReadError, ReadFailure, SoapVersion};
use crate::xml::XmlWriter;

/// Namespace of WCF's `ActionNotSupported` fault code.
const WCF_ADDRESSING_NONE: &str = "http://schemas.microsoft.com/ws/2005/05/addressing/none";

/// Who is at fault, in SOAP terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultCode {
    /// The request is wrong (1.1 `Client`, 1.2 `Sender`).
    Sender,
    /// This server failed (1.1 `Server`, 1.2 `Receiver`).
    Receiver,
    /// The root element is not a SOAP 1.1 or 1.2 Envelope.
    VersionMismatch,
    /// The action or body element names no operation of this service (a Sender fault
    /// with WCF's code).
    ActionNotSupported,
    /// A header marked `mustUnderstand` that this node does not understand.
    MustUnderstand,
}

/// One Fault, ready to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub version: SoapVersion,
    pub code: FaultCode,
    /// The `faultstring` / `Reason` text.
    pub reason: String,
    /// An HTTP status that says more than the SOAP binding's (404, 405, 413, 415).
    pub status_override: Option<StatusCode>,
    /// The header a MustUnderstand Fault is about: namespace URI and local name
    /// (SOAP 1.2 names it in a `NotUnderstood` header block).
    pub not_understood: Option<(String, String)>,
}

impl Fault {
    /// A Fault with the SOAP binding's HTTP status.
    pub fn new(version: SoapVersion, code: FaultCode, reason: impl Into<String>) -> Self {
        Self {
            version,
            code,
            reason: reason.into(),
            status_override: None,
            not_understood: None,
        }
    }

    /// The same Fault sent with `status`.
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status_override = Some(status);
        self
    }

    /// The Fault for a request that could not be read; `fallback` is the version the
    /// HTTP framing suggested, used when the envelope itself did not get that far.
    pub fn from_read_failure(failure: &ReadFailure, fallback: SoapVersion) -> Self {
        let code = match &failure.error {
            ReadError::NotAnEnvelope { .. } => FaultCode::VersionMismatch,
            ReadError::UnknownAction(_)
            | ReadError::UnknownOperation(_)
            | ReadError::OperationNamespace { .. } => FaultCode::ActionNotSupported,
            ReadError::MustUnderstand { .. } => FaultCode::MustUnderstand,
            ReadError::NotUtf8
            | ReadError::NotUtf16
            | ReadError::UnsupportedEncoding(_)
            | ReadError::EncodingMismatch { .. }
            | ReadError::DeclarationMismatch { .. }
            | ReadError::UnqualifiedHeader { .. }
            | ReadError::DuplicateHeader(_)
            | ReadError::ExtraBodyElement { .. }
            | ReadError::Malformed(_)
            | ReadError::Truncated
            | ReadError::DoctypeRefused
            | ReadError::UnknownEntity(_)
            | ReadError::InvalidCharRef(_)
            | ReadError::TooDeep { .. }
            | ReadError::TooManyElements { .. }
            | ReadError::NoBody
            | ReadError::NoOperation
            | ReadError::ActionMismatch { .. }
            | ReadError::InvalidValue { .. }
            | ReadError::TooManyItems { .. }
            | ReadError::UnexpectedElement { .. }
            | ReadError::UnexpectedText { .. } => FaultCode::Sender,
        };
        let mut fault = Self::new(
            failure.version.unwrap_or(fallback),
            code,
            failure.error.to_string(),
        );
        match &failure.error {
            // As WCF answers an encoding it cannot read, wherever it was named.
            ReadError::UnsupportedEncoding(_) => {
                fault.status_override = Some(StatusCode::UNSUPPORTED_MEDIA_TYPE);
            }
            ReadError::MustUnderstand { namespace, local } => {
                fault.not_understood = Some((namespace.clone(), local.clone()));
            }
            _ => {}
        }
        fault
    }

    /// The Fault for a request to a path this door does not serve (HTTP 404).
    pub fn not_found(version: SoapVersion, path: &str) -> Self {
        Self::new(
            version,
            FaultCode::Sender,
            format!(
                "there is no SOAP endpoint at '{}'; the Batch agent is at /Remote/Services86/Batch.svc",
                crate::envelope::cursor::quote(path)
            ),
        )
        .with_status(StatusCode::NOT_FOUND)
    }

    /// The Fault for a method other than POST (calls) and GET (the WSDL), HTTP 405.
    pub fn method_not_allowed(version: SoapVersion, method: &str) -> Self {
        Self::new(
            version,
            FaultCode::Sender,
            format!(
                "the method {} is not allowed; use POST for SOAP calls and GET ?wsdl for the WSDL",
                crate::envelope::cursor::quote(method)
            ),
        )
        .with_status(StatusCode::METHOD_NOT_ALLOWED)
    }

    /// The Fault for a request without exactly one `Host` header (HTTP 400).
    pub fn bad_host(version: SoapVersion, error: HostError) -> Self {
        Self::new(version, FaultCode::Sender, error.to_string())
            .with_status(StatusCode::BAD_REQUEST)
    }

    /// The HTTP status this Fault is sent with.
    pub fn status(&self) -> StatusCode {
        if let Some(status) = self.status_override {
            return status;
        }
        match (self.version, self.code) {
            (SoapVersion::Soap12, FaultCode::Sender | FaultCode::ActionNotSupported) => {
                StatusCode::BAD_REQUEST
            }
            (SoapVersion::Soap11, _)
            | (
                SoapVersion::Soap12,
                FaultCode::Receiver | FaultCode::VersionMismatch | FaultCode::MustUnderstand,
            ) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The Fault envelope.
    pub fn body(&self) -> Vec<u8> {
        let written = match self.version {
            SoapVersion::Soap11 => self.write_11(),
            SoapVersion::Soap12 => self.write_12(),
        };
        // Writing into memory cannot fail; keep a well-formed answer even so.
        written.unwrap_or_else(|_| b"<?xml version=\"1.0\"?><fault/>".to_vec())
    }

    fn write_11(&self) -> std::io::Result<Vec<u8>> {
        let mut xml = XmlWriter::new(512)?;
        xml.start("s:Envelope", &[("xmlns:s", self.version.namespace())])?;
        xml.start("s:Body", &[])?;
        xml.start("s:Fault", &[])?;
        match self.code {
            FaultCode::Sender => xml.text_element("faultcode", "s:Client")?,
            FaultCode::Receiver => xml.text_element("faultcode", "s:Server")?,
            FaultCode::VersionMismatch => xml.text_element("faultcode", "s:VersionMismatch")?,
            FaultCode::MustUnderstand => xml.text_element("faultcode", "s:MustUnderstand")?,
            FaultCode::ActionNotSupported => xml.element(
                "faultcode",
                &[("xmlns:a", WCF_ADDRESSING_NONE)],
                "a:ActionNotSupported",
            )?,
        }
        xml.element("faultstring", &[("xml:lang", "en-US")], &self.reason)?;
        xml.end("s:Fault")?;
        xml.end("s:Body")?;
        xml.end("s:Envelope")?;
        Ok(xml.finish())
    }

    fn write_12(&self) -> std::io::Result<Vec<u8>> {
        let mut xml = XmlWriter::new(512)?;
        xml.start("s:Envelope", &[("xmlns:s", self.version.namespace())])?;
        if let Some((namespace, local)) = &self.not_understood {
            // SOAP 1.2 part 1, 5.4.8: the Fault names the header in a NotUnderstood
            // block. Its `qname` needs a prefix; `h` is bound to the header's namespace.
            xml.start("s:Header", &[])?;
            if namespace.is_empty() {
                xml.empty("s:NotUnderstood", &[("qname", local.as_str())])?;
            } else {
                let qname = format!("h:{local}");
                xml.empty(
                    "s:NotUnderstood",
                    &[("qname", qname.as_str()), ("xmlns:h", namespace.as_str())],
                )?;
            }
            xml.end("s:Header")?;
        }
        xml.start("s:Body", &[])?;
        xml.start("s:Fault", &[])?;
        xml.start("s:Code", &[])?;
        match self.code {
            FaultCode::Sender => xml.text_element("s:Value", "s:Sender")?,
            FaultCode::Receiver => xml.text_element("s:Value", "s:Receiver")?,
            FaultCode::VersionMismatch => xml.text_element("s:Value", "s:VersionMismatch")?,
            FaultCode::MustUnderstand => xml.text_element("s:Value", "s:MustUnderstand")?,
            FaultCode::ActionNotSupported => {
                xml.text_element("s:Value", "s:Sender")?;
                xml.start("s:Subcode", &[])?;
                xml.element(
                    "s:Value",
                    &[("xmlns:a", WCF_ADDRESSING_NONE)],
                    "a:ActionNotSupported",
                )?;
                xml.end("s:Subcode")?;
            }
        }
        xml.end("s:Code")?;
        xml.start("s:Reason", &[])?;
        xml.element("s:Text", &[("xml:lang", "en-US")], &self.reason)?;
        xml.end("s:Reason")?;
        xml.end("s:Fault")?;
        xml.end("s:Body")?;
        xml.end("s:Envelope")?;
        Ok(xml.finish())
    }
}

impl IntoResponse for Fault {
    fn into_response(self) -> Response {
        let content_type = HeaderValue::from_static(self.version.content_type());
        (
            self.status(),
            [(header::CONTENT_TYPE, content_type)],
            self.body(),
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_each_binding() {
        let fault = |version, code| Fault::new(version, code, "x").status();
        assert_eq!(fault(SoapVersion::Soap11, FaultCode::Sender), 500);
        assert_eq!(
            fault(SoapVersion::Soap11, FaultCode::ActionNotSupported),
            500
        );
        assert_eq!(fault(SoapVersion::Soap12, FaultCode::Sender), 400);
        assert_eq!(
            fault(SoapVersion::Soap12, FaultCode::ActionNotSupported),
            400
        );
        assert_eq!(fault(SoapVersion::Soap12, FaultCode::Receiver), 500);
        let large = Fault::new(SoapVersion::Soap11, FaultCode::Sender, "x")
            .with_status(StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(large.status(), 413);
    }

    #[test]
    fn soap11_fault_shape() {
        let body = Fault::new(
            SoapVersion::Soap11,
            FaultCode::ActionNotSupported,
            "no <op>",
        )
        .body();
        let body = String::from_utf8(body).unwrap();
        assert!(body.contains(
            r#"<faultcode xmlns:a="http://schemas.microsoft.com/ws/2005/05/addressing/none">a:ActionNotSupported</faultcode>"#
        ));
        assert!(body.contains(r#"<faultstring xml:lang="en-US">no &lt;op&gt;</faultstring>"#));
    }

    #[test]
    fn soap12_fault_shape() {
        let body = Fault::new(SoapVersion::Soap12, FaultCode::Sender, "bad").body();
        let body = String::from_utf8(body).unwrap();
        assert!(body.contains(r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">"#));
        assert!(body.contains("<s:Code><s:Value>s:Sender</s:Value></s:Code>"));
        assert!(body.contains(r#"<s:Reason><s:Text xml:lang="en-US">bad</s:Text></s:Reason>"#));
    }
}
