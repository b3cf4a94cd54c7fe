//! Ids and page numbers from the URL, parsed once at the edge.
//!
//! The service's ids are positive `i64`s; SerpWow shows them as strings. A path segment
//! that is not such a number is not an error of the caller's syntax but simply an id
//! that does not exist, so parsing yields `None` and the handler answers 404 with the
//! segment as it was written.

use std::fmt;

/// Longest decimal form of a positive `i64` (`9223372036854775807`).
const MAX_ID_DIGITS: usize = 19;

/// Parses a positive `i64` written as plain ASCII digits (no sign, no spaces).
fn parse_positive(raw: &str) -> Option<i64> {
    if raw.is_empty() || raw.len() > MAX_ID_DIGITS || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse::<i64>().ok().filter(|id| *id > 0)
}

/// The id of a batch: a positive `i64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BatchId(i64);

impl BatchId {
    /// `None` when `raw` is not a positive decimal `i64`: such a batch cannot exist.
    pub(crate) fn parse(raw: &str) -> Option<Self> {
        parse_positive(raw).map(Self)
    }

    /// The id as the service knows it.
    pub(crate) fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for BatchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The id of a search (a batch item in the service): a positive `i64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SearchId(i64);

impl SearchId {
    /// `None` when `raw` is not a positive decimal `i64`: such a search cannot exist.
    pub(crate) fn parse(raw: &str) -> Option<Self> {
        parse_positive(raw).map(Self)
    }

    /// The id as the service knows it.
    pub(crate) fn get(self) -> i64 {
        self.0
    }
}

/// A 1-based page number, as SerpWow's `page` parameter and `/searches/{page}` carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PageNumber(u32);

impl PageNumber {
    /// The first page, SerpWow's default.
    pub(crate) const FIRST: Self = Self(1);

    /// Accepts `1` and up; `None` for anything else.
    pub(crate) fn parse(raw: &str) -> Option<Self> {
        raw.trim().parse::<u32>().ok().filter(|n| *n >= 1).map(Self)
    }

    /// The page number itself.
    pub(crate) fn get(self) -> u32 {
        self.0
    }

    /// How many results come before this page (AIP-158 `skip`). Pages beyond what an
    /// `i32` can skip are certainly empty, so the value saturates instead of failing.
    pub(crate) fn skip(self, page_size: u32) -> i32 {
        let skip = u64::from(self.0 - 1) * u64::from(page_size);
        i32::try_from(skip).unwrap_or(i32::MAX)
    }
}

/// Number of pages needed for `total` items, `page_size` per page (`ceil`).
pub(crate) fn page_count(total: i64, page_size: u32) -> i64 {
    let total = total.max(0);
    let size = i64::from(page_size.max(1));
    total.div_euclid(size) + i64::from(total.rem_euclid(size) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_ids_are_positive_decimal_i64() {
        assert_eq!(BatchId::parse("123456").map(BatchId::get), Some(123_456));
        assert_eq!(
            BatchId::parse("9223372036854775807").map(BatchId::get),
            Some(i64::MAX)
        );
        for missing in [
            "",
            "0",
            "-1",
            "+5",
            " 5",
            "12a",
            "abc",
            "stopall",
            "1.0",
            "9223372036854775808",
            "99999999999999999999",
            "١٢",
            "0x10",
        ] {
            assert_eq!(BatchId::parse(missing), None, "{missing:?}");
        }
    }

    #[test]
    fn search_ids_follow_the_same_rule() {
        assert_eq!(SearchId::parse("7").map(SearchId::get), Some(7));
        assert_eq!(SearchId::parse("ABCDEFGHIJKLMNOP"), None);
    }

    #[test]
    fn pages_start_at_one() {
        assert_eq!(PageNumber::parse("1"), Some(PageNumber::FIRST));
        assert_eq!(PageNumber::parse("0"), None);
        assert_eq!(PageNumber::parse("-2"), None);
        assert_eq!(PageNumber::parse("json"), None);
        assert_eq!(PageNumber::parse("3").unwrap().skip(1000), 2000);
        assert_eq!(PageNumber::parse("4000000").unwrap().skip(1000), i32::MAX);
    }

    #[test]
    fn page_counts_round_up() {
        assert_eq!(page_count(0, 1000), 0);
        assert_eq!(page_count(1, 1000), 1);
        assert_eq!(page_count(1000, 1000), 1);
        assert_eq!(page_count(1001, 1000), 2);
        assert_eq!(page_count(2, 25), 1);
    }
}
