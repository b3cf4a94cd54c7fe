//! Credentials and tenant isolation: another tenant's batch behaves exactly like a
//! missing one, through every RPC.

use batch_proto::prost_types::FieldMask;
use batch_proto::v1::{self as pb};
use test_support::TestService;
use tonic::{Code, Request};

use crate::{Client, authed, expect_code, seed};

#[tokio::test(flavor = "multi_thread")]
async fn calls_without_a_valid_bearer_are_unauthenticated() {
    let svc = TestService::start().await;
    let mut client = svc.client().await;
    let get = || pb::GetBatchRequest {
        id: seed::IDLE_BATCH_ID,
    };
    expect_code(
        client.get_batch(Request::new(get())).await,
        Code::Unauthenticated,
    );
    expect_code(
        client.get_batch(authed(get(), "not-a-key")).await,
        Code::Unauthenticated,
    );
    let mut basic = Request::new(get());
    basic
        .metadata_mut()
        .insert("authorization", "Basic ZGVtbzo=".parse().unwrap());
    expect_code(client.get_batch(basic).await, Code::Unauthenticated);
    // Both seeded secrets work.
    client
        .get_batch(authed(get(), seed::API_KEY))
        .await
        .expect("api key");
    client
        .get_batch(authed(get(), seed::TICKET))
        .await
        .expect("ticket");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_credential_stops_working() {
    let svc = TestService::start().await;
    let mut client = svc.client().await;
    let get = || pb::GetBatchRequest {
        id: seed::IDLE_BATCH_ID,
    };
    client
        .get_batch(authed(get(), seed::TICKET))
        .await
        .expect("valid before");
    let revoked = svc
        .query_i64("UPDATE credentials SET revoked_at = now() WHERE kind = 'ticket' RETURNING id")
        .await;
    assert!(revoked > 0);
    expect_code(
        client.get_batch(authed(get(), seed::TICKET)).await,
        Code::Unauthenticated,
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_application_token_must_belong_to_the_callers_tenant() {
    let svc = TestService::start().await;
    let other = svc.new_tenant("other").await;
    let mut client = svc.client().await;
    let with_token = |token: &str| {
        let mut request = authed(
            pb::GetBatchRequest {
                id: seed::IDLE_BATCH_ID,
            },
            seed::TICKET,
        );
        request
            .metadata_mut()
            .insert("x-application-token", token.parse().unwrap());
        request
    };
    client
        .get_batch(with_token(seed::APPLICATION_TOKEN))
        .await
        .expect("registered token");
    expect_code(
        client.get_batch(with_token("1234567-0000-0000")).await,
        Code::Unauthenticated,
    );
    expect_code(
        client.get_batch(with_token(&other.application_token)).await,
        Code::Unauthenticated,
    );
}

/// Every RPC that names a batch answers NOT_FOUND for another tenant's batch, and
/// nothing of that batch changes.
#[tokio::test(flavor = "multi_thread")]
async fn another_tenants_batch_is_invisible_to_every_rpc() {
    let svc = TestService::start().await;
    let other = svc.new_tenant("other").await;
    let mut c: Client = svc.client().await;
    let key = other.api_key.as_str();
    let id = seed::IDLE_BATCH_ID;
    let running = seed::RUNNING_BATCH_ID;
    let before = svc
        .query_i64("SELECT sum(hashtext(b::text)) FROM batches b")
        .await;

    expect_code(
        c.get_batch(authed(pb::GetBatchRequest { id }, key)).await,
        Code::NotFound,
    );
    expect_code(
        c.update_batch(authed(
            pb::UpdateBatchRequest {
                batch: Some(pb::Batch {
                    id,
                    name: "stolen".into(),
                    ..Default::default()
                }),
                update_mask: Some(FieldMask {
                    paths: vec!["name".into()],
                }),
            },
            key,
        ))
        .await,
        Code::NotFound,
    );
    expect_code(
        c.delete_batches(authed(
            pb::DeleteBatchesRequest {
                ids: vec![id],
                allow_missing: false,
                force: false,
            },
            key,
        ))
        .await,
        Code::NotFound,
    );
    // allow_missing: the other tenant's batch is skipped, not deleted.
    let response = c
        .delete_batches(authed(
            pb::DeleteBatchesRequest {
                ids: vec![id, running],
                allow_missing: true,
                force: false,
            },
            key,
        ))
        .await
        .expect("nothing to delete is fine with allow_missing")
        .into_inner();
    assert!(response.deleted_ids.is_empty());
    // A running batch of another tenant looks missing, not running.
    expect_code(
        c.delete_batches(authed(
            pb::DeleteBatchesRequest {
                ids: vec![running],
                allow_missing: false,
                force: false,
            },
            key,
        ))
        .await,
        Code::NotFound,
    );
    expect_code(
        c.start_batch(authed(pb::StartBatchRequest { id }, key))
            .await,
        Code::NotFound,
    );
    expect_code(
        c.stop_batch(authed(pb::StopBatchRequest { id: running }, key))
            .await,
        Code::NotFound,
    );
    expect_code(
        c.report_progress(authed(
            pb::ReportProgressRequest {
                id: running,
                progress_percent: 1,
                ..Default::default()
            },
            key,
        ))
        .await,
        Code::NotFound,
    );
    expect_code(
        c.finish_batch(authed(
            pb::FinishBatchRequest {
                id: running,
                outcome: pb::BatchState::Failed.into(),
                ..Default::default()
            },
            key,
        ))
        .await,
        Code::NotFound,
    );
    expect_code(
        c.add_batch_items(authed(
            pb::AddBatchItemsRequest {
                batch_id: id,
                items: vec![pb::BatchItem::default()],
            },
            key,
        ))
        .await,
        Code::NotFound,
    );
    expect_code(
        c.list_batch_items(authed(
            pb::ListBatchItemsRequest {
                batch_id: id,
                ..Default::default()
            },
            key,
        ))
        .await,
        Code::NotFound,
    );
    expect_code(
        c.delete_batch_items(authed(
            pb::DeleteBatchItemsRequest {
                batch_id: id,
                item_ids: vec![1],
            },
            key,
        ))
        .await,
        Code::NotFound,
    );
    expect_code(
        c.clear_batch_items(authed(pb::ClearBatchItemsRequest { batch_id: id }, key))
            .await,
        Code::NotFound,
    );

    let listed = c
        .list_batches(authed(pb::ListBatchesRequest::default(), key))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.total_size, 0);
    let stopped = c
        .stop_all_batches(authed(pb::StopAllBatchesRequest {}, key))
        .await
        .unwrap()
        .into_inner();
    assert!(stopped.stopped_ids.is_empty());
    let claimed = c
        .claim_next_batch(authed(pb::ClaimNextBatchRequest::default(), key))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(claimed.batch, None);

    let after = svc
        .query_i64("SELECT sum(hashtext(b::text)) FROM batches b")
        .await;
    assert_eq!(before, after, "no batch of the development tenant changed");
    assert_eq!(svc.query_i64("SELECT count(*) FROM batch_items").await, 2);
}
