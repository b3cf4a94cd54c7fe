//! The four `GetBatchTaskInfosBy*` operations: one filtered `ListBatches`, paged
//! through to the end (SOAP lists are not paged), within a bound.

use batch_proto::v1::{ListBatchesRequest, NameMatch};
use translator_common::UpstreamError;

use super::Caller;
use crate::exception::Failure;
use crate::mapping::state_from_wire;
use crate::model::{BatchTaskInfo, BatchTaskState};
use crate::writer::{OperationResult, Reply};

/// Page size used when a list operation pages through `ListBatches`.
const LIST_PAGE_SIZE: i32 = 1000;
/// Most pages one list operation reads: SOAP lists are not paged, so an unbounded
/// tenant could otherwise make one call read everything. A cut list says so in
/// `ExtraInfo` (`ResultTruncated`, `TotalSize`).
const MAX_LIST_PAGES: usize = 10;

impl Caller {
    /// The `GetBatchTaskInfosBy*` family. `owners`: `None` when the client named
    /// associates but none can exist; `Some(empty)` for "any owner". `name`: `None` for
    /// no name filter; `Some(None)` or `Some(Some(""))` for a nil or empty name, which no
    /// batch task has. `All` means no state filter; `Unknown` matches no task.
    pub(super) async fn list(
        &self,
        owners: Option<Vec<i64>>,
        name: Option<Option<&str>>,
        state: BatchTaskState,
    ) -> Result<Reply, Failure> {
        let states = match state {
            BatchTaskState::All => Vec::new(),
            other => match state_from_wire(other) {
                Some(state) => vec![state as i32],
                None => return self.empty_list().await,
            },
        };
        let (name, name_match) = match name {
            None => (String::new(), NameMatch::Unspecified),
            Some(None | Some("")) => return self.empty_list().await,
            Some(Some(name)) => (name.to_owned(), NameMatch::Exact),
        };
        let Some(owner_ids) = owners else {
            return self.empty_list().await;
        };
        let filter = ListBatchesRequest {
            page_size: LIST_PAGE_SIZE,
            states,
            name,
            name_match: name_match as i32,
            owner_ids,
            ..ListBatchesRequest::default()
        };
        self.page_through(filter).await
    }

    async fn empty_list(&self) -> Result<Reply, Failure> {
        self.check_credential().await?;
        Ok(Reply::ok(OperationResult::Infos(Vec::new())))
    }

    async fn page_through(&self, filter: ListBatchesRequest) -> Result<Reply, Failure> {
        let mut infos = Vec::new();
        let mut omitted = 0usize;
        let mut page_token = String::new();
        let mut total_size = 0i64;
        let mut truncated = false;
        for page_number in 1..=MAX_LIST_PAGES {
            let request = ListBatchesRequest {
                page_token: std::mem::take(&mut page_token),
                ..filter.clone()
            };
            let page = self
                .client()
                .list_batches(request)
                .await
                .map_err(UpstreamError::from)?
                .into_inner();
            total_size = page.total_size;
            for batch in &page.batches {
                match BatchTaskInfo::try_from(batch) {
                    Ok(info) => infos.push(info),
                    Err(error) => {
                        omitted += 1;
                        tracing::warn!(batch.id = batch.id, "{error}; left out of the SOAP list");
                    }
                }
            }
            if page.next_page_token.is_empty() {
                break;
            }
            if page_number == MAX_LIST_PAGES {
                truncated = true;
                break;
            }
            page_token = page.next_page_token;
        }
        let mut reply = Reply::ok(OperationResult::Infos(infos));
        if truncated {
            reply
                .extra_info
                .push(("ResultTruncated".into(), "true".into()));
            reply
                .extra_info
                .push(("TotalSize".into(), total_size.to_string()));
        }
        if omitted > 0 {
            reply
                .extra_info
                .push(("OmittedBatchTasks".into(), omitted.to_string()));
        }
        Ok(reply)
    }
}

/// The owner filter for a list of associate ids: negative ids name nobody (0 is the
/// owner of system tasks). `None` when the client named associates and none can exist,
/// or named none at all (SuperOffice then finds nothing, not everything).
pub(super) fn owners(associate_ids: &[i32]) -> Option<Vec<i64>> {
    let mut owners: Vec<i64> = associate_ids
        .iter()
        .filter(|id| **id >= 0)
        .map(|id| i64::from(*id))
        .collect();
    // Duplicates would only count against the service's limit on owner ids.
    owners.sort_unstable();
    owners.dedup();
    (!owners.is_empty()).then_some(owners)
}

#[cfg(test)]
mod tests {
    use super::owners;

    #[test]
    fn owners_drop_impossible_ids_and_duplicates() {
        assert_eq!(owners(&[2, 1, 2, -1, 0]), Some(vec![0, 1, 2]));
        assert_eq!(owners(&[-1, -2]), None);
        assert_eq!(owners(&[]), None);
    }
}
