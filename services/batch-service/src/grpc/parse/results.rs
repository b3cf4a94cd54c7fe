//! The result RPCs: uploading a chunk, and naming a set or a page of it.

use batch_proto::v1 as pb;

use super::{Violations, batch_id, violation};
use crate::domain::BatchId;
use crate::grpc::error::{ApiError, FieldViolation};
use crate::storage::results::{NewResult, RESULTS_PER_PAGE};

/// Most results one upload chunk may carry.
const MAX_RESULTS_PER_CHUNK: usize = 1_000;
/// Most JSON one result document may hold.
const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// An `UploadResults` chunk: its results, to store from position `offset`.
#[derive(Debug)]
pub(crate) struct Upload {
    pub(crate) batch: BatchId,
    pub(crate) offset: i64,
    pub(crate) results: Vec<NewResult>,
}

pub(crate) fn upload(req: pb::UploadResultsRequest) -> Result<Upload, ApiError> {
    let batch = batch_id("batch_id", req.batch_id)?;
    let mut v = Violations::default();
    if req.offset < 0 {
        v.add("offset", "must not be negative");
    }
    if req.results.len() > MAX_RESULTS_PER_CHUNK {
        v.add(
            "results",
            format!("at most {MAX_RESULTS_PER_CHUNK} results per chunk"),
        );
    }
    let results = req
        .results
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            if r.item_id < 0 {
                v.add(format!("results[{i}].item_id"), "must not be negative");
            }
            if r.document_json.len() > MAX_DOCUMENT_BYTES {
                v.add(
                    format!("results[{i}].document_json"),
                    "must be at most 1 MiB",
                );
            }
            let document = serde_json::from_str(&r.document_json).unwrap_or_else(|e| {
                v.add(
                    format!("results[{i}].document_json"),
                    format!("must be JSON: {e}"),
                );
                serde_json::Value::Null
            });
            NewResult {
                item_id: r.item_id,
                custom_id: v.bounded(&format!("results[{i}].custom_id"), r.custom_id),
                succeeded: r.succeeded,
                document,
            }
        })
        .collect();
    v.finish(Upload {
        batch,
        offset: req.offset,
        results,
    })
}

/// One result set: its batch and its number within the batch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ResultSetRef {
    pub(crate) batch: BatchId,
    pub(crate) number: i32,
}

/// The set named by `GetResultSet` and `ResendWebhook`.
pub(crate) fn result_set(raw_batch: i64, raw_number: i32) -> Result<ResultSetRef, ApiError> {
    Ok(ResultSetRef {
        batch: batch_id("batch_id", raw_batch)?,
        number: set_number(raw_number)?,
    })
}

fn set_number(raw: i32) -> Result<i32, FieldViolation> {
    if raw > 0 {
        Ok(raw)
    } else {
        Err(violation("result_set_id", "must be positive"))
    }
}

/// A `ListResults`: up to `limit` results of one set from position `offset`.
#[derive(Debug)]
pub(crate) struct ResultsPage {
    pub(crate) set: ResultSetRef,
    pub(crate) offset: i64,
    pub(crate) limit: i64,
}

pub(crate) fn results_page(req: pb::ListResultsRequest) -> Result<ResultsPage, ApiError> {
    let set = result_set(req.batch_id, req.result_set_id)?;
    let mut v = Violations::default();
    if req.offset < 0 {
        v.add("offset", "must not be negative");
    }
    let limit = match req.page_size {
        0 => RESULTS_PER_PAGE,
        n => i64::from(v.int_in("page_size", n, 1..=1_000)),
    };
    v.finish(ResultsPage {
        set,
        offset: req.offset,
        limit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload_of(offset: i64, results: Vec<pb::SearchResult>) -> pb::UploadResultsRequest {
        pb::UploadResultsRequest {
            batch_id: 1,
            offset,
            results,
        }
    }

    #[test]
    fn a_bad_document_names_its_field() {
        let err = upload(upload_of(
            0,
            vec![pb::SearchResult {
                document_json: "{not json".into(),
                ..Default::default()
            }],
        ))
        .unwrap_err();
        assert!(
            err.to_string().contains("results[0].document_json"),
            "{err}"
        );
    }

    #[test]
    fn a_negative_offset_is_refused() {
        let err = upload(upload_of(-1, Vec::new())).unwrap_err();
        assert!(err.to_string().contains("offset"), "{err}");
    }
}
