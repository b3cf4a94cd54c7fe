//! List requests: page sizes, AIP-158 `skip`, and page tokens that refuse to be reused
//! with different filters.

use base64::Engine as _;
use batch_proto::prost::Message;
use batch_proto::v1 as pb;
use sha2::{Digest, Sha256};

use super::convert::{Violations, state_from_proto, time_from_proto};
use super::error::ApiError;
use crate::domain::{ListQuery, NameFilter, NameMatch, SortKey, TextLimits};

const DEFAULT_BATCH_PAGE: i32 = 25;
const MAX_PAGE: i32 = 1_000;

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

/// Reads size, token and skip. `fingerprint` identifies the request's filters.
pub(crate) fn page(
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

/// A short digest of a message with its paging fields cleared.
pub(crate) fn fingerprint(message: &impl Message) -> String {
    hex::encode(&Sha256::digest(message.encode_to_vec())[..8])
}

/// A `ListBatchesRequest` as a query; `print` is the [`fingerprint`] of its filters.
pub(crate) fn list_batches(
    req: pb::ListBatchesRequest,
    print: &str,
) -> Result<ListQuery, ApiError> {
    let mut v = Violations::default();
    let page = page(
        &mut v,
        req.page_size,
        DEFAULT_BATCH_PAGE,
        &req.page_token,
        req.skip,
        print,
    );
    let mut states = Vec::new();
    for (i, raw) in req.states.iter().enumerate() {
        match state_from_proto(&format!("states[{i}]"), *raw) {
            Ok(state) => states.push(state),
            Err(_) => v.add(format!("states[{i}]"), "must be a specified batch state"),
        }
    }
    let how = match pb::NameMatch::try_from(req.name_match) {
        Ok(pb::NameMatch::Unspecified | pb::NameMatch::Exact) => NameMatch::Exact,
        Ok(pb::NameMatch::Contains) => NameMatch::Contains,
        Ok(pb::NameMatch::Prefix) => NameMatch::Prefix,
        Ok(pb::NameMatch::Suffix) => NameMatch::Suffix,
        Err(_) => {
            v.add("name_match", "unknown name match");
            NameMatch::Exact
        }
    };
    let name_text = v.text("name", req.name, TextLimits::NAME);
    let sort = match pb::BatchOrder::try_from(req.order_by) {
        Ok(pb::BatchOrder::Unspecified | pb::BatchOrder::Id) => SortKey::Id,
        Ok(pb::BatchOrder::Name) => SortKey::Name,
        Ok(pb::BatchOrder::CreateTime) => SortKey::CreateTime,
        Ok(pb::BatchOrder::LastStartTime) => SortKey::LastStartTime,
        Ok(pb::BatchOrder::Priority) => SortKey::Priority,
        Ok(pb::BatchOrder::State) => SortKey::State,
        Err(_) => {
            v.add("order_by", "unknown order");
            SortKey::Id
        }
    };
    if req.owner_ids.len() > MAX_PAGE as usize {
        v.add("owner_ids", format!("at most {MAX_PAGE} ids"));
    }
    let destination_id = v.text("destination_id", req.destination_id, TextLimits::SHORT_TEXT);
    let query = ListQuery {
        limit: page.limit,
        offset: page.offset,
        states,
        name: (!name_text.is_empty()).then_some(NameFilter {
            text: name_text,
            how,
        }),
        owner_ids: req.owner_ids,
        created_after: time_from_proto(&mut v, "created_after", req.created_after),
        created_before: time_from_proto(&mut v, "created_before", req.created_before),
        last_started_after: time_from_proto(&mut v, "last_started_after", req.last_started_after),
        last_started_before: time_from_proto(
            &mut v,
            "last_started_before",
            req.last_started_before,
        ),
        has_results: req.has_results,
        destination_id: (!destination_id.is_empty()).then_some(destination_id),
        sort,
        descending: req.descending,
    };
    v.finish(query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_only_works_for_the_listing_that_made_it() {
        let token = Page {
            offset: 0,
            limit: 25,
        }
        .next_token(100, "abc");
        let mut v = Violations::default();
        assert_eq!(page(&mut v, 25, 25, &token, 0, "abc").offset, 25);
        assert!(v.finish(()).is_ok());
        let mut v = Violations::default();
        page(&mut v, 25, 25, &token, 0, "other");
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
        page(&mut v, 1001, 25, "", 0, "x");
        let Err(ApiError::InvalidArgument(bad)) = v.finish(()) else {
            panic!("expected a violation")
        };
        assert_eq!(bad[0].field, "page_size");
    }
}
