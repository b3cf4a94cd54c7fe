//! Secrets (API keys, tickets, application tokens) are only ever stored and compared as
//! SHA-256 digests. They are random and long when issued by the service, so a fast hash
//! is enough; a slow password hash would put seconds of CPU on every request.

use rand::Rng;
use sha2::{Digest, Sha256};

/// The SHA-256 of a secret, as kept in `credentials.secret_hash`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SecretHash([u8; 32]);

impl SecretHash {
    pub fn of(secret: &str) -> Self {
        Self(Sha256::digest(secret.as_bytes()).into())
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// A new random secret for the admin commands to print once: 32 random bytes,
    /// URL-safe base64, with a prefix telling what it is (`sk_` API key, `7T:` ticket,
    /// `at_` application token).
    pub fn generate_secret(prefix: &str) -> String {
        use base64::Engine as _;
        let bytes: [u8; 32] = rand::rng().random();
        format!(
            "{prefix}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        )
    }
}

impl std::fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretHash({})", hex::encode(&self.0[..4]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_secret_same_hash() {
        assert_eq!(SecretHash::of("demo"), SecretHash::of("demo"));
        assert_ne!(SecretHash::of("demo"), SecretHash::of("Demo"));
    }

    #[test]
    fn generated_secrets_differ_and_carry_their_prefix() {
        let a = SecretHash::generate_secret("sk_");
        let b = SecretHash::generate_secret("sk_");
        assert_ne!(a, b);
        assert!(a.starts_with("sk_") && a.len() > 40);
    }
}
