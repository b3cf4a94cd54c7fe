//! Batch items (SerpWow searches): add, list, delete some, clear.

use batch_proto::prost_types::{Struct, Value, value::Kind};
use batch_proto::v1::{self as pb};
use test_support::TestService;
use tonic::Code;

use crate::{Client, authed, bad_fields, expect_code, seed};

fn search(q: &str, custom_id: &str) -> pb::BatchItem {
    let mut parameters = Struct::default();
    parameters.fields.insert(
        "q".into(),
        Value {
            kind: Some(Kind::StringValue(q.into())),
        },
    );
    parameters.fields.insert(
        "num".into(),
        Value {
            kind: Some(Kind::NumberValue(100.0)),
        },
    );
    pb::BatchItem {
        custom_id: custom_id.into(),
        parameters: Some(parameters),
        ..Default::default()
    }
}

async fn list(client: &mut Client, batch_id: i64, query: &str) -> pb::ListBatchItemsResponse {
    client
        .list_batch_items(authed(
            pb::ListBatchItemsRequest {
                batch_id,
                query: query.into(),
                ..Default::default()
            },
            seed::API_KEY,
        ))
        .await
        .expect("list succeeds")
        .into_inner()
}

#[tokio::test(flavor = "multi_thread")]
async fn items_are_added_listed_found_deleted_and_cleared() {
    let svc = TestService::start().await;
    let mut client = svc.client().await;
    let id = seed::IDLE_BATCH_ID;

    let added = client
        .add_batch_items(authed(
            pb::AddBatchItemsRequest {
                batch_id: id,
                items: vec![search("pizza", "a"), search("sushi", "b")],
            },
            seed::API_KEY,
        ))
        .await
        .expect("add succeeds")
        .into_inner();
    assert_eq!(added.items.len(), 2);
    assert_eq!(added.batch.unwrap().item_count, 4);
    assert_eq!(
        added.items[0].parameters,
        search("pizza", "a").parameters,
        "parameters round-trip"
    );

    let all = list(&mut client, id, "").await;
    assert_eq!(all.total_size, 4);
    let found = list(&mut client, id, "SUSHI").await;
    assert_eq!(
        found
            .items
            .iter()
            .map(|i| i.custom_id.as_str())
            .collect::<Vec<_>>(),
        vec!["b"]
    );

    let deleted = client
        .delete_batch_items(authed(
            pb::DeleteBatchItemsRequest {
                batch_id: id,
                item_ids: vec![added.items[0].id],
            },
            seed::API_KEY,
        ))
        .await
        .expect("delete succeeds")
        .into_inner();
    assert_eq!(deleted.deleted_item_ids, vec![added.items[0].id]);
    let status = expect_code(
        client
            .delete_batch_items(authed(
                pb::DeleteBatchItemsRequest {
                    batch_id: id,
                    item_ids: vec![added.items[1].id, 987_654],
                },
                seed::API_KEY,
            ))
            .await,
        Code::NotFound,
    );
    assert!(status.message().contains("987654"), "{status:?}");
    assert_eq!(
        list(&mut client, id, "").await.total_size,
        3,
        "nothing deleted by the failed call"
    );

    let cleared = client
        .clear_batch_items(authed(
            pb::ClearBatchItemsRequest { batch_id: id },
            seed::API_KEY,
        ))
        .await
        .expect("clear succeeds")
        .into_inner();
    assert_eq!(cleared.deleted_count, 3);
    let batch = client
        .get_batch(authed(pb::GetBatchRequest { id }, seed::API_KEY))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(batch.item_count, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn items_of_a_running_batch_are_frozen() {
    let svc = TestService::start().await;
    let mut client = svc.client().await;
    let id = seed::RUNNING_BATCH_ID;
    expect_code(
        client
            .add_batch_items(authed(
                pb::AddBatchItemsRequest {
                    batch_id: id,
                    items: vec![search("x", "")],
                },
                seed::API_KEY,
            ))
            .await,
        Code::FailedPrecondition,
    );
    expect_code(
        client
            .clear_batch_items(authed(
                pb::ClearBatchItemsRequest { batch_id: id },
                seed::API_KEY,
            ))
            .await,
        Code::FailedPrecondition,
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn item_requests_are_validated() {
    let svc = TestService::start().await;
    let mut client = svc.client().await;
    let status = expect_code(
        client
            .add_batch_items(authed(
                pb::AddBatchItemsRequest {
                    batch_id: seed::IDLE_BATCH_ID,
                    items: vec![],
                },
                seed::API_KEY,
            ))
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(bad_fields(&status), vec!["items"]);
    let too_many = vec![search("q", ""); 1_001];
    expect_code(
        client
            .add_batch_items(authed(
                pb::AddBatchItemsRequest {
                    batch_id: seed::IDLE_BATCH_ID,
                    items: too_many,
                },
                seed::API_KEY,
            ))
            .await,
        Code::InvalidArgument,
    );
    expect_code(
        client
            .add_batch_items(authed(
                pb::AddBatchItemsRequest {
                    batch_id: 4_040_404,
                    items: vec![search("q", "")],
                },
                seed::API_KEY,
            ))
            .await,
        Code::NotFound,
    );
    let status = expect_code(
        client
            .delete_batch_items(authed(
                pb::DeleteBatchItemsRequest {
                    batch_id: seed::IDLE_BATCH_ID,
                    item_ids: vec![0],
                },
                seed::API_KEY,
            ))
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(bad_fields(&status), vec!["item_ids[0]"]);
    expect_code(
        client
            .list_batch_items(authed(
                pb::ListBatchItemsRequest {
                    batch_id: 4_040_404,
                    ..Default::default()
                },
                seed::API_KEY,
            ))
            .await,
        Code::NotFound,
    );
}
