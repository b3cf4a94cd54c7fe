//! Caller-supplied text that carries its bound: at most `MAX` bytes, and storable by
//! PostgreSQL (text columns and JSON cannot hold NUL). Built only by [`BoundedText::new`].

use std::fmt;

/// Why a text is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("must be at most {max} bytes")]
    TooLong { max: usize },
    #[error("must not contain NUL characters")]
    Nul,
}

/// Text of at most `MAX` bytes without NUL characters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BoundedText<const MAX: usize>(String);

/// A short identifier or name part: worker names, custom ids, filters.
pub type ShortText = BoundedText<{ super::TextLimits::SHORT_TEXT }>;
/// Free text: progress descriptions, results.
pub type LongText = BoundedText<{ super::TextLimits::LONG_TEXT }>;

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
            Ok(Self(text))
        } else {
            Err(problems)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl<const MAX: usize> fmt::Display for BoundedText<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
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
}
