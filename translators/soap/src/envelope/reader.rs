//! Streaming parse of a request body into a typed [`SoapRequest`].
//!
//! Tolerant where real clients differ (the published examples' SOAP 1.2 envelope with
//! headers directly under `Envelope`, SOAP 1.1 with a proper `Header`, any prefixes,
//! `xsi:type` noise, unqualified names), strict where a mistake would change what
//! happens (unknown actions, values that are not numbers, ids that overflow).

use super::body::read_operation;
use super::cursor::{Cursor, Element, Item, Ns, is_xml_whitespace, quote};
use super::encoding::{Charset, decode};
use super::wellformed::check_characters;
use super::{Limits, ReadError, SoapHeaders, SoapRequest, SoapVersion};
use crate::operation::OperationName;

/// A request that could not be read, with the SOAP version its Fault should use when
/// the envelope got far enough to tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadFailure {
    /// The envelope's version, when the root element was a SOAP Envelope.
    pub version: Option<SoapVersion>,
    /// What is wrong.
    pub error: ReadError,
}

/// Reads `body` as one SOAP call. `charset` is what the `Content-Type` declares (a
/// byte order mark has the last word). `http_action` is the SOAPAction header or the
/// `action` parameter of a SOAP 1.2 content type; when it is absent or empty, a
/// WS-Addressing `Action` header, then the body element's name, says which operation
/// is meant.
pub fn read_request(
    body: &[u8],
    charset: Charset,
    http_action: Option<&str>,
    limits: Limits,
) -> Result<SoapRequest, ReadFailure> {
    let mut version = None;
    read(body, charset, http_action, limits, &mut version)
        .map_err(|error| ReadFailure { version, error })
}

fn read(
    body: &[u8],
    charset: Charset,
    http_action: Option<&str>,
    limits: Limits,
    version_seen: &mut Option<SoapVersion>,
) -> Result<SoapRequest, ReadError> {
    let (xml, encoding) = decode(body, charset)?;
    // quick-xml would pass over a byte order mark here, but after the one decoding
    // removed it is content before the root element.
    if xml.starts_with('\u{FEFF}') {
        return Err(ReadError::Malformed(
            "the body starts with a second byte order mark".into(),
        ));
    }
    check_characters(&xml)?;
    let mut cursor = Cursor::new(&xml, limits).decoded_from(encoding);

    let root = loop {
        match cursor.next()? {
            Item::Start(element) => break element,
            Item::Text(text) if is_xml_whitespace(&text) => {}
            Item::Text(_) => {
                return Err(ReadError::Malformed("text before the root element".into()));
            }
            Item::End | Item::Eof => return Err(ReadError::Malformed("no root element".into())),
        }
    };
    let version = match (root.ns, root.local.as_str()) {
        (Ns::Soap11, "Envelope") => SoapVersion::Soap11,
        (Ns::Soap12, "Envelope") => SoapVersion::Soap12,
        _ => return Err(not_an_envelope(&root)),
    };
    *version_seen = Some(version);
    let envelope_ns = match version {
        SoapVersion::Soap11 => Ns::Soap11,
        SoapVersion::Soap12 => Ns::Soap12,
    };

    let mut state = EnvelopeState {
        headers: SoapHeaders::default(),
        http_action: http_action
            .map(str::trim)
            .filter(|action| !action.is_empty()),
        wsa_action: None,
        token_seen: false,
        ticket_seen: false,
        body_seen: false,
        operation: None,
    };
    while let Some(child) = cursor.next_child("Envelope")? {
        match (child.ns == envelope_ns, child.local.as_str()) {
            (true, "Header") => {
                while let Some(entry) = cursor.next_child("Header")? {
                    state.read_header_entry(&mut cursor, &entry, HeaderPlace::Header)?;
                }
            }
            (true, "Body") => state.read_body(&mut cursor)?,
            // The published examples put ApplicationToken and Credentials here.
            _ => state.read_header_entry(&mut cursor, &child, HeaderPlace::Envelope)?,
        }
    }
    loop {
        match cursor.next()? {
            Item::Eof => break,
            Item::Text(text) if is_xml_whitespace(&text) => {}
            Item::Start(_) | Item::Text(_) | Item::End => {
                return Err(ReadError::Malformed("content after the Envelope".into()));
            }
        }
    }
    if !state.body_seen {
        return Err(ReadError::NoBody);
    }
    let operation = state.operation.ok_or(ReadError::NoOperation)?;
    Ok(SoapRequest {
        version,
        headers: state.headers,
        operation,
    })
}

fn not_an_envelope(root: &Element) -> ReadError {
    let namespace = match root.ns {
        Ns::Soap11 => super::SOAP11_NS,
        Ns::Soap12 => super::SOAP12_NS,
        Ns::Tns => super::TNS,
        Ns::Arrays => super::ARRAYS_NS,
        Ns::Wsa => "WS-Addressing",
        Ns::Unqualified => "",
        Ns::Other => "another namespace",
    };
    ReadError::NotAnEnvelope {
        namespace: namespace.to_owned(),
        local: quote(&root.local),
    }
}

/// The Services86 request headers (`<Op>Request_Headers` in the WSDL).
const SERVICES86_HEADERS: [&str; 3] = ["ApplicationToken", "Credentials", "TimeZone"];

/// The WS-Addressing headers a WCF client may mark `mustUnderstand`: `Action` is read,
/// the rest are satisfied by this node being the ultimate receiver that answers on the
/// same connection.
const WSA_HEADERS: [&str; 7] = [
    "Action",
    "To",
    "MessageID",
    "ReplyTo",
    "From",
    "FaultTo",
    "RelatesTo",
];

/// Where a header entry stands: inside `Header`, as SOAP says, or directly under
/// `Envelope`, as the published examples put it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HeaderPlace {
    Header,
    Envelope,
}

struct EnvelopeState<'a> {
    headers: SoapHeaders,
    http_action: Option<&'a str>,
    wsa_action: Option<String>,
    token_seen: bool,
    ticket_seen: bool,
    body_seen: bool,
    operation: Option<crate::operation::Operation>,
}

impl EnvelopeState<'_> {
    /// One header: `ApplicationToken`, `Credentials/Ticket` and WS-Addressing `Action`
    /// are read; every other header (`TimeZone` included) is passed over unless it is
    /// a header block this node must understand but does not.
    fn read_header_entry(
        &mut self,
        cursor: &mut Cursor<'_>,
        entry: &Element,
        place: HeaderPlace,
    ) -> Result<(), ReadError> {
        if entry.is_tns("ApplicationToken") {
            if std::mem::replace(&mut self.token_seen, true) {
                return Err(ReadError::DuplicateHeader("ApplicationToken"));
            }
            self.headers.application_token = text_unless_nil(cursor, entry)?;
        } else if entry.is_tns("Credentials") {
            if entry.nil {
                return cursor.skip();
            }
            while let Some(field) = cursor.next_child(&entry.local)? {
                if field.is_tns("Ticket") {
                    if std::mem::replace(&mut self.ticket_seen, true) {
                        return Err(ReadError::DuplicateHeader("Credentials/Ticket"));
                    }
                    self.headers.ticket = text_unless_nil(cursor, &field)?;
                } else if field.ns == Ns::Unqualified && field.local == "Ticket" {
                    return Err(ReadError::UnqualifiedHeader {
                        element: "Credentials/Ticket".into(),
                    });
                } else {
                    cursor.skip()?;
                }
            }
        } else if entry.ns == Ns::Unqualified && SERVICES86_HEADERS.contains(&entry.local.as_str())
        {
            return Err(ReadError::UnqualifiedHeader {
                element: quote(&entry.local),
            });
        } else if entry.ns == Ns::Wsa && entry.local == "Action" {
            self.wsa_action = text_unless_nil(cursor, entry)?.map(|a| a.trim().to_owned());
        } else if place == HeaderPlace::Header && entry.must_understand && !understood(entry) {
            return Err(ReadError::MustUnderstand {
                namespace: quote(entry.namespace()),
                local: quote(&entry.local),
            });
        } else {
            cursor.skip()?;
        }
        Ok(())
    }

    /// The Body: one element, the operation. A second one is refused rather than
    /// dropped: the client meant something by it that would silently not happen.
    fn read_body(&mut self, cursor: &mut Cursor<'_>) -> Result<(), ReadError> {
        if self.body_seen {
            return Err(ReadError::Malformed(
                "the Envelope has two Body elements".into(),
            ));
        }
        self.body_seen = true;
        while let Some(element) = cursor.next_child("Body")? {
            if let Some(operation) = &self.operation {
                return Err(ReadError::ExtraBodyElement {
                    operation: operation.name().as_str().to_owned(),
                    extra: quote(&element.local),
                });
            }
            let op = self.dispatch(&element)?;
            self.operation = Some(read_operation(op, cursor)?);
        }
        Ok(())
    }

    /// Which operation the call means: the action when one is given (and then the body
    /// element must agree), else the body element.
    fn dispatch(&self, element: &Element) -> Result<OperationName, ReadError> {
        let named = OperationName::from_name(&element.local);
        let action = self.http_action.or(self
            .wsa_action
            .as_deref()
            .filter(|action| !action.is_empty()));
        let action = action
            .map(|action| {
                OperationName::from_action(action)
                    .ok_or_else(|| ReadError::UnknownAction(quote(action)))
            })
            .transpose()?;
        // An operation's name in the wrong namespace is the likelier mistake to report
        // than a mismatch or an unknown operation: the name is right, the namespace not.
        if named.is_some() && element.ns != Ns::Tns {
            return Err(ReadError::OperationNamespace {
                element: quote(&element.local),
                namespace: quote(element.namespace()),
            });
        }
        match (action, named) {
            (Some(op), Some(by_element)) if op == by_element => Ok(op),
            (Some(op), _) => Err(ReadError::ActionMismatch {
                action: op.as_str().to_owned(),
                element: quote(&element.local),
            }),
            (None, Some(op)) => Ok(op),
            (None, None) => Err(ReadError::UnknownOperation(quote(&element.local))),
        }
    }
}

/// Whether this node understands (processes) the header `entry`.
fn understood(entry: &Element) -> bool {
    match entry.ns {
        Ns::Tns => SERVICES86_HEADERS.contains(&entry.local.as_str()),
        Ns::Wsa => WSA_HEADERS.contains(&entry.local.as_str()),
        Ns::Soap11 | Ns::Soap12 | Ns::Arrays | Ns::Unqualified | Ns::Other => false,
    }
}

fn text_unless_nil(
    cursor: &mut Cursor<'_>,
    element: &Element,
) -> Result<Option<String>, ReadError> {
    if element.nil {
        cursor.skip()?;
        return Ok(None);
    }
    cursor.text(element).map(Some)
}
