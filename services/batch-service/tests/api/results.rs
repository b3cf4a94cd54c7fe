//! Result sets: a worker uploads a run's results in chunks, finishing closes the set,
//! the set is read back, its webhook is delivered (or fails, which guards the delete),
//! and deleting the batch removes it.

use std::time::Duration;

use batch_proto::prost_types::{Struct, Value, value::Kind};
use batch_proto::v1::{self as pb};
use test_support::{TestService, TestServiceOptions, WebhookReceiver};
use tonic::Code;
use tonic_types::StatusExt as _;

use crate::{Client, authed, bad_fields, expect_code, seed};

fn result(item_id: i64, succeeded: bool, title: &str) -> pb::SearchResult {
    pb::SearchResult {
        item_id,
        custom_id: format!("c{item_id}"),
        succeeded,
        document_json: serde_json::json!({"organic_results": [{"title": title}]}).to_string(),
    }
}

async fn upload(
    client: &mut Client,
    batch_id: i64,
    offset: i64,
    results: Vec<pb::SearchResult>,
) -> Result<i64, tonic::Status> {
    client
        .upload_results(authed(
            pb::UploadResultsRequest {
                batch_id,
                offset,
                results,
            },
            seed::API_KEY,
        ))
        .await
        .map(|r| r.into_inner().stored_count)
}

/// Starts the seed's idle batch and claims it, as a worker would.
async fn start_and_claim(client: &mut Client) -> i64 {
    let id = seed::IDLE_BATCH_ID;
    client
        .start_batch(authed(pb::StartBatchRequest { id }, seed::API_KEY))
        .await
        .expect("start");
    let claimed = client
        .claim_next_batch(authed(
            pb::ClaimNextBatchRequest {
                worker: "test".into(),
            },
            seed::API_KEY,
        ))
        .await
        .expect("claim")
        .into_inner()
        .batch
        .expect("a batch is claimed");
    assert_eq!(claimed.id, id);
    id
}

/// The seeded idle batch, started, claimed, and holding one uploaded result.
async fn claimed_with_one_result(svc: &TestService) -> (Client, i64) {
    let mut client = svc.client().await;
    let id = start_and_claim(&mut client).await;
    upload(&mut client, id, 0, vec![result(1, true, "a")])
        .await
        .unwrap();
    (client, id)
}

async fn finish(client: &mut Client, id: i64) -> pb::Batch {
    client
        .finish_batch(authed(
            pb::FinishBatchRequest {
                id,
                outcome: pb::BatchState::Succeeded.into(),
                result: "done".into(),
            },
            seed::API_KEY,
        ))
        .await
        .expect("finish")
        .into_inner()
}

async fn result_set(
    client: &mut Client,
    batch_id: i64,
    n: i32,
) -> Result<pb::ResultSet, tonic::Status> {
    client
        .get_result_set(authed(
            pb::GetResultSetRequest {
                batch_id,
                result_set_id: n,
            },
            seed::API_KEY,
        ))
        .await
        .map(|r| r.into_inner())
}

async fn set_webhook(client: &mut Client, id: i64, url: &str) {
    client
        .update_batch(authed(
            pb::UpdateBatchRequest {
                batch: Some(pb::Batch {
                    id,
                    notification: Some(pb::Notification {
                        webhook_url: url.to_owned(),
                        as_csv: true,
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                update_mask: Some(batch_proto::prost_types::FieldMask {
                    paths: vec![
                        "notification.webhook_url".into(),
                        "notification.as_csv".into(),
                    ],
                }),
            },
            seed::API_KEY,
        ))
        .await
        .expect("the webhook is set");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_uploads_results_in_resumable_chunks_and_finishing_closes_the_set() {
    let svc = TestService::start().await;
    let mut client = svc.client().await;
    let id = seed::IDLE_BATCH_ID;
    let refused = expect_code(
        upload(&mut client, id, 0, vec![]).await,
        Code::FailedPrecondition,
    );
    assert!(refused.message().contains("upload results"), "{refused:?}");

    let id = start_and_claim(&mut client).await;
    let chunk = vec![result(1, true, "a"), result(2, true, "b")];
    assert_eq!(upload(&mut client, id, 0, chunk.clone()).await.unwrap(), 2);
    // The same chunk again (its answer was lost) changes nothing.
    assert_eq!(upload(&mut client, id, 0, chunk).await.unwrap(), 2);
    let gap = expect_code(
        upload(&mut client, id, 5, vec![result(3, true, "x")]).await,
        Code::InvalidArgument,
    );
    assert_eq!(bad_fields(&gap), vec!["offset"]);
    assert_eq!(
        upload(&mut client, id, 0, vec![]).await.unwrap(),
        2,
        "an empty chunk asks"
    );
    assert_eq!(
        upload(&mut client, id, 2, vec![result(3, false, "c")])
            .await
            .unwrap(),
        3
    );
    let bad = pb::SearchResult {
        document_json: "{".into(),
        ..result(4, true, "d")
    };
    let bad = expect_code(
        upload(&mut client, id, 3, vec![bad]).await,
        Code::InvalidArgument,
    );
    assert_eq!(bad_fields(&bad), vec!["results[0].document_json"]);

    assert_eq!(
        expect_code(result_set(&mut client, id, 1).await, Code::NotFound).code(),
        Code::NotFound,
        "an open set is invisible"
    );
    let finished = finish(&mut client, id).await;
    assert_eq!(finished.results_count, 1);

    let listed = client
        .list_result_sets(authed(
            pb::ListResultSetsRequest { batch_id: id },
            seed::API_KEY,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.batch.unwrap().id, id);
    assert_eq!(listed.result_sets.len(), 1);
    let set = &listed.result_sets[0];
    assert_eq!(
        (
            set.id,
            set.searches_total,
            set.searches_completed,
            set.searches_failed,
            set.page_count
        ),
        (1, 3, 2, 1, 1)
    );
    assert_eq!(set.webhook_status(), pb::WebhookStatus::None);
    assert_eq!(set.outcome(), pb::BatchState::Succeeded);
    let expires = set.expire_time.unwrap().seconds - set.end_time.unwrap().seconds;
    assert_eq!(expires, 14 * 24 * 3600, "kept 14 days by default");

    let page = client
        .list_results(authed(
            pb::ListResultsRequest {
                batch_id: id,
                result_set_id: 1,
                offset: 1,
                page_size: 10,
            },
            seed::API_KEY,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.total_size, 3);
    let ids: Vec<i64> = page.results.iter().map(|r| r.item_id).collect();
    assert_eq!(ids, vec![2, 3]);
    let doc: serde_json::Value = serde_json::from_str(&page.results[1].document_json).unwrap();
    assert_eq!(doc["organic_results"][0]["title"], "c");

    let missing = expect_code(result_set(&mut client, id, 2).await, Code::NotFound);
    assert!(missing.message().contains("result_set"), "{missing:?}");

    // A second run numbers its set 2, newest first.
    let id = start_and_claim(&mut client).await;
    assert_eq!(finish(&mut client, id).await.results_count, 2);
    let listed = client
        .list_result_sets(authed(
            pb::ListResultSetsRequest { batch_id: id },
            seed::API_KEY,
        ))
        .await
        .unwrap()
        .into_inner();
    let numbers: Vec<i32> = listed.result_sets.iter().map(|s| s.id).collect();
    assert_eq!(numbers, vec![2, 1]);
    assert_eq!(listed.result_sets[0].searches_total, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_a_batch_removes_its_result_sets() {
    let svc = TestService::start().await;
    let (mut client, id) = claimed_with_one_result(&svc).await;
    finish(&mut client, id).await;
    assert_eq!(svc.query_i64("SELECT count(*) FROM results").await, 1);
    client
        .delete_batches(authed(
            pb::DeleteBatchesRequest {
                ids: vec![id],
                allow_missing: false,
                force: false,
            },
            seed::API_KEY,
        ))
        .await
        .expect("delete");
    assert_eq!(svc.query_i64("SELECT count(*) FROM result_sets").await, 0);
    assert_eq!(svc.query_i64("SELECT count(*) FROM results").await, 0);
}

/// A result set reaches its batch through its run (that is how deleting the batch
/// removes it), so the schema refuses a set whose batch is not its run's.
#[tokio::test(flavor = "multi_thread")]
async fn a_result_set_belongs_to_the_batch_of_its_run() {
    use diesel::result::{DatabaseErrorKind, Error};
    use diesel_async::RunQueryDsl as _;

    let svc = TestService::start().await;
    let (_client, id) = claimed_with_one_result(&svc).await;
    let mut conn = svc.database().connect().await;
    let moved = diesel::sql_query(format!(
        "UPDATE result_sets SET batch_id = (SELECT min(id) FROM batches WHERE id <> {id}) \
         WHERE batch_id = {id}"
    ))
    .execute(&mut conn)
    .await;
    assert!(
        matches!(
            moved,
            Err(Error::DatabaseError(
                DatabaseErrorKind::ForeignKeyViolation,
                _
            ))
        ),
        "moving a result set to another batch than its run's: {moved:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn one_search_is_updated_by_merging_its_parameters() {
    let svc = TestService::start().await;
    let mut client = svc.client().await;
    let items = client
        .list_batch_items(authed(
            pb::ListBatchItemsRequest {
                batch_id: seed::IDLE_BATCH_ID,
                ..Default::default()
            },
            seed::API_KEY,
        ))
        .await
        .unwrap()
        .into_inner()
        .items;
    let item = &items[0];
    let q = Value {
        kind: Some(Kind::StringValue("burger king".into())),
    };
    let updated = client
        .update_batch_item(authed(
            pb::UpdateBatchItemRequest {
                batch_id: seed::IDLE_BATCH_ID,
                item_id: item.id,
                parameters: Some(Struct {
                    fields: [("q".to_owned(), q)].into(),
                }),
                custom_id: None,
            },
            seed::API_KEY,
        ))
        .await
        .expect("update")
        .into_inner();
    let fields = &updated.parameters.unwrap().fields;
    assert_eq!(
        fields["q"].kind,
        Some(Kind::StringValue("burger king".into()))
    );
    assert_eq!(
        fields.len(),
        item.parameters.as_ref().unwrap().fields.len().max(1)
    );
    assert_eq!(updated.custom_id, item.custom_id);
}

fn webhook_options() -> TestServiceOptions {
    TestServiceOptions {
        webhooks: Some(batch_service::webhooks::WebhookSettings {
            public_rest_url: "http://rest.example".into(),
            allow: batch_service::webhooks::guard::AllowList::new(["127.0.0.1".to_owned()]),
            timeout: Duration::from_secs(2),
            max_attempts: 2,
            backoff: Duration::from_millis(50),
            concurrency: 4,
            poll_interval: Duration::from_millis(50),
        }),
        ..TestServiceOptions::default()
    }
}

/// Polls until the set's webhook is no longer pending.
async fn settled(client: &mut Client, id: i64, n: i32) -> pb::ResultSet {
    for _ in 0..100 {
        let set = result_set(client, id, n).await.expect("the set");
        if set.webhook_status() != pb::WebhookStatus::Pending {
            return set;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the webhook stayed pending");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_webhook_is_posted_when_a_run_finishes() {
    let svc = TestService::start_with(webhook_options()).await;
    let mut client = svc.client().await;
    let mut receiver = WebhookReceiver::start(200).await;
    set_webhook(&mut client, seed::IDLE_BATCH_ID, receiver.url()).await;
    let id = start_and_claim(&mut client).await;
    upload(
        &mut client,
        id,
        0,
        vec![result(1, true, "a"), result(2, false, "b")],
    )
    .await
    .unwrap();
    finish(&mut client, id).await;

    let got = receiver.next(Duration::from_secs(5)).await.expect("a POST");
    assert!(got.request_line.starts_with("POST /hook"), "{got:?}");
    let body: serde_json::Value = serde_json::from_str(&got.body).unwrap();
    assert_eq!(body["request_info"]["type"], "batch_resultset_completed");
    assert_eq!(body["batch"]["id"], id.to_string());
    assert_eq!(body["result_set"]["id"], 1);
    assert_eq!(body["result_set"]["searches_completed"], 1);
    assert_eq!(body["result_set"]["searches_failed"], 1);
    assert_eq!(
        body["result_set"]["download_links"]["csv"]["all_pages"],
        format!("http://rest.example/live/batches/{id}/results/1/files/csv/all")
    );
    let set = settled(&mut client, id, 1).await;
    assert_eq!(set.webhook_status(), pb::WebhookStatus::Ok);
    assert!(
        set.webhook_log
            .iter()
            .any(|l| l.text.contains("completed successfully"))
    );

    // Resending posts it again.
    let resent = client
        .resend_webhook(authed(
            pb::ResendWebhookRequest {
                batch_id: id,
                result_set_id: 1,
            },
            seed::API_KEY,
        ))
        .await
        .expect("resend")
        .into_inner();
    assert_eq!(resent.webhook_status(), pb::WebhookStatus::Pending);
    assert!(
        receiver.next(Duration::from_secs(5)).await.is_some(),
        "posted again"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_webhook_blocks_the_delete_unless_forced() {
    let svc = TestService::start_with(webhook_options()).await;
    let mut client = svc.client().await;
    let mut receiver = WebhookReceiver::start(500).await;
    set_webhook(&mut client, seed::IDLE_BATCH_ID, receiver.url()).await;
    let id = start_and_claim(&mut client).await;
    finish(&mut client, id).await;
    assert!(receiver.next(Duration::from_secs(5)).await.is_some());
    let set = settled(&mut client, id, 1).await;
    assert_eq!(set.webhook_status(), pb::WebhookStatus::Failed);
    assert!(
        set.webhook_log.iter().any(|l| l.text.contains("HTTP 500")),
        "{set:?}"
    );

    let delete = |force| pb::DeleteBatchesRequest {
        ids: vec![id],
        allow_missing: false,
        force,
    };
    let refused = expect_code(
        client
            .delete_batches(authed(delete(false), seed::API_KEY))
            .await,
        Code::FailedPrecondition,
    );
    let violations = refused
        .get_error_details()
        .precondition_failure()
        .unwrap()
        .violations
        .clone();
    assert_eq!(violations[0].r#type, "WEBHOOK_FAILED");
    assert_eq!(violations[0].subject, id.to_string());
    assert_eq!(
        svc.query_i64(&format!("SELECT count(*) FROM batches WHERE id = {id}"))
            .await,
        1
    );

    let deleted = client
        .delete_batches(authed(delete(true), seed::API_KEY))
        .await
        .expect("a forced delete")
        .into_inner();
    assert_eq!(deleted.deleted_ids, vec![id]);
    assert_eq!(svc.query_i64("SELECT count(*) FROM result_sets").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_private_destination_is_refused_without_the_allow_list() {
    let mut options = webhook_options();
    if let Some(w) = options.webhooks.as_mut() {
        w.allow = batch_service::webhooks::guard::AllowList::default();
    }
    let svc = TestService::start_with(options).await;
    let mut client = svc.client().await;
    let mut receiver = WebhookReceiver::start(200).await;
    set_webhook(&mut client, seed::IDLE_BATCH_ID, receiver.url()).await;
    let id = start_and_claim(&mut client).await;
    finish(&mut client, id).await;
    let set = settled(&mut client, id, 1).await;
    assert_eq!(set.webhook_status(), pb::WebhookStatus::Failed);
    assert!(
        set.webhook_log
            .iter()
            .any(|l| l.text.contains("not a public address")),
        "{set:?}"
    );
    assert!(
        receiver.next(Duration::from_millis(200)).await.is_none(),
        "nothing was posted"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_result_set_is_hidden_then_purged() {
    let svc = TestService::start_with(TestServiceOptions {
        limits: batch_service::grpc::Limits {
            result_retention: chrono::Duration::zero(),
            ..Default::default()
        },
        ..TestServiceOptions::default()
    })
    .await;
    let mut client = svc.client().await;
    let id = start_and_claim(&mut client).await;
    upload(&mut client, id, 0, vec![result(1, true, "a")])
        .await
        .unwrap();
    assert_eq!(finish(&mut client, id).await.results_count, 1);
    let listed = client
        .list_result_sets(authed(
            pb::ListResultSetsRequest { batch_id: id },
            seed::API_KEY,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(listed.result_sets.is_empty(), "{listed:?}");
    expect_code(result_set(&mut client, id, 1).await, Code::NotFound);

    let purged =
        batch_service::storage::results::purge_expired(&mut svc.database().connect().await)
            .await
            .expect("purge");
    assert_eq!(purged, 1);
    assert_eq!(svc.query_i64("SELECT count(*) FROM results").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_made_running_by_update_gets_a_run_and_a_result_set() {
    let svc = TestService::start().await;
    let mut client = svc.client().await;
    let id = seed::IDLE_BATCH_ID;
    // A previous, claimed run whose set is closed must stay as it is.
    start_and_claim(&mut client).await;
    finish(&mut client, id).await;
    client
        .start_batch(authed(pb::StartBatchRequest { id }, seed::API_KEY))
        .await
        .expect("start");
    client
        .update_batch(authed(
            pb::UpdateBatchRequest {
                batch: Some(pb::Batch {
                    id,
                    state: pb::BatchState::Running.into(),
                    ..Default::default()
                }),
                update_mask: Some(batch_proto::prost_types::FieldMask {
                    paths: vec!["state".into()],
                }),
            },
            seed::API_KEY,
        ))
        .await
        .expect("UpdateBatch runs it");
    assert_eq!(
        upload(&mut client, id, 0, vec![result(1, true, "a")])
            .await
            .unwrap(),
        1
    );
    assert_eq!(finish(&mut client, id).await.results_count, 2);
    let first = result_set(&mut client, id, 1).await.unwrap();
    assert_eq!(first.searches_total, 0);
    let second = result_set(&mut client, id, 2).await.unwrap();
    assert_eq!(second.searches_total, 1);
    assert_eq!(
        svc.query_i64(&format!(
            "SELECT count(*) FROM batch_runs WHERE batch_id = {id} AND finished_at IS NULL"
        ))
        .await,
        0
    );
}
