//! Streaming parse of a request body into a typed [`SoapRequest`].
//!
//! Tolerant where real clients differ (the published examples' SOAP 1.2 envelope with
//! headers directly under `Envelope`, SOAP 1.1 with a proper `Header`, any prefixes,
//! `xsi:type` noise, unqualified names), strict where a mistake would change what
//! happens (unknown actions, values that are not numbers, ids that overflow).

use super::cursor::{Cursor, Element, Item, Ns, is_xml_whitespace, quote};
use super::{Limits, ReadError, SoapHeaders, SoapRequest, SoapVersion};
use crate::operation::{OperationName, read_operation};

/// A request that could not be read, with the SOAP version its Fault should use when
/// the envelope got far enough to tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadFailure {
    /// The envelope's version, when the root element was a SOAP Envelope.
    pub version: Option<SoapVersion>,
    /// What is wrong.
    pub error: ReadError,
}

/// Reads `body` as one SOAP call. `http_action` is the SOAPAction header or the
/// `action` parameter of a SOAP 1.2 content type; when it is absent or empty, a
/// WS-Addressing `Action` header, then the body element's name, says which operation
/// is meant.
pub fn read_request(
    body: &[u8],
    http_action: Option<&str>,
    limits: Limits,
) -> Result<SoapRequest, ReadFailure> {
    let mut version = None;
    read(body, http_action, limits, &mut version).map_err(|error| ReadFailure { version, error })
}

fn read(
    body: &[u8],
    http_action: Option<&str>,
    limits: Limits,
    version_seen: &mut Option<SoapVersion>,
) -> Result<SoapRequest, ReadError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let xml = std::str::from_utf8(body).map_err(|_| ReadError::NotUtf8)?;
    let mut cursor = Cursor::new(xml, limits);

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
        body_seen: false,
        operation: None,
    };
    while let Some(child) = cursor.next_child("Envelope")? {
        match (child.ns == envelope_ns, child.local.as_str()) {
            (true, "Header") => {
                while let Some(entry) = cursor.next_child("Header")? {
                    state.read_header_entry(&mut cursor, &entry)?;
                }
            }
            (true, "Body") => state.read_body(&mut cursor)?,
            // The published examples put ApplicationToken and Credentials here.
            _ => state.read_header_entry(&mut cursor, &child)?,
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

struct EnvelopeState<'a> {
    headers: SoapHeaders,
    http_action: Option<&'a str>,
    wsa_action: Option<String>,
    body_seen: bool,
    operation: Option<crate::operation::Operation>,
}

impl EnvelopeState<'_> {
    /// One header: `ApplicationToken`, `Credentials/Ticket` and WS-Addressing `Action`
    /// are read; everything else (`TimeZone` included) is passed over.
    fn read_header_entry(
        &mut self,
        cursor: &mut Cursor<'_>,
        entry: &Element,
    ) -> Result<(), ReadError> {
        if entry.is_tns("ApplicationToken") {
            self.headers.application_token = text_unless_nil(cursor, entry)?;
        } else if entry.is_tns("Credentials") {
            if entry.nil {
                return cursor.skip();
            }
            while let Some(field) = cursor.next_child(&entry.local)? {
                if field.is_tns("Ticket") {
                    self.headers.ticket = text_unless_nil(cursor, &field)?;
                } else {
                    cursor.skip()?;
                }
            }
        } else if entry.ns == Ns::Wsa && entry.local == "Action" {
            self.wsa_action = text_unless_nil(cursor, entry)?.map(|a| a.trim().to_owned());
        } else {
            cursor.skip()?;
        }
        Ok(())
    }

    /// The Body: its first element is the operation; anything after it is passed over.
    fn read_body(&mut self, cursor: &mut Cursor<'_>) -> Result<(), ReadError> {
        if self.body_seen {
            return Err(ReadError::Malformed(
                "the Envelope has two Body elements".into(),
            ));
        }
        self.body_seen = true;
        while let Some(element) = cursor.next_child("Body")? {
            if self.operation.is_some() {
                cursor.skip()?;
                continue;
            }
            let op = self.dispatch(&element)?;
            self.operation = Some(read_operation(op, cursor)?);
        }
        Ok(())
    }

    /// Which operation the call means: the action when one is given (and then the body
    /// element must agree), else the body element.
    fn dispatch(&self, element: &Element) -> Result<OperationName, ReadError> {
        let in_tns = matches!(element.ns, Ns::Tns | Ns::Unqualified);
        let by_element = in_tns
            .then(|| OperationName::from_name(&element.local))
            .flatten();
        let action = self.http_action.or(self
            .wsa_action
            .as_deref()
            .filter(|action| !action.is_empty()));
        match action {
            Some(action) => {
                let op = OperationName::from_action(action)
                    .ok_or_else(|| ReadError::UnknownAction(quote(action)))?;
                if by_element == Some(op) {
                    Ok(op)
                } else {
                    Err(ReadError::ActionMismatch {
                        action: op.as_str().to_owned(),
                        element: quote(&element.local),
                    })
                }
            }
            None => by_element.ok_or_else(|| ReadError::UnknownOperation(quote(&element.local))),
        }
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
