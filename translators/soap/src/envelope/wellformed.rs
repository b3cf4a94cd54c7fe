//! The rules of XML 1.0 well-formedness that quick-xml leaves to its caller: characters
//! outside `Char` anywhere in the document, `]]>` in text, `<` in an attribute value,
//! and element or attribute names that are not XML names. A document breaking any of
//! them is not XML, so it gets a Fault, never an in-band answer.

use super::ReadError;
use super::cursor::{is_xml_char, quote};

/// Every character of the document is an XML `Char` (no NUL, no C0 control other than
/// tab, CR and LF, no U+FFFE or U+FFFF).
pub(crate) fn check_characters(text: &str) -> Result<(), ReadError> {
    // Only a control byte or the lead byte of U+FFFx can start a forbidden character
    // in UTF-8; most documents hold neither and are passed with one byte scan.
    let suspicious = text
        .bytes()
        .any(|b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0xEF);
    if !suspicious {
        return Ok(());
    }
    match text.char_indices().find(|(_, c)| !is_xml_char(*c)) {
        None => Ok(()),
        Some((offset, c)) => Err(ReadError::Malformed(format!(
            "the character U+{:04X} (character {} of the document) is not allowed in XML",
            u32::from(c),
            text[..offset].chars().count() + 1
        ))),
    }
}

/// Text content may not hold `]]>` (XML 1.0 §2.4): it could only be a CDATA end
/// without its start.
pub(crate) fn check_text(raw: &str) -> Result<(), ReadError> {
    if raw.contains("]]>") {
        return Err(ReadError::Malformed(
            "text may not contain ']]>' outside a CDATA section".into(),
        ));
    }
    Ok(())
}

/// An attribute value may not hold a literal `<` (XML 1.0 §3.1, `AttValue`).
pub(crate) fn check_attribute_value(name: &str, raw: &str) -> Result<(), ReadError> {
    if raw.contains('<') {
        return Err(ReadError::Malformed(format!(
            "the value of attribute '{}' holds '<', which XML does not allow there",
            quote(name)
        )));
    }
    Ok(())
}

/// `name` is a qualified XML name: an NCName, or two joined by one colon.
pub(crate) fn check_name(name: &str) -> Result<(), ReadError> {
    // Every start tag and attribute passes here: the ASCII names of real envelopes are
    // decided with one byte scan, anything else by the full rules.
    if is_ascii_qname(name.as_bytes()) || is_qname(name) {
        Ok(())
    } else {
        Err(ReadError::Malformed(format!(
            "'{}' is not an XML name",
            quote(name)
        )))
    }
}

/// Namespaces in XML 1.0 `QName`: an `NCName`, or two joined by one colon.
fn is_qname(name: &str) -> bool {
    let mut parts = name.split(':');
    parts.next().is_some_and(is_ncname)
        && parts.next().is_none_or(is_ncname)
        && parts.next().is_none()
}

/// Whether `name` is an ASCII qualified name: one or two ASCII `NCName`s joined by a
/// colon. `false` says only that the full rules must decide.
fn is_ascii_qname(name: &[u8]) -> bool {
    // Whether the next byte starts a part (no byte yet, or one right after the colon).
    let mut part_starts = true;
    let mut colon_seen = false;
    for &byte in name {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'_' => part_starts = false,
            b'0'..=b'9' | b'-' | b'.' if !part_starts => {}
            b':' if !part_starts && !colon_seen => {
                colon_seen = true;
                part_starts = true;
            }
            _ => return false,
        }
    }
    !part_starts
}

/// An XML name without colons (Namespaces in XML 1.0, `NCName`).
fn is_ncname(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(is_name_start_char) && chars.all(is_name_char)
}

/// XML 1.0 (fifth edition) `NameStartChar`, without the colon.
fn is_name_start_char(c: char) -> bool {
    matches!(c,
        'A'..='Z' | '_' | 'a'..='z'
        | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}'
        | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

/// XML 1.0 (fifth edition) `NameChar`, without the colon.
fn is_name_char(c: char) -> bool {
    is_name_start_char(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_non_characters_are_refused() {
        assert!(check_characters("<a>\tok\r\n\u{263A}\u{FFFD}</a>").is_ok());
        let error = check_characters("<a>x\u{0}</a>").unwrap_err();
        assert_eq!(
            error.to_string(),
            "the request is not well-formed XML: the character U+0000 (character 5 of the document) is not allowed in XML"
        );
        assert!(check_characters("<a>\u{1B}</a>").is_err());
        assert!(check_characters("<a>\u{FFFF}</a>").is_err());
    }

    #[test]
    fn cdata_ends_in_text_and_lt_in_attributes_are_refused() {
        assert!(check_text("a ] ]> b]]").is_ok());
        assert!(check_text("a ]]> b").is_err());
        assert!(check_attribute_value("x", "a&lt;b").is_ok());
        assert!(check_attribute_value("x", "a<b").is_err());
    }

    #[test]
    fn names_are_qualified_xml_names() {
        for name in ["a", "s:Envelope", "_x.y-z", "\u{E9}t\u{E9}", "a1"] {
            assert!(check_name(name).is_ok(), "{name}");
        }
        for name in [
            ":DeleteBatchTasks",
            "a:",
            "a:b:c",
            "1a",
            "a/b",
            "a=1",
            "",
            "-a",
        ] {
            assert!(check_name(name).is_err(), "{name}");
        }
    }

    #[test]
    fn the_ascii_scan_never_passes_a_name_the_full_rules_refuse() {
        // Every name of up to three bytes from a set that exercises each rule.
        let bytes = [b'a', b'Z', b'_', b'1', b'-', b'.', b':', b'/', b' ', 0xC3];
        let mut names: Vec<Vec<u8>> = vec![Vec::new()];
        let mut longest = names.clone();
        for _ in 0..3 {
            longest = longest
                .iter()
                .flat_map(|name| {
                    bytes.iter().map(move |&b| {
                        let mut longer = name.clone();
                        longer.push(b);
                        longer
                    })
                })
                .collect();
            names.extend(longest.iter().cloned());
        }
        let mut passed = 0;
        for name in &names {
            if is_ascii_qname(name) {
                passed += 1;
                let name = std::str::from_utf8(name).unwrap();
                assert!(is_qname(name), "{name:?} passed the scan only");
            }
        }
        assert!(passed > 100, "the scan passed only {passed} names");
        for name in ["s:Envelope", "DeleteBatchTasks", "xmlns:i", "_x.y-z"] {
            assert!(is_ascii_qname(name.as_bytes()), "{name}");
        }
    }
}
