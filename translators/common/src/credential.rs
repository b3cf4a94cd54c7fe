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
    /// Accepts 1 to 512 visible ASCII characters (what fits a metadata value);
    /// surrounding whitespace is trimmed, as clients often leave a newline behind.
    pub fn parse(raw: &str) -> Result<Self, CredentialError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(CredentialError::Missing);
        }
        if trimmed.len() > MAX_SECRET_LEN || !trimmed.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(CredentialError::Malformed);
        }
        Ok(Self(trimmed.to_owned()))
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
        let ticket = CallerSecret::parse(" 7T:1234abcxyzExample==\n").unwrap();
        assert_eq!(ticket.expose(), "7T:1234abcxyzExample==");
    }

    #[test]
    fn rejects_empty_long_and_unprintable() {
        assert_eq!(CallerSecret::parse("  "), Err(CredentialError::Missing));
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
