//! List requests: page sizes, AIP-158 `skip`, and page tokens that refuse to be reused
//! with different filters.

use base64::Engine as _;
use batch_proto::prost::Message;
use batch_proto::v1 as pb;
use sha2::{Digest, Sha256};

use super::Violations;

/// The largest page any list returns.
pub(super) const MAX_PAGE: i32 = 1_000;

/// Where a page starts and how long it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Page {
    pub(crate) offset: i64,
    pub(crate) limit: i64,
}

impl Page {
    /// The token of the page after this one, or empty when `total` is reached.
    pub(crate) fn next_token(&self, total: i64, fingerprint: &str) -> String {
        let next = self.offset + self.limit;
        if next >= total {
            return String::new();
        }
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{next}.{fingerprint}"))
    }
}

/// A list request with AIP-158 paging fields.
pub(super) trait Listing: Message + Clone {
    /// `page_size`, `page_token` and `skip`.
    fn paging(&self) -> (i32, &str, i32);
    /// The request with its paging fields cleared: what a token is tied to.
    fn filters(&self) -> Self;
}

macro_rules! listing {
    ($($request:ty),*) => {$(
        impl Listing for $request {
            fn paging(&self) -> (i32, &str, i32) {
                (self.page_size, &self.page_token, self.skip)
            }

            fn filters(&self) -> Self {
                Self {
                    page_size: 0,
                    page_token: String::new(),
                    skip: 0,
                    ..self.clone()
                }
            }
        }
    )*};
}

listing!(pb::ListBatchesRequest, pb::ListBatchItemsRequest);

/// The page `req` asks for (`default_size` long unless it says), and the fingerprint
/// of its filters for the next page's token.
pub(super) fn page(v: &mut Violations, req: &impl Listing, default_size: i32) -> (Page, String) {
    let fingerprint = hex::encode(&Sha256::digest(req.filters().encode_to_vec())[..8]);
    let (page_size, token, skip) = req.paging();
    let page = read(v, page_size, default_size, token, skip, &fingerprint);
    (page, fingerprint)
}

/// Reads size, token and skip. `fingerprint` identifies the request's filters.
fn read(
    v: &mut Violations,
    page_size: i32,
    default_size: i32,
    token: &str,
    skip: i32,
    fingerprint: &str,
) -> Page {
    let limit = match page_size {
        0 => default_size,
        1..=MAX_PAGE => page_size,
        _ => {
            v.add("page_size", format!("must be between 0 and {MAX_PAGE}"));
            default_size
        }
    };
    if skip < 0 {
        v.add("skip", "must not be negative");
    }
    let offset = if token.is_empty() {
        i64::from(skip.max(0))
    } else {
        match decode_token(token, fingerprint) {
            Some(offset) => offset,
            None => {
                v.add("page_token", "is not a token of this listing");
                0
            }
        }
    };
    Page {
        offset,
        limit: i64::from(limit),
    }
}

fn decode_token(token: &str, fingerprint: &str) -> Option<i64> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (offset, print) = text.split_once('.')?;
    (print == fingerprint)
        .then(|| offset.parse::<i64>().ok())
        .flatten()
        .filter(|o| *o >= 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grpc::error::ApiError;

    #[test]
    fn a_token_only_works_for_the_listing_that_made_it() {
        let token = Page {
            offset: 0,
            limit: 25,
        }
        .next_token(100, "abc");
        let mut v = Violations::default();
        assert_eq!(read(&mut v, 25, 25, &token, 0, "abc").offset, 25);
        assert!(v.finish(()).is_ok());
        let mut v = Violations::default();
        read(&mut v, 25, 25, &token, 0, "other");
        assert!(v.finish(()).is_err());
    }

    #[test]
    fn the_last_page_has_no_token() {
        assert_eq!(
            Page {
                offset: 75,
                limit: 25
            }
            .next_token(100, "x"),
            ""
        );
    }

    #[test]
    fn page_size_is_bounded() {
        let mut v = Violations::default();
        read(&mut v, 1001, 25, "", 0, "x");
        let Err(ApiError::InvalidArgument(bad)) = v.finish(()) else {
            panic!("expected a violation")
        };
        assert_eq!(bad[0].field, "page_size");
    }
}
