//! A bounded, namespace-aware walk over quick-xml's streaming `NsReader`.
//!
//! Everything hostile is refused here, once, for every caller: a DOCTYPE (so no
//! external entities and no entity expansion), entity references other than the five
//! predefined ones and character references, nesting deeper than [`Limits::max_depth`],
//! more than [`Limits::max_elements`] elements, and XML that ends early. No tree of the
//! document is ever built: callers pull one element at a time.

use std::borrow::Cow;

use quick_xml::NsReader;
use quick_xml::events::{BytesDecl, BytesRef, BytesStart, Event};
use quick_xml::name::ResolveResult;

use super::encoding::Encoding;
use super::wellformed::{check_attribute_value, check_name, check_text};
use super::{ARRAYS_NS, SOAP11_NS, SOAP12_NS, TNS, WSA10_NS, WSA2004_NS, XSI_NS};

/// Default deepest element nesting; Services86 requests need about 8 levels.
pub(crate) const DEFAULT_MAX_DEPTH: usize = 32;
/// Default most elements in one request.
pub(crate) const DEFAULT_MAX_ELEMENTS: usize = 100_000;
/// Default most items in one `ArrayOfint`.
pub(crate) const DEFAULT_MAX_ARRAY_ITEMS: usize = 100_000;
/// Longest piece of client input quoted back in an error.
const MAX_QUOTED_LEN: usize = 128;

/// Bounds on the shape of a request, checked while it streams by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest element nesting, the Envelope counting as 1.
    pub max_depth: usize,
    /// Most elements in one request.
    pub max_elements: usize,
    /// Most items in one `ArrayOfint` (`BatchTaskIds`, `AssociateIds`).
    pub max_array_items: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: DEFAULT_MAX_DEPTH,
            max_elements: DEFAULT_MAX_ELEMENTS,
            max_array_items: DEFAULT_MAX_ARRAY_ITEMS,
        }
    }
}

/// Why a request body is not a usable SOAP call. Each becomes a SOAP Fault
/// (see [`crate::fault`]); the messages name the offending element.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("the request body is not UTF-8 text")]
    NotUtf8,
    #[error("the request body is not UTF-16 text")]
    NotUtf16,
    #[error("the encoding '{0}' is not supported; send UTF-8 or UTF-16")]
    UnsupportedEncoding(String),
    #[error("the Content-Type says charset {declared} but the body is {found}")]
    EncodingMismatch {
        declared: &'static str,
        found: &'static str,
    },
    #[error("the XML declaration names the encoding '{declared}' but the body is {found}")]
    DeclarationMismatch {
        declared: String,
        found: &'static str,
    },
    #[error("the request is not well-formed XML: {0}")]
    Malformed(String),
    #[error("the XML ends before every element is closed")]
    Truncated,
    #[error("DOCTYPE declarations are not allowed")]
    DoctypeRefused,
    #[error("the entity reference '&{0};' is not allowed; only the predefined XML entities are")]
    UnknownEntity(String),
    #[error("the character reference '&{0};' is not a valid XML character")]
    InvalidCharRef(String),
    #[error("elements are nested deeper than {limit} levels")]
    TooDeep { limit: usize },
    #[error("the request holds more than {limit} elements")]
    TooManyElements { limit: usize },
    #[error("the root element {{{namespace}}}{local} is not a SOAP 1.1 or SOAP 1.2 Envelope")]
    NotAnEnvelope { namespace: String, local: String },
    #[error("the Envelope has no Body")]
    NoBody,
    #[error("the Body holds no operation element")]
    NoOperation,
    #[error("the action '{0}' is not an operation of Services86 Batch")]
    UnknownAction(String),
    #[error("the body element {0} is not an operation of Services86 Batch")]
    UnknownOperation(String),
    #[error(
        "the body element {element} is {}; Services86 operations are in the namespace {TNS}",
        describe_namespace(namespace)
    )]
    OperationNamespace { element: String, namespace: String },
    #[error("the action names {action} but the body holds {element}")]
    ActionMismatch { action: String, element: String },
    #[error("the header {element} is in no namespace; it must be in the namespace {TNS}")]
    UnqualifiedHeader { element: String },
    #[error("the request carries {0} twice")]
    DuplicateHeader(&'static str),
    #[error(
        "the Body holds {extra} after the operation {operation}; send one operation per request"
    )]
    ExtraBodyElement { operation: String, extra: String },
    #[error(
        "the header {{{namespace}}}{local} must be understood (mustUnderstand) and this service does not understand it"
    )]
    MustUnderstand { namespace: String, local: String },
    #[error("element {element}: '{value}' is not {expected}")]
    InvalidValue {
        element: String,
        value: String,
        expected: &'static str,
    },
    #[error("element {element} holds more than {limit} items")]
    TooManyItems { element: String, limit: usize },
    #[error("element {element} may not contain element {child}")]
    UnexpectedElement { element: String, child: String },
    #[error("element {element} may not contain text")]
    UnexpectedText { element: String },
}

/// How a message names a namespace URI (`""` is no namespace).
fn describe_namespace(namespace: &str) -> String {
    if namespace.is_empty() {
        "in no namespace".to_owned()
    } else {
        format!("in the namespace '{namespace}'")
    }
}

/// Client input quoted in an error, shortened so that a huge value is not echoed back.
pub(crate) fn quote(value: &str) -> String {
    match value.char_indices().nth(MAX_QUOTED_LEN) {
        Some((end, _)) => format!("{}...", &value[..end]),
        None => value.to_owned(),
    }
}

/// The `actor` (SOAP 1.1) and `role` (SOAP 1.2) values that address this node, the
/// ultimate receiver; no attribute at all means the same.
const ROLES_OF_THIS_NODE: [&str; 3] = [
    "http://schemas.xmlsoap.org/soap/actor/next",
    "http://www.w3.org/2003/05/soap-envelope/role/next",
    "http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver",
];

/// What a start tag's attributes say.
#[derive(Default)]
struct Attributes {
    nil: bool,
    must_understand: bool,
}

/// The namespaces this door tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ns {
    Soap11,
    Soap12,
    Tns,
    Arrays,
    Wsa,
    Unqualified,
    Other,
}

/// A start tag: its namespace, local name, whether it carries `xsi:nil="true"`, and
/// whether it is a header this node must understand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Element {
    pub(crate) ns: Ns,
    /// The namespace URI when it is none this door knows ([`Ns::Other`]), for messages.
    pub(crate) other_ns: Option<String>,
    pub(crate) local: String,
    pub(crate) nil: bool,
    /// `mustUnderstand` is `1`/`true` and no `actor`/`role` sends it to another node.
    pub(crate) must_understand: bool,
}

impl Element {
    /// Whether this is `local` in the Services86 namespace (exactly: WCF does not
    /// accept Services86 names in no namespace).
    pub(crate) fn is_tns(&self, local: &str) -> bool {
        self.ns == Ns::Tns && self.local == local
    }

    /// The namespace URI, `""` for none.
    pub(crate) fn namespace(&self) -> &str {
        match self.ns {
            Ns::Soap11 => SOAP11_NS,
            Ns::Soap12 => SOAP12_NS,
            Ns::Tns => TNS,
            Ns::Arrays => ARRAYS_NS,
            // Either version; the message only needs to say it is WS-Addressing.
            Ns::Wsa => WSA10_NS,
            Ns::Unqualified => "",
            Ns::Other => self.other_ns.as_deref().unwrap_or(""),
        }
    }
}

/// One step of the walk.
#[derive(Debug)]
pub(crate) enum Item<'i> {
    Start(Element),
    End,
    Text(Cow<'i, str>),
    Eof,
}

/// The bounded walk over one document.
pub(crate) struct Cursor<'i> {
    reader: NsReader<&'i [u8]>,
    limits: Limits,
    encoding: Encoding,
    depth: usize,
    elements: usize,
}

impl<'i> Cursor<'i> {
    pub(crate) fn new(xml: &'i str, limits: Limits) -> Self {
        let mut reader = NsReader::from_str(xml);
        let config = reader.config_mut();
        // `<a/>` arrives as Start + End, so callers handle one shape only.
        config.expand_empty_elements = true;
        config.check_end_names = true;
        Self {
            reader,
            limits,
            encoding: Encoding::Utf8,
            depth: 0,
            elements: 0,
        }
    }

    /// The same walk over text that was decoded from `encoding`, which an XML
    /// declaration must then agree with.
    pub(crate) fn decoded_from(mut self, encoding: Encoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// The limits this walk enforces.
    pub(crate) fn limits(&self) -> Limits {
        self.limits
    }

    /// The next start tag, end tag, piece of text or the end of the document.
    /// Comments, processing instructions and the XML declaration are passed over.
    pub(crate) fn next(&mut self) -> Result<Item<'i>, ReadError> {
        loop {
            let (resolved, event) = self
                .reader
                .read_resolved_event()
                .map_err(|error| ReadError::Malformed(error.to_string()))?;
            // quick-xml takes any run of characters as a name; a name XML does not
            // allow is reported as such, before its prefix is looked up.
            if let Event::Start(start) = &event {
                check_name(start.name().as_ref())?;
            }
            let ns = classify(&resolved)?;
            let other_ns = match (ns, &resolved) {
                (Ns::Other, ResolveResult::Bound(uri)) => Some(uri.as_ref().to_owned()),
                _ => None,
            };
            match event {
                Event::Start(start) => return self.start(ns, other_ns, &start),
                // Not produced with `expand_empty_elements`; refusing keeps the depth
                // bookkeeping exact if that ever changes.
                Event::Empty(_) => {
                    return Err(ReadError::Malformed("unexpected empty element".into()));
                }
                Event::End(_) => {
                    self.depth = self.depth.saturating_sub(1);
                    return Ok(Item::End);
                }
                Event::Text(text) => {
                    check_text(&text)?;
                    return Ok(Item::Text(text.xml10_content()));
                }
                Event::CData(data) => return Ok(Item::Text(data.xml10_content())),
                Event::GeneralRef(reference) => {
                    return resolve_reference(&reference)
                        .map(|c| Item::Text(Cow::Owned(c.to_string())));
                }
                Event::Decl(declaration) => self.check_declaration(&declaration)?,
                Event::Comment(_) | Event::PI(_) => {}
                Event::DocType(_) => return Err(ReadError::DoctypeRefused),
                Event::Eof if self.depth > 0 => return Err(ReadError::Truncated),
                Event::Eof => return Ok(Item::Eof),
            }
        }
    }

    /// An `encoding` in the XML declaration must name the encoding the body was
    /// decoded from (WCF refuses a document that contradicts itself).
    fn check_declaration(&self, declaration: &BytesDecl<'_>) -> Result<(), ReadError> {
        let Some(label) = declaration.encoding() else {
            return Ok(());
        };
        let label = label.map_err(|error| ReadError::Malformed(error.to_string()))?;
        if self.encoding.matches_declaration(&label)? {
            Ok(())
        } else {
            Err(ReadError::DeclarationMismatch {
                declared: quote(&label),
                found: self.encoding.name(),
            })
        }
    }

    fn start(
        &mut self,
        ns: Ns,
        other_ns: Option<String>,
        start: &BytesStart<'i>,
    ) -> Result<Item<'i>, ReadError> {
        self.depth += 1;
        self.elements += 1;
        if self.depth > self.limits.max_depth {
            return Err(ReadError::TooDeep {
                limit: self.limits.max_depth,
            });
        }
        if self.elements > self.limits.max_elements {
            return Err(ReadError::TooManyElements {
                limit: self.limits.max_elements,
            });
        }
        let local = start.local_name().as_ref().to_owned();
        let attributes = self.attributes(start)?;
        Ok(Item::Start(Element {
            ns,
            other_ns,
            local,
            nil: attributes.nil,
            must_understand: attributes.must_understand,
        }))
    }

    /// What the attributes of a start tag say. Reading every attribute also makes
    /// quick-xml check them (duplicates, quoting). `xsi:type` and the rest are ignored.
    fn attributes(&self, start: &BytesStart<'i>) -> Result<Attributes, ReadError> {
        let mut found = Attributes::default();
        let mut for_this_node = true;
        for attribute in start.attributes() {
            let attribute = attribute.map_err(|error| ReadError::Malformed(error.to_string()))?;
            check_name(attribute.key.as_ref())?;
            check_attribute_value(attribute.key.as_ref(), &attribute.value)?;
            let (ns, local) = self.reader.resolver().resolve_attribute(attribute.key);
            let ResolveResult::Bound(ns) = ns else {
                continue;
            };
            let (ns, local) = (ns.as_ref(), local.as_ref());
            let is_envelope = ns == SOAP11_NS || ns == SOAP12_NS;
            let wanted = match (ns, local) {
                (ns, "nil") if ns == XSI_NS => true,
                (_, "mustUnderstand" | "actor" | "role") => is_envelope,
                _ => false,
            };
            if !wanted {
                continue;
            }
            let value = attribute
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|error| ReadError::Malformed(error.to_string()))?;
            let value = value.trim();
            match local {
                "nil" => found.nil = matches!(value, "true" | "1"),
                "mustUnderstand" => found.must_understand = matches!(value, "true" | "1"),
                // SOAP 1.1 `actor`, SOAP 1.2 `role`: a header for another node is not
                // this one's to understand.
                _ => for_this_node = ROLES_OF_THIS_NODE.contains(&value),
            }
        }
        found.must_understand &= for_this_node;
        Ok(found)
    }

    /// The next child element of the current element, or `None` at its end tag.
    /// Whitespace between children is fine; other text is refused, so that content a
    /// client meant (say, comma-separated ids) is never silently dropped.
    pub(crate) fn next_child(&mut self, parent: &str) -> Result<Option<Element>, ReadError> {
        loop {
            match self.next()? {
                Item::Start(element) => return Ok(Some(element)),
                Item::End => return Ok(None),
                Item::Text(text) if is_xml_whitespace(&text) => {}
                Item::Text(_) => {
                    return Err(ReadError::UnexpectedText {
                        element: parent.to_owned(),
                    });
                }
                Item::Eof => return Err(ReadError::Truncated),
            }
        }
    }

    /// Passes over the rest of the current element, whatever it holds.
    pub(crate) fn skip(&mut self) -> Result<(), ReadError> {
        let mut open = 0usize;
        loop {
            match self.next()? {
                Item::Start(_) => open += 1,
                Item::End if open == 0 => return Ok(()),
                Item::End => open -= 1,
                Item::Text(_) => {}
                Item::Eof => return Err(ReadError::Truncated),
            }
        }
    }

    /// The text content of the current element, up to its end tag.
    pub(crate) fn text(&mut self, element: &Element) -> Result<String, ReadError> {
        let mut content = String::new();
        loop {
            match self.next()? {
                Item::Text(text) => content.push_str(&text),
                Item::End => return Ok(content),
                Item::Start(child) => {
                    return Err(ReadError::UnexpectedElement {
                        element: element.local.clone(),
                        child: child.local,
                    });
                }
                Item::Eof => return Err(ReadError::Truncated),
            }
        }
    }
}

fn classify(resolved: &ResolveResult<'_>) -> Result<Ns, ReadError> {
    Ok(match resolved {
        ResolveResult::Unbound => Ns::Unqualified,
        ResolveResult::Unknown(prefix) => {
            return Err(ReadError::Malformed(format!(
                "the prefix '{}' is not declared",
                quote(prefix)
            )));
        }
        ResolveResult::Bound(ns) => match ns.as_ref() {
            SOAP11_NS => Ns::Soap11,
            SOAP12_NS => Ns::Soap12,
            TNS => Ns::Tns,
            ARRAYS_NS => Ns::Arrays,
            WSA10_NS | WSA2004_NS => Ns::Wsa,
            _ => Ns::Other,
        },
    })
}

/// The five predefined entities and character references; anything else could only
/// come from a DTD, which is refused.
fn resolve_reference(reference: &BytesRef<'_>) -> Result<char, ReadError> {
    if reference.is_char_ref() {
        return match reference.resolve_char_ref() {
            Ok(Some(c)) if is_xml_char(c) => Ok(c),
            _ => Err(ReadError::InvalidCharRef(quote(reference))),
        };
    }
    match &**reference {
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "amp" => Ok('&'),
        "apos" => Ok('\''),
        "quot" => Ok('"'),
        other => Err(ReadError::UnknownEntity(quote(other))),
    }
}

/// XML 1.0 `Char`: what a document may hold.
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Whether `text` is only XML whitespace (space, tab, CR, LF).
pub(crate) fn is_xml_whitespace(text: &str) -> bool {
    text.bytes()
        .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(xml: &str) -> Result<usize, ReadError> {
        let mut cursor = Cursor::new(xml, Limits::default());
        let mut starts = 0;
        loop {
            match cursor.next()? {
                Item::Start(_) => starts += 1,
                Item::Eof => return Ok(starts),
                Item::End | Item::Text(_) => {}
            }
        }
    }

    #[test]
    fn predefined_and_char_refs_resolve() {
        let mut cursor = Cursor::new("<a>&lt;&#x41;&#66;&amp;</a>", Limits::default());
        let Item::Start(element) = cursor.next().unwrap() else {
            panic!("no start")
        };
        assert_eq!(cursor.text(&element).unwrap(), "<AB&");
    }

    #[test]
    fn doctype_and_custom_entities_are_refused() {
        let doctype = "<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>";
        assert_eq!(walk(doctype), Err(ReadError::DoctypeRefused));
        assert_eq!(
            walk("<a>&x;</a>"),
            Err(ReadError::UnknownEntity("x".into()))
        );
        assert!(matches!(
            walk("<a>&#0;</a>"),
            Err(ReadError::InvalidCharRef(_))
        ));
        assert!(matches!(
            walk("<a>&#1;</a>"),
            Err(ReadError::InvalidCharRef(_))
        ));
    }

    #[test]
    fn depth_and_count_are_bounded() {
        let deep = format!("{}{}", "<a>".repeat(40), "</a>".repeat(40));
        assert_eq!(walk(&deep), Err(ReadError::TooDeep { limit: 32 }));
        let many = format!("<a>{}</a>", "<b/>".repeat(DEFAULT_MAX_ELEMENTS));
        assert_eq!(
            walk(&many),
            Err(ReadError::TooManyElements {
                limit: DEFAULT_MAX_ELEMENTS
            })
        );
    }

    #[test]
    fn truncation_and_mismatch_are_malformed() {
        assert_eq!(walk("<a><b>"), Err(ReadError::Truncated));
        assert!(matches!(walk("<a></b>"), Err(ReadError::Malformed(_))));
        assert!(matches!(walk("<p:a/>"), Err(ReadError::Malformed(_))));
    }

    #[test]
    fn nil_is_read_from_the_xsi_namespace_only() {
        let xml = r#"<a xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns:o="urn:o"><b i:nil="true"/><c o:nil="true"/></a>"#;
        let mut cursor = Cursor::new(xml, Limits::default());
        let _root = cursor.next().unwrap();
        let b = cursor.next_child("a").unwrap().unwrap();
        assert!(b.nil);
        cursor.skip().unwrap();
        let c = cursor.next_child("a").unwrap().unwrap();
        assert!(!c.nil);
    }

    #[test]
    fn quotes_are_shortened() {
        assert_eq!(quote("abc"), "abc");
        assert_eq!(quote(&"x".repeat(300)).len(), MAX_QUOTED_LEN + 3);
    }
}
