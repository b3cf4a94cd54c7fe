//! Caller-supplied text that carries its bound: at most `MAX` bytes, and storable by
//! PostgreSQL (text columns and JSON cannot hold NUL). Built by [`BoundedText::new`],
//! read back from JSON columns through the same check, and written as a literal with
//! [`bounded_text!`](crate::bounded_text), which checks it when the crate compiles.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a text is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("must be at most {max} bytes")]
    TooLong { max: usize },
    /// For text that must not be empty either: one message for both ends.
    #[error("must be {min} to {max} bytes")]
    OutOfRange { min: usize, max: usize },
    #[error("must not contain NUL characters")]
    Nul,
}

/// Text of at most `MAX` bytes without NUL characters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BoundedText<const MAX: usize>(Cow<'static, str>);

/// A short identifier or name part: worker names, custom ids, filters, e-mail
/// addresses, schedule minutes, parameter keys.
pub type ShortText = BoundedText<{ super::TextLimits::SHORT_TEXT }>;
/// Free text: descriptions, requests, responses, progress descriptions, results.
pub type LongText = BoundedText<{ super::TextLimits::LONG_TEXT }>;
/// A batch's name, and the name a list is filtered by.
pub type NameText = BoundedText<{ super::TextLimits::NAME }>;

impl<const MAX: usize> BoundedText<MAX> {
    /// Every problem of `text` (both may apply), or the text.
    pub fn new(text: String) -> Result<Self, Vec<TextError>> {
        let mut problems = Vec::new();
        if text.len() > MAX {
            problems.push(TextError::TooLong { max: MAX });
        }
        if text.contains('\0') {
            problems.push(TextError::Nul);
        }
        if problems.is_empty() {
            Ok(Self(Cow::Owned(text)))
        } else {
            Err(problems)
        }
    }

    /// A literal, for [`bounded_text!`](crate::bounded_text), which evaluates this in a
    /// `const` block so that a literal out of bounds fails the build.
    #[doc(hidden)]
    pub const fn literal(text: &'static str) -> Self {
        assert!(text.len() <= MAX, "the literal is longer than its bound");
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            assert!(bytes[i] != 0, "the literal contains a NUL character");
            i += 1;
        }
        Self(Cow::Borrowed(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_string(self) -> String {
        self.0.into_owned()
    }
}

/// A [`BoundedText`] literal whose bound is checked at compile time:
/// `name: bounded_text!("Nightly Export")`.
#[macro_export]
macro_rules! bounded_text {
    ($text:literal) => {
        const { $crate::domain::BoundedText::literal($text) }
    };
}

impl<const MAX: usize> fmt::Display for BoundedText<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<const MAX: usize> Serialize for BoundedText<MAX> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Reading a JSON column checks the bound again: only the service writes these
/// columns, so text out of bounds means drift, and the read fails instead of letting
/// unchecked text in.
impl<'de, const MAX: usize> Deserialize<'de> for BoundedText<MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::new(text).map_err(|problems| {
            let problems: Vec<String> = problems.iter().map(ToString::to_string).collect();
            serde::de::Error::custom(format!("text {}", problems.join(" and ")))
        })
    }
}

/// Text of 1 to `MAX` bytes without NUL characters: one entry of a list, where an
/// empty entry would mean nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NonEmptyText<const MAX: usize>(BoundedText<MAX>);

impl<const MAX: usize> NonEmptyText<MAX> {
    /// Every problem of `text`, or the text; empty and too long are one problem.
    pub fn new(text: String) -> Result<Self, Vec<TextError>> {
        let empty = text.is_empty();
        let length = TextError::OutOfRange { min: 1, max: MAX };
        match BoundedText::new(text) {
            Ok(_) if empty => Err(vec![length]),
            Ok(text) => Ok(Self(text)),
            Err(problems) => Err(problems
                .into_iter()
                .map(|problem| match problem {
                    TextError::TooLong { .. } => length,
                    other => other,
                })
                .collect()),
        }
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn into_string(self) -> String {
        self.0.into_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_bounded_and_storable() {
        assert_eq!(BoundedText::<3>::new("abc".into()).unwrap().as_str(), "abc");
        assert_eq!(
            BoundedText::<3>::new("ab\0c".into()),
            Err(vec![TextError::TooLong { max: 3 }, TextError::Nul])
        );
    }

    #[test]
    fn non_empty_text_reports_its_length_as_one_range() {
        assert_eq!(
            NonEmptyText::<3>::new("abc".into()).unwrap().as_str(),
            "abc"
        );
        let range = TextError::OutOfRange { min: 1, max: 3 };
        assert_eq!(NonEmptyText::<3>::new(String::new()), Err(vec![range]));
        assert_eq!(
            NonEmptyText::<3>::new("ab\0c".into()),
            Err(vec![range, TextError::Nul])
        );
        assert_eq!(range.to_string(), "must be 1 to 3 bytes");
    }

    #[test]
    fn json_is_checked_on_the_way_in() {
        let text: BoundedText<3> = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(serde_json::to_string(&text).unwrap(), "\"abc\"");
        assert!(serde_json::from_str::<BoundedText<3>>("\"abcd\"").is_err());
        assert!(serde_json::from_str::<BoundedText<3>>("\"a\\u0000\"").is_err());
    }

    #[test]
    fn literals_are_checked_when_compiled() {
        let text: BoundedText<3> = crate::bounded_text!("abc");
        assert_eq!(text, BoundedText::new("abc".into()).unwrap());
    }
}
