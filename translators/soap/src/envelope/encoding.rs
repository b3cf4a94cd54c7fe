//! The bytes of a request body as text. XML 1.0 requires every parser to read UTF-8 and
//! UTF-16, and WCF (the server Services86 clients were written for) accepts both, so
//! this door decodes UTF-16 little- and big-endian as well as UTF-8. Every other
//! encoding is refused with HTTP 415, whether the `Content-Type` charset, a byte order
//! mark or the XML declaration names it.

use std::borrow::Cow;

use super::ReadError;

/// The charset a `Content-Type` declares, when this door can read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Charset {
    /// No `charset` parameter: a byte order mark decides, else UTF-8.
    #[default]
    Unspecified,
    /// `utf-8` (or `us-ascii`, a subset).
    Utf8,
    /// `utf-16`: a byte order mark decides the byte order, else the first character.
    Utf16,
    /// `utf-16le`.
    Utf16Le,
    /// `utf-16be`.
    Utf16Be,
}

impl Charset {
    /// The charset a `charset` parameter names (any case), or `None` for one this door
    /// does not read.
    pub fn from_label(label: &str) -> Option<Self> {
        let label = label.trim().to_ascii_lowercase();
        Some(match label.as_str() {
            "utf-8" | "utf8" | "us-ascii" => Self::Utf8,
            "utf-16" | "utf16" => Self::Utf16,
            "utf-16le" => Self::Utf16Le,
            "utf-16be" => Self::Utf16Be,
            _ => return None,
        })
    }

    /// The name used in messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Unspecified => "none",
            Self::Utf8 => "UTF-8",
            Self::Utf16 => "UTF-16",
            Self::Utf16Le => "UTF-16LE",
            Self::Utf16Be => "UTF-16BE",
        }
    }
}

/// The encoding a body was decoded from; its XML declaration must agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Utf8,
    Utf16Le,
    Utf16Be,
}

impl Encoding {
    /// Whether an XML declaration's `encoding="label"` may describe a document in this
    /// encoding. `Ok(false)` is a contradiction; an encoding this door cannot read at
    /// all is refused as unsupported.
    pub(crate) fn matches_declaration(self, label: &str) -> Result<bool, ReadError> {
        let declared = Charset::from_label(label)
            .ok_or_else(|| ReadError::UnsupportedEncoding(super::cursor::quote(label)))?;
        Ok(match self {
            Self::Utf8 => declared == Charset::Utf8,
            // A UTF-16 document declares "UTF-16"; the byte order is the BOM's business.
            Self::Utf16Le => matches!(declared, Charset::Utf16 | Charset::Utf16Le),
            Self::Utf16Be => matches!(declared, Charset::Utf16 | Charset::Utf16Be),
        })
    }

    /// The name used in messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Utf8 => "UTF-8",
            Self::Utf16Le => "UTF-16LE",
            Self::Utf16Be => "UTF-16BE",
        }
    }
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
const UTF16LE_BOM: &[u8] = b"\xFF\xFE";
const UTF16BE_BOM: &[u8] = b"\xFE\xFF";
const UTF32LE_BOM: &[u8] = b"\xFF\xFE\x00\x00";
const UTF32BE_BOM: &[u8] = b"\x00\x00\xFE\xFF";

/// Decodes `body` as the byte order mark, else the declared charset, says. The text
/// comes back without its byte order mark; a second one (or any other content before
/// the root element) is left for the XML reader to refuse.
pub(crate) fn decode(
    body: &[u8],
    declared: Charset,
) -> Result<(Cow<'_, str>, Encoding), ReadError> {
    if body.starts_with(UTF32LE_BOM) || body.starts_with(UTF32BE_BOM) {
        return Err(ReadError::UnsupportedEncoding("UTF-32".into()));
    }
    let (encoding, rest) = if let Some(rest) = body.strip_prefix(UTF8_BOM) {
        (Encoding::Utf8, rest)
    } else if let Some(rest) = body.strip_prefix(UTF16LE_BOM) {
        (Encoding::Utf16Le, rest)
    } else if let Some(rest) = body.strip_prefix(UTF16BE_BOM) {
        (Encoding::Utf16Be, rest)
    } else {
        let encoding = match declared {
            Charset::Unspecified | Charset::Utf8 => Encoding::Utf8,
            Charset::Utf16Le => Encoding::Utf16Le,
            Charset::Utf16Be => Encoding::Utf16Be,
            Charset::Utf16 => utf16_order_by_first_character(body),
        };
        (encoding, body)
    };
    let agrees = matches!(
        (declared, encoding),
        (Charset::Unspecified, _)
            | (Charset::Utf8, Encoding::Utf8)
            | (Charset::Utf16, Encoding::Utf16Le | Encoding::Utf16Be)
            | (Charset::Utf16Le, Encoding::Utf16Le)
            | (Charset::Utf16Be, Encoding::Utf16Be)
    );
    if !agrees {
        return Err(ReadError::EncodingMismatch {
            declared: declared.name(),
            found: encoding.name(),
        });
    }
    let text = match encoding {
        Encoding::Utf8 => Cow::Borrowed(std::str::from_utf8(rest).map_err(|_| {
            // A body in another encoding is refused as that encoding (415), the same
            // whether or not its non-ASCII characters happen to break UTF-8.
            match declaration_encoding(rest) {
                Some(label) if Charset::from_label(&label).is_none() => {
                    ReadError::UnsupportedEncoding(super::cursor::quote(&label))
                }
                _ => ReadError::NotUtf8,
            }
        })?),
        Encoding::Utf16Le => Cow::Owned(utf16(rest, u16::from_le_bytes)?),
        Encoding::Utf16Be => Cow::Owned(utf16(rest, u16::from_be_bytes)?),
    };
    Ok((text, encoding))
}

/// The `encoding` of an XML declaration at the start of `body`, read from the bytes
/// (the declaration is ASCII in every encoding this is asked about).
fn declaration_encoding(body: &[u8]) -> Option<String> {
    let declaration = body.strip_prefix(b"<?xml")?;
    let end = declaration.windows(2).position(|pair| pair == b"?>")?;
    let declaration = std::str::from_utf8(&declaration[..end]).ok()?;
    let (_, after) = declaration.split_once("encoding")?;
    let value = after.trim_start().strip_prefix('=')?.trim_start();
    let quote = value.chars().next().filter(|c| matches!(c, '"' | '\''))?;
    let (label, _) = value[1..].split_once(quote)?;
    Some(label.to_owned())
}

/// Without a byte order mark, UTF-16 XML starts with `<` or whitespace, an ASCII
/// character whose zero byte shows the order (XML 1.0 appendix F). Little-endian is
/// what Windows clients write, so it is the guess when nothing shows.
fn utf16_order_by_first_character(body: &[u8]) -> Encoding {
    match body {
        [0, second, ..] if *second != 0 => Encoding::Utf16Be,
        _ => Encoding::Utf16Le,
    }
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, ReadError> {
    let (pairs, odd) = bytes.as_chunks::<2>();
    if !odd.is_empty() {
        return Err(ReadError::NotUtf16);
    }
    char::decode_utf16(pairs.iter().map(|pair| unit(*pair)))
        .collect::<Result<String, _>>()
        .map_err(|_| ReadError::NotUtf16)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(text: &str) -> Vec<u8> {
        text.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    fn utf16be(text: &str) -> Vec<u8> {
        text.encode_utf16().flat_map(u16::to_be_bytes).collect()
    }

    fn decoded(body: &[u8], declared: Charset) -> Result<(String, Encoding), ReadError> {
        decode(body, declared).map(|(text, encoding)| (text.into_owned(), encoding))
    }

    #[test]
    fn utf16_with_a_byte_order_mark_decodes_in_either_order() {
        let mut le = b"\xFF\xFE".to_vec();
        le.extend(utf16le("<a>\u{263A}</a>"));
        assert_eq!(
            decoded(&le, Charset::Unspecified).unwrap(),
            ("<a>\u{263A}</a>".into(), Encoding::Utf16Le)
        );
        let mut be = b"\xFE\xFF".to_vec();
        be.extend(utf16be("<a/>"));
        assert_eq!(
            decoded(&be, Charset::Utf16).unwrap(),
            ("<a/>".into(), Encoding::Utf16Be)
        );
    }

    #[test]
    fn utf16_without_a_byte_order_mark_needs_the_charset() {
        assert_eq!(
            decoded(&utf16le("<a/>"), Charset::Utf16).unwrap().1,
            Encoding::Utf16Le
        );
        assert_eq!(
            decoded(&utf16be(" <a/>"), Charset::Utf16).unwrap().1,
            Encoding::Utf16Be
        );
        assert_eq!(
            decoded(&utf16be("<a/>"), Charset::Utf16Be).unwrap().0,
            "<a/>"
        );
    }

    #[test]
    fn broken_and_foreign_encodings_are_refused() {
        assert_eq!(
            decoded(b"\xFF\xFE<\x00a", Charset::Utf16),
            Err(ReadError::NotUtf16)
        );
        // An unpaired surrogate.
        assert_eq!(
            decoded(b"\xFF\xFE\x00\xD8", Charset::Unspecified),
            Err(ReadError::NotUtf16)
        );
        assert_eq!(
            decoded(b"\xFF\xFE\x00\x00<\x00\x00\x00", Charset::Unspecified),
            Err(ReadError::UnsupportedEncoding("UTF-32".into()))
        );
        assert!(matches!(
            decoded(b"\xFF\xFE<\x00", Charset::Utf8),
            Err(ReadError::EncodingMismatch { .. })
        ));
        assert!(Charset::from_label("iso-8859-1").is_none());
        assert_eq!(Charset::from_label("UTF-16"), Some(Charset::Utf16));
    }

    #[test]
    fn a_body_in_a_declared_foreign_encoding_is_unsupported() {
        let latin1 = b"<?xml version='1.0' encoding = 'ISO-8859-1'?><a>caf\xE9</a>";
        assert_eq!(
            decoded(latin1, Charset::Unspecified),
            Err(ReadError::UnsupportedEncoding("ISO-8859-1".into()))
        );
        assert_eq!(
            decoded(b"<?xml version='1.0'?><a>\xE9</a>", Charset::Unspecified),
            Err(ReadError::NotUtf8)
        );
    }

    #[test]
    fn a_second_byte_order_mark_is_kept_for_the_reader_to_refuse() {
        let (text, _) = decoded(b"\xEF\xBB\xBF\xEF\xBB\xBF<a/>", Charset::Utf8).unwrap();
        assert!(text.starts_with('\u{FEFF}'));
    }
}
