//! The caller's secret (API key or ticket) as it is forwarded to the service.

use std::fmt;

/// Longest secret accepted at a door; real keys and tickets are far shorter.
const MAX_SECRET_LEN: usize = 512;

/// A secret that can be sent as `authorization: Bearer <secret>` metadata. Its `Debug`
/// never shows the value, so it cannot leak into logs.
#[derive(Clone, PartialEq, Eq)]
pub struct CallerSecret(String);

/// Why a presented secret cannot be forwarded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error("no credential was supplied")]
    Missing,
    #[error("the supplied credential is malformed")]
    Malformed,
}

impl CallerSecret {
    /// Accepts 1 to 512 visible ASCII characters (what fits a metadata value), exactly
    /// as given: a key with a space before or after it is another key, so it is
    /// malformed rather than quietly trimmed into a valid one. A door whose format
    /// allows layout around the value (XML) removes it before calling this.
    pub fn parse(raw: &str) -> Result<Self, CredentialError> {
        if raw.is_empty() {
            return Err(CredentialError::Missing);
        }
        if raw.len() > MAX_SECRET_LEN || !raw.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(CredentialError::Malformed);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The secret itself, for the `authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for CallerSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CallerSecret(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_keys_and_tickets() {
        assert_eq!(CallerSecret::parse("demo").unwrap().expose(), "demo");
        let ticket = CallerSecret::parse("7T:1234abcxyzExample==").unwrap();
        assert_eq!(ticket.expose(), "7T:1234abcxyzExample==");
    }

    #[test]
    fn secrets_are_taken_exactly_never_trimmed() {
        for padded in ["demo ", " demo", "demo\n", "\tdemo"] {
            assert_eq!(
                CallerSecret::parse(padded),
                Err(CredentialError::Malformed),
                "{padded:?}"
            );
        }
    }

    #[test]
    fn rejects_empty_long_and_unprintable() {
        assert_eq!(CallerSecret::parse(""), Err(CredentialError::Missing));
        assert_eq!(CallerSecret::parse("  "), Err(CredentialError::Malformed));
        assert_eq!(CallerSecret::parse("a b"), Err(CredentialError::Malformed));
        assert_eq!(CallerSecret::parse("é"), Err(CredentialError::Malformed));
        let long = "k".repeat(MAX_SECRET_LEN + 1);
        assert_eq!(CallerSecret::parse(&long), Err(CredentialError::Malformed));
    }

    #[test]
    fn debug_hides_the_secret() {
        let secret = CallerSecret::parse("hunter2").unwrap();
        assert!(!format!("{secret:?}").contains("hunter2"));
    }
}
