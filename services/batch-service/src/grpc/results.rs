//! The result RPCs (upload, list and get result sets, list results, resend the
//! webhook) and the one-item update. The `BatchService` impl delegates to these, one
//! line each; they authenticate, parse, call `storage::results` and convert.

use batch_proto::prost_types;
use batch_proto::v1 as pb;
use tonic::{Request, Status};

use super::convert::{self, Violations, batch_id, batch_to_proto, item_id, state_to_proto};
use super::error::ApiError;
use super::items::{item_to_proto, struct_to_json};
use super::service::BatchApi;
use crate::domain::TextLimits;
use crate::storage::items;
use crate::storage::results::{
    self as store, NewResult, RESULTS_PER_PAGE, ResultRecord, ResultSetRecord, WebhookStatus,
};

/// SerpWow keeps result sets this many days.
pub const DEFAULT_RESULT_RETENTION_DAYS: u32 = 14;
/// Most results one upload chunk may carry.
const MAX_RESULTS_PER_CHUNK: usize = 1_000;
/// Most JSON one result document may hold.
const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

pub(crate) fn default_retention() -> chrono::Duration {
    chrono::Duration::days(i64::from(DEFAULT_RESULT_RETENTION_DAYS))
}

type Answer<T> = Result<T, Status>;

fn result_set_number(raw: i32) -> Result<i32, ApiError> {
    if raw > 0 {
        Ok(raw)
    } else {
        Err(ApiError::invalid("result_set_id", "must be positive"))
    }
}

fn new_results(offset: i64, results: Vec<pb::SearchResult>) -> Result<Vec<NewResult>, ApiError> {
    let mut v = Violations::default();
    if offset < 0 {
        v.add("offset", "must not be negative");
    }
    if results.len() > MAX_RESULTS_PER_CHUNK {
        v.add(
            "results",
            format!("at most {MAX_RESULTS_PER_CHUNK} results per chunk"),
        );
    }
    let parsed = results
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
                custom_id: v.text(&format!("results[{i}].custom_id"), r.custom_id, 1_024),
                succeeded: r.succeeded,
                document,
            }
        })
        .collect();
    v.finish(parsed)
}

fn time(t: Option<chrono::DateTime<chrono::Utc>>) -> Option<prost_types::Timestamp> {
    t.map(convert::timestamp)
}

pub(crate) fn result_set_to_proto(set: ResultSetRecord) -> pb::ResultSet {
    let webhook_status = match set.webhook_status() {
        WebhookStatus::None => pb::WebhookStatus::None,
        WebhookStatus::Pending => pb::WebhookStatus::Pending,
        WebhookStatus::Ok => pb::WebhookStatus::Ok,
        WebhookStatus::Failed => pb::WebhookStatus::Failed,
    };
    let webhook_log = set
        .webhook_log()
        .into_iter()
        .map(|entry| pb::WebhookLogEntry {
            time: chrono::DateTime::parse_from_rfc3339(&entry.date_time)
                .ok()
                .map(|t| convert::timestamp(t.to_utc())),
            text: entry.text,
        })
        .collect();
    pb::ResultSet {
        batch_id: set.batch_id,
        id: set.number.unwrap_or_default(),
        outcome: state_to_proto(set.outcome()).into(),
        start_time: Some(convert::timestamp(set.started_at)),
        end_time: time(set.ended_at),
        expire_time: time(set.expires_at),
        searches_total: set.searches_total,
        searches_completed: set.searches_completed,
        searches_failed: set.searches_failed,
        page_count: i32::try_from(set.page_count()).unwrap_or(i32::MAX),
        webhook_status: webhook_status.into(),
        webhook_log,
    }
}

fn result_to_proto(r: ResultRecord) -> pb::SearchResult {
    pb::SearchResult {
        item_id: r.item_id,
        custom_id: r.custom_id,
        succeeded: r.succeeded,
        document_json: r.document.to_string(),
    }
}

impl BatchApi {
    pub(super) async fn upload_chunk(
        &self,
        request: Request<pb::UploadResultsRequest>,
    ) -> Answer<pb::UploadResultsResponse> {
        let (ctx, req) = self.accept(request).await?;
        let answer = async {
            let id = batch_id("batch_id", req.batch_id)?;
            let new = new_results(req.offset, req.results)?;
            let stored_count = self
                .db
                .write(async |conn| {
                    store::upload(conn, ctx.caller.tenant, id, req.offset, &new).await
                })
                .await??;
            Ok::<_, ApiError>(pb::UploadResultsResponse { stored_count })
        };
        Ok(answer.await?)
    }

    pub(super) async fn result_sets(
        &self,
        request: Request<pb::ListResultSetsRequest>,
    ) -> Answer<pb::ListResultSetsResponse> {
        let (ctx, req) = self.accept(request).await?;
        let answer = async {
            let id = batch_id("batch_id", req.batch_id)?;
            let (batch, sets) = self
                .db
                .read(async |conn| store::list_sets(conn, ctx.caller.tenant, id).await)
                .await??;
            Ok::<_, ApiError>(pb::ListResultSetsResponse {
                result_sets: sets.into_iter().map(result_set_to_proto).collect(),
                batch: Some(batch_to_proto(batch)),
            })
        };
        Ok(answer.await?)
    }

    pub(super) async fn result_set(
        &self,
        request: Request<pb::GetResultSetRequest>,
    ) -> Answer<pb::ResultSet> {
        let (ctx, req) = self.accept(request).await?;
        let answer = async {
            let id = batch_id("batch_id", req.batch_id)?;
            let number = result_set_number(req.result_set_id)?;
            let set = self
                .db
                .read(async |conn| store::find_set(conn, ctx.caller.tenant, id, number).await)
                .await??;
            Ok::<_, ApiError>(result_set_to_proto(set))
        };
        Ok(answer.await?)
    }

    pub(super) async fn results_page(
        &self,
        request: Request<pb::ListResultsRequest>,
    ) -> Answer<pb::ListResultsResponse> {
        let (ctx, req) = self.accept(request).await?;
        let answer = async {
            let id = batch_id("batch_id", req.batch_id)?;
            let number = result_set_number(req.result_set_id)?;
            let mut v = Violations::default();
            if req.offset < 0 {
                v.add("offset", "must not be negative");
            }
            let limit = match req.page_size {
                0 => RESULTS_PER_PAGE,
                n => i64::from(v.int_in("page_size", n, 1..=1_000)),
            };
            v.finish(())?;
            let (rows, total_size) = self
                .db
                .read(async |conn| {
                    store::list_results(conn, ctx.caller.tenant, id, number, req.offset, limit)
                        .await
                })
                .await??;
            Ok::<_, ApiError>(pb::ListResultsResponse {
                results: rows.into_iter().map(result_to_proto).collect(),
                total_size,
            })
        };
        Ok(answer.await?)
    }

    pub(super) async fn resend(
        &self,
        request: Request<pb::ResendWebhookRequest>,
    ) -> Answer<pb::ResultSet> {
        let (ctx, req) = self.accept(request).await?;
        let answer = async {
            let id = batch_id("batch_id", req.batch_id)?;
            let number = result_set_number(req.result_set_id)?;
            let set = self
                .db
                .write(async |conn| {
                    store::resend_webhook(conn, ctx.caller.tenant, id, number).await
                })
                .await??;
            Ok::<_, ApiError>(result_set_to_proto(set))
        };
        Ok(answer.await?)
    }

    pub(super) async fn update_item(
        &self,
        request: Request<pb::UpdateBatchItemRequest>,
    ) -> Answer<pb::BatchItem> {
        let (ctx, req) = self.accept(request).await?;
        let answer = async {
            let id = batch_id("batch_id", req.batch_id)?;
            let item = item_id("item_id", req.item_id)?;
            let mut v = Violations::default();
            let custom_id = req.custom_id.map(|c| v.text("custom_id", c, 1_024));
            let parameters = match req.parameters.map(struct_to_json) {
                Some(serde_json::Value::Object(map)) => map,
                _ => serde_json::Map::new(),
            };
            if parameters.is_empty() && custom_id.is_none() {
                v.add("parameters", "must name at least one parameter to change");
            }
            if serde_json::Value::Object(parameters.clone())
                .to_string()
                .len()
                > TextLimits::LONG_TEXT
            {
                v.add("parameters", "too large");
            }
            v.finish(())?;
            let item = self
                .db
                .write(async |conn| {
                    items::update(
                        conn,
                        ctx.caller.tenant,
                        id,
                        item,
                        &parameters,
                        custom_id.as_deref(),
                    )
                    .await
                })
                .await??;
            Ok::<_, ApiError>(item_to_proto(item))
        };
        Ok(answer.await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_document_names_its_field() {
        let err = new_results(
            0,
            vec![pb::SearchResult {
                document_json: "{not json".into(),
                ..Default::default()
            }],
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("results[0].document_json"),
            "{err}"
        );
    }

    #[test]
    fn a_negative_offset_is_refused() {
        let err = new_results(-1, Vec::new()).unwrap_err();
        assert!(err.to_string().contains("offset"), "{err}");
    }
}
