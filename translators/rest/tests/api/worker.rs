//! A test worker: claims the queued batch over gRPC, uploads a result set and finishes
//! the run, as a real worker would; and the webhook options the service runs with.

use std::time::Duration;

use batch_proto::tonic::Request;
use batch_proto::v1::{self as pb, batch_service_client::BatchServiceClient};
use test_support::TestServiceOptions;
use test_support::seed::API_KEY;

fn authed<T>(message: T) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {API_KEY}").parse().expect("valid metadata"),
    );
    request
}

/// Claims the next queued batch, uploads one result per `(search id, succeeded)` and
/// finishes the run; returns the batch id.
pub(crate) async fn run_next(svc: &test_support::TestService, searches: &[(i64, bool)]) -> i64 {
    let mut client: BatchServiceClient<_> = svc.client().await;
    let batch = client
        .claim_next_batch(authed(pb::ClaimNextBatchRequest {
            worker: "rest-test".into(),
        }))
        .await
        .expect("claim")
        .into_inner()
        .batch
        .expect("a queued batch");
    let results = searches
        .iter()
        .map(|(id, ok)| pb::SearchResult {
            item_id: *id,
            custom_id: format!("custom-{id}"),
            succeeded: *ok,
            document_json: serde_json::json!({
                "search_metadata": {"id": id.to_string()},
                "organic_results": [{"position": 1, "title": format!("Result for {id}")}],
            })
            .to_string(),
        })
        .collect();
    client
        .upload_results(authed(pb::UploadResultsRequest {
            batch_id: batch.id,
            offset: 0,
            results,
        }))
        .await
        .expect("upload");
    client
        .finish_batch(authed(pb::FinishBatchRequest {
            id: batch.id,
            outcome: pb::BatchState::Succeeded.into(),
            result: "done".into(),
        }))
        .await
        .expect("finish");
    batch.id
}

/// Service options with webhook delivery to 127.0.0.1, fast retries, two attempts.
pub(crate) fn with_webhooks() -> TestServiceOptions {
    TestServiceOptions {
        webhooks: Some(batch_service::webhooks::WebhookSettings {
            public_rest_url: "http://rest.example".into(),
            allow: batch_service::webhooks::guard::AllowList::new(["127.0.0.1".to_owned()]),
            timeout: Duration::from_secs(2),
            max_attempts: 2,
            backoff: Duration::from_millis(50),
            concurrency: 2,
            poll_interval: Duration::from_millis(50),
        }),
        ..TestServiceOptions::default()
    }
}
