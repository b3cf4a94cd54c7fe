//! Identifiers chosen by the service: always positive 64-bit integers.

use std::fmt;

/// Why a number is not an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be a positive integer")]
pub struct NotAnId;

macro_rules! positive_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(i64);

        impl $name {
            /// Accepts 1 and above.
            pub fn new(raw: i64) -> Result<Self, NotAnId> {
                if raw > 0 { Ok(Self(raw)) } else { Err(NotAnId) }
            }

            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

positive_id!(
    /// The id of a batch.
    BatchId
);
positive_id!(
    /// The id of an item inside a batch.
    ItemId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_positive_numbers_are_ids() {
        assert_eq!(BatchId::new(1).unwrap().get(), 1);
        assert_eq!(BatchId::new(i64::MAX).unwrap().get(), i64::MAX);
        assert_eq!(BatchId::new(0), Err(NotAnId));
        assert_eq!(ItemId::new(-5), Err(NotAnId));
    }
}
