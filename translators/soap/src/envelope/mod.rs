//! SOAP envelopes as this door sees them: the namespaces, the two SOAP versions, and the
//! typed request the streaming [`reader`] produces from the raw bytes.

pub(crate) mod body;
pub(crate) mod cursor;
pub(crate) mod encoding;
pub(crate) mod reader;
#[cfg(test)]
mod tests;
mod wellformed;

pub use cursor::Limits;
pub(crate) use cursor::ReadError;
pub use encoding::Charset;
pub(crate) use reader::ReadFailure;
pub use reader::read_request;

use crate::operation::Operation;

/// Envelope namespace of SOAP 1.1 (what WCF `basicHttpBinding` speaks).
pub(crate) const SOAP11_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// Envelope namespace of SOAP 1.2 (what the published Services86 examples use).
pub(crate) const SOAP12_NS: &str = "http://www.w3.org/2003/05/soap-envelope";
/// Target namespace of Services86: operations, carriers and headers.
pub(crate) const TNS: &str = "http://www.superoffice.net/ws/crm/NetServer/Services86";
/// DataContract namespace of `ArrayOfint` items.
pub(crate) const ARRAYS_NS: &str = "http://schemas.microsoft.com/2003/10/Serialization/Arrays";
/// XML Schema instance namespace (`xsi:nil`, `xsi:type`).
pub(crate) const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";
/// WS-Addressing 1.0 namespace; its `Action` header may name the operation.
pub(crate) const WSA10_NS: &str = "http://www.w3.org/2005/08/addressing";
/// WS-Addressing 2004/08 namespace (older WCF and Java stacks).
pub(crate) const WSA2004_NS: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
/// Every Batch SOAPAction is this prefix followed by the operation name.
pub(crate) const ACTION_PREFIX: &str =
    "http://www.superoffice.net/ws/crm/NetServer/Services86/Batch/";

/// The SOAP version of a message; a response is always written in the request's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SoapVersion {
    /// `http://schemas.xmlsoap.org/soap/envelope/`, `text/xml`.
    Soap11,
    /// `http://www.w3.org/2003/05/soap-envelope`, `application/soap+xml`.
    Soap12,
}

impl SoapVersion {
    /// The envelope namespace of this version.
    pub fn namespace(self) -> &'static str {
        match self {
            SoapVersion::Soap11 => SOAP11_NS,
            SoapVersion::Soap12 => SOAP12_NS,
        }
    }

    /// The HTTP `Content-Type` of a message in this version.
    pub fn content_type(self) -> &'static str {
        match self {
            SoapVersion::Soap11 => "text/xml; charset=utf-8",
            SoapVersion::Soap12 => "application/soap+xml; charset=utf-8",
        }
    }
}

/// The request headers this door reads, wherever the client put them (inside `Header`
/// or, as the published examples do, directly under `Envelope`).
#[derive(Default, Clone, PartialEq, Eq)]
pub struct SoapHeaders {
    /// `ApplicationToken`: the partner application's secret (checked in online mode).
    pub application_token: Option<String>,
    /// `Credentials/Ticket`: the caller's ticket, forwarded as the bearer secret.
    pub ticket: Option<String>,
}

impl std::fmt::Debug for SoapHeaders {
    // Both values are secrets: show only whether they are present.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoapHeaders")
            .field("application_token", &self.application_token.is_some())
            .field("ticket", &self.ticket.is_some())
            .finish()
    }
}

/// One decoded SOAP call.
#[derive(Debug, Clone, PartialEq)]
pub struct SoapRequest {
    /// Decided by the envelope namespace.
    pub version: SoapVersion,
    /// The credentials the call carries.
    pub headers: SoapHeaders,
    /// The operation and its arguments.
    pub operation: Operation,
}
