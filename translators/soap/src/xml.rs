//! A thin layer over quick-xml's `Writer` for the few shapes this door writes: start
//! and end tags, and elements holding only text. Every text and attribute value goes
//! through quick-xml's escaping, and characters XML cannot carry at all (most control
//! characters) are replaced, so nothing a batch holds can break the document.

use std::borrow::Cow;
use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use crate::envelope::cursor::is_xml_char;

/// A document being written into memory.
pub(crate) struct XmlWriter {
    writer: Writer<Vec<u8>>,
}

/// Replaces characters that XML 1.0 cannot represent, even escaped, with U+FFFD.
pub(crate) fn xml_safe(text: &str) -> Cow<'_, str> {
    // Printable ASCII, tab, CR and LF are all `Char`s; most text is nothing else, and a
    // byte scan passes it without decoding characters.
    let plain = |b: u8| (0x20..0x7F).contains(&b) || matches!(b, b'\t' | b'\n' | b'\r');
    if text.bytes().all(plain) || text.chars().all(is_xml_char) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(
            text.chars()
                .map(|c| if is_xml_char(c) { c } else { '\u{FFFD}' })
                .collect(),
        )
    }
}

impl XmlWriter {
    /// A document starting with `<?xml version="1.0" encoding="utf-8"?>`.
    pub(crate) fn new(capacity: usize) -> io::Result<Self> {
        let mut writer = Writer::new(Vec::with_capacity(capacity));
        writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
        Ok(Self { writer })
    }

    /// `<name attr="value" ...>`.
    pub(crate) fn start(&mut self, name: &str, attributes: &[(&str, &str)]) -> io::Result<()> {
        let mut start = BytesStart::new(name);
        for (key, value) in attributes {
            start.push_attribute((*key, xml_safe(value).as_ref()));
        }
        self.writer.write_event(Event::Start(start))
    }

    /// `</name>`.
    pub(crate) fn end(&mut self, name: &str) -> io::Result<()> {
        self.writer.write_event(Event::End(BytesEnd::new(name)))
    }

    /// `<name attr="value" .../>`.
    pub(crate) fn empty(&mut self, name: &str, attributes: &[(&str, &str)]) -> io::Result<()> {
        let mut start = BytesStart::new(name);
        for (key, value) in attributes {
            start.push_attribute((*key, xml_safe(value).as_ref()));
        }
        self.writer.write_event(Event::Empty(start))
    }

    /// `<name>text</name>`, text escaped.
    pub(crate) fn text_element(&mut self, name: &str, text: &str) -> io::Result<()> {
        self.element(name, &[], text)
    }

    /// `<name attr="value" ...>text</name>`, text and values escaped.
    pub(crate) fn element(
        &mut self,
        name: &str,
        attributes: &[(&str, &str)],
        text: &str,
    ) -> io::Result<()> {
        self.start(name, attributes)?;
        // `<`, `>` and `&` are all text needs; quotes stay readable.
        let escaped = quick_xml::escape::partial_escape(xml_safe(text));
        self.writer
            .write_event(Event::Text(BytesText::from_escaped(escaped)))?;
        self.end(name)
    }

    /// The finished document.
    pub(crate) fn finish(self) -> Vec<u8> {
        self.writer.into_inner()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_attributes_are_escaped_and_cleaned() {
        let mut xml = XmlWriter::new(64).unwrap();
        xml.start("a", &[("k", "\"<&>")]).unwrap();
        xml.text_element("b", "</b><script>&\u{1}").unwrap();
        xml.end("a").unwrap();
        let out = String::from_utf8(xml.finish()).unwrap();
        assert_eq!(
            out,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><a k=\"&quot;&lt;&amp;&gt;\"><b>&lt;/b&gt;&lt;script&gt;&amp;\u{FFFD}</b></a>"
        );
    }

    #[test]
    fn only_characters_xml_cannot_hold_are_replaced() {
        assert!(matches!(xml_safe("plain\ttext\r\n"), Cow::Borrowed(_)));
        assert!(matches!(xml_safe("Ærø 日本 \u{1F600}"), Cow::Borrowed(_)));
        assert_eq!(xml_safe("a\u{0}b\u{7F}c"), "a\u{FFFD}b\u{7F}c");
        assert_eq!(xml_safe("Ærø\u{FFFE}\u{B}"), "Ærø\u{FFFD}\u{FFFD}");
    }
}
