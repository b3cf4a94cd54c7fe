//! Create, get, list and update.

use batch_proto::prost_types::FieldMask;
use batch_proto::v1::{self as pb};
use test_support::TestService;
use tonic::Code;

use crate::{Client, authed, bad_fields, expect_code, seed};

fn soap_style_batch() -> pb::Batch {
    pb::Batch {
        name: "Export contacts".into(),
        description: "nightly".into(),
        owner_id: 17,
        details_table: 32_000,
        details_record: 5,
        is_system_task: true,
        parameters: vec![
            pb::Parameter {
                key: "format".into(),
                value: "csv".into(),
            },
            pb::Parameter {
                key: "format".into(),
                value: "xlsx".into(),
            },
        ],
        database_serial_number: "SN-1".into(),
        context: "ctx".into(),
        request: "req".into(),
        progress_percent: 10,
        ..pb::Batch::default()
    }
}

fn serpwow_style_batch() -> pb::Batch {
    pb::Batch {
        name: "My Third Batch".into(),
        enabled: true,
        priority: pb::Priority::High.into(),
        destination_ids: vec!["DEST1".into()],
        schedule: Some(pb::Schedule {
            r#type: pb::ScheduleType::Weekly.into(),
            hours: vec![8, 20],
            days_of_week: vec![1, 5],
            ..pb::Schedule::default()
        }),
        notification: Some(pb::Notification {
            email: "ops@example.com".into(),
            as_json: true,
            ..pb::Notification::default()
        }),
        items_type: "google_web".into(),
        ..pb::Batch::default()
    }
}

async fn create(client: &mut Client, batch: pb::Batch, start: bool) -> pb::Batch {
    client
        .create_batch(authed(
            pb::CreateBatchRequest {
                batch: Some(batch),
                start,
            },
            seed::API_KEY,
        ))
        .await
        .expect("create succeeds")
        .into_inner()
}

#[tokio::test(flavor = "multi_thread")]
async fn both_vocabularies_round_trip() {
    let svc = TestService::start().await;
    let mut client = svc.client().await;
    for input in [soap_style_batch(), serpwow_style_batch()] {
        let created = create(&mut client, input.clone(), false).await;
        assert!(
            created.id > seed::SUCCEEDED_BATCH_ID,
            "ids come from the service, after the seed"
        );
        assert_eq!(created.state(), pb::BatchState::New);
        assert!(created.create_time.is_some());
        assert_eq!(created.last_start_time, None);
        let fetched = client
            .get_batch(authed(
                pb::GetBatchRequest { id: created.id },
                seed::API_KEY,
            ))
            .await
            .expect("get succeeds")
            .into_inner();
        assert_eq!(fetched, created);
        // Every writable field comes back as written.
        let mut expected = input.clone();
        expected.id = created.id;
        expected.state = created.state;
        expected.create_time = created.create_time;
        expected.update_time = created.update_time;
        expected.priority = if input.priority == 0 {
            pb::Priority::Normal.into()
        } else {
            input.priority
        };
        let mut schedule = input.schedule.clone().unwrap_or_default();
        if schedule.r#type == 0 {
            schedule.r#type = pb::ScheduleType::Manual.into();
        }
        expected.schedule = Some(schedule);
        expected.notification = Some(input.notification.clone().unwrap_or_default());
        assert_eq!(fetched, expected);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn create_with_start_queues_the_batch() {
    let svc = TestService::start().await;
    let mut client = svc.client().await;
    let created = create(&mut client, soap_style_batch(), true).await;
    assert_eq!(created.state(), pb::BatchState::Queued);
}

#[tokio::test(flavor = "multi_thread")]
async fn create_names_every_bad_field() {
    let svc = TestService::start().await;
    let mut client = svc.client().await;
    let mut batch = serpwow_style_batch();
    batch.progress_percent = 101;
    batch.owner_id = -1;
    batch.name = "x".repeat(5_000);
    batch.schedule.as_mut().unwrap().hours = vec![24];
    let status = expect_code(
        client
            .create_batch(authed(
                pb::CreateBatchRequest {
                    batch: Some(batch),
                    start: false,
                },
                seed::API_KEY,
            ))
            .await,
        Code::InvalidArgument,
    );
    let fields = bad_fields(&status);
    for field in [
        "batch.owner_id",
        "batch.name",
        "batch.progress_percent",
        "batch.schedule.hours[0]",
    ] {
        assert!(
            fields.contains(&field.to_string()),
            "{field} missing from {fields:?}"
        );
    }
    let status = expect_code(
        client
            .create_batch(authed(
                pb::CreateBatchRequest {
                    batch: None,
                    start: false,
                },
                seed::API_KEY,
            ))
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(bad_fields(&status), vec!["batch"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn get_of_a_missing_or_invalid_id() {
    let svc = TestService::start().await;
    let mut client = svc.client().await;
    expect_code(
        client
            .get_batch(authed(pb::GetBatchRequest { id: 77 }, seed::API_KEY))
            .await,
        Code::NotFound,
    );
    let status = expect_code(
        client
            .get_batch(authed(pb::GetBatchRequest { id: 0 }, seed::API_KEY))
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(bad_fields(&status), vec!["id"]);
}

async fn list(client: &mut Client, request: pb::ListBatchesRequest) -> pb::ListBatchesResponse {
    client
        .list_batches(authed(request, seed::API_KEY))
        .await
        .expect("list succeeds")
        .into_inner()
}

fn ids(response: &pb::ListBatchesResponse) -> Vec<i64> {
    response.batches.iter().map(|b| b.id).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn list_filters_by_state_name_owner_and_time() {
    let svc = TestService::start().await;
    let mut client = svc.client().await;
    let all = list(&mut client, pb::ListBatchesRequest::default()).await;
    assert_eq!(
        ids(&all),
        vec![
            seed::IDLE_BATCH_ID,
            seed::RUNNING_BATCH_ID,
            seed::SUCCEEDED_BATCH_ID
        ]
    );
    assert_eq!(all.total_size, 3);

    let idle = list(
        &mut client,
        pb::ListBatchesRequest {
            states: vec![pb::BatchState::New.into(), pb::BatchState::Succeeded.into()],
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        ids(&idle),
        vec![seed::IDLE_BATCH_ID, seed::SUCCEEDED_BATCH_ID]
    );

    let exact = list(
        &mut client,
        pb::ListBatchesRequest {
            name: "My First Batch".into(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(ids(&exact), vec![seed::IDLE_BATCH_ID]);

    let contains = list(
        &mut client,
        pb::ListBatchesRequest {
            name: "batch my".into(),
            name_match: pb::NameMatch::Contains.into(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        ids(&contains),
        vec![seed::IDLE_BATCH_ID, seed::SUCCEEDED_BATCH_ID]
    );

    let by_id = list(
        &mut client,
        pb::ListBatchesRequest {
            name: seed::RUNNING_BATCH_ID.to_string(),
            name_match: pb::NameMatch::Contains.into(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(ids(&by_id), vec![seed::RUNNING_BATCH_ID]);

    let prefix = list(
        &mut client,
        pb::ListBatchesRequest {
            name: "nightly".into(),
            name_match: pb::NameMatch::Prefix.into(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(ids(&prefix), vec![seed::RUNNING_BATCH_ID]);

    let wildcard = list(
        &mut client,
        pb::ListBatchesRequest {
            name: "%".into(),
            name_match: pb::NameMatch::Suffix.into(),
            ..Default::default()
        },
    )
    .await;
    assert!(wildcard.batches.is_empty(), "% is literal");

    let owners = list(
        &mut client,
        pb::ListBatchesRequest {
            owner_ids: vec![2],
            ..Default::default()
        },
    )
    .await;
    assert_eq!(ids(&owners), vec![seed::SUCCEEDED_BATCH_ID]);

    let with_results = list(
        &mut client,
        pb::ListBatchesRequest {
            has_results: Some(true),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(ids(&with_results), vec![seed::SUCCEEDED_BATCH_ID]);

    let started_before = list(
        &mut client,
        pb::ListBatchesRequest {
            last_started_before: Some(batch_proto::prost_types::Timestamp {
                seconds: 1_700_000_000,
                nanos: 0,
            }),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        ids(&started_before),
        vec![seed::RUNNING_BATCH_ID, seed::SUCCEEDED_BATCH_ID]
    );

    let future = list(
        &mut client,
        pb::ListBatchesRequest {
            created_after: Some(batch_proto::prost_types::Timestamp {
                seconds: 4_000_000_000,
                nanos: 0,
            }),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(future.total_size, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn list_sorts_pages_and_skips() {
    let svc = TestService::start().await;
    let mut client = svc.client().await;
    let by_name_desc = list(
        &mut client,
        pb::ListBatchesRequest {
            order_by: pb::BatchOrder::Name.into(),
            descending: true,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        ids(&by_name_desc),
        vec![
            seed::RUNNING_BATCH_ID,
            seed::SUCCEEDED_BATCH_ID,
            seed::IDLE_BATCH_ID
        ]
    );

    let first = list(
        &mut client,
        pb::ListBatchesRequest {
            page_size: 2,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        ids(&first),
        vec![seed::IDLE_BATCH_ID, seed::RUNNING_BATCH_ID]
    );
    assert!(!first.next_page_token.is_empty());
    let second = list(
        &mut client,
        pb::ListBatchesRequest {
            page_size: 2,
            page_token: first.next_page_token.clone(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(ids(&second), vec![seed::SUCCEEDED_BATCH_ID]);
    assert!(second.next_page_token.is_empty());

    // A token is bound to its filters.
    let status = expect_code(
        client
            .list_batches(authed(
                pb::ListBatchesRequest {
                    page_size: 2,
                    page_token: first.next_page_token,
                    owner_ids: vec![1],
                    ..Default::default()
                },
                seed::API_KEY,
            ))
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(bad_fields(&status), vec!["page_token"]);

    let skipped = list(
        &mut client,
        pb::ListBatchesRequest {
            page_size: 1,
            skip: 2,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(ids(&skipped), vec![seed::SUCCEEDED_BATCH_ID]);
    assert_eq!(skipped.total_size, 3);

    let status = expect_code(
        client
            .list_batches(authed(
                pb::ListBatchesRequest {
                    page_size: 1001,
                    skip: -1,
                    ..Default::default()
                },
                seed::API_KEY,
            ))
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(bad_fields(&status), vec!["page_size", "skip"]);
}

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| p.to_string()).collect(),
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn update_applies_only_the_masked_fields() {
    let svc = TestService::start().await;
    let mut client = svc.client().await;
    let before = client
        .get_batch(authed(
            pb::GetBatchRequest {
                id: seed::IDLE_BATCH_ID,
            },
            seed::API_KEY,
        ))
        .await
        .unwrap()
        .into_inner();
    let patch = pb::Batch {
        id: seed::IDLE_BATCH_ID,
        name: "Renamed".into(),
        description: "not in the mask".into(),
        schedule: Some(pb::Schedule {
            hours: vec![6],
            ..Default::default()
        }),
        ..Default::default()
    };
    let after = client
        .update_batch(authed(
            pb::UpdateBatchRequest {
                batch: Some(patch),
                update_mask: mask(&["name", "schedule.hours"]),
            },
            seed::API_KEY,
        ))
        .await
        .expect("update succeeds")
        .into_inner();
    assert_eq!(after.name, "Renamed");
    assert_eq!(after.description, before.description);
    let schedule = after.schedule.unwrap();
    assert_eq!(schedule.hours, vec![6]);
    assert_eq!(
        schedule.r#type(),
        pb::ScheduleType::Daily,
        "the rest of the schedule stays"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn update_refuses_settings_of_a_running_batch_but_takes_its_reports() {
    let svc = TestService::start().await;
    let mut client = svc.client().await;
    let id = seed::RUNNING_BATCH_ID;
    let batch = pb::Batch {
        id,
        name: "x".into(),
        response: "half way".into(),
        ..Default::default()
    };
    expect_code(
        client
            .update_batch(authed(
                pb::UpdateBatchRequest {
                    batch: Some(batch.clone()),
                    update_mask: mask(&["name"]),
                },
                seed::API_KEY,
            ))
            .await,
        Code::FailedPrecondition,
    );
    let updated = client
        .update_batch(authed(
            pb::UpdateBatchRequest {
                batch: Some(batch),
                update_mask: mask(&["response"]),
            },
            seed::API_KEY,
        ))
        .await
        .expect("run reports can change while running")
        .into_inner();
    assert_eq!(updated.response, "half way");
}

#[tokio::test(flavor = "multi_thread")]
async fn update_checks_state_transitions_and_the_mask() {
    let svc = TestService::start().await;
    let mut client = svc.client().await;
    let to = |id, state: pb::BatchState| pb::UpdateBatchRequest {
        batch: Some(pb::Batch {
            id,
            state: state.into(),
            ..Default::default()
        }),
        update_mask: mask(&["state"]),
    };
    expect_code(
        client
            .update_batch(authed(
                to(seed::IDLE_BATCH_ID, pb::BatchState::Succeeded),
                seed::API_KEY,
            ))
            .await,
        Code::FailedPrecondition,
    );
    let finished = client
        .update_batch(authed(
            to(seed::RUNNING_BATCH_ID, pb::BatchState::Failed),
            seed::API_KEY,
        ))
        .await
        .expect("a running batch may be failed through an update")
        .into_inner();
    assert_eq!(finished.state(), pb::BatchState::Failed);

    for (request, field) in [
        (
            pb::UpdateBatchRequest {
                batch: Some(pb::Batch {
                    id: seed::IDLE_BATCH_ID,
                    ..Default::default()
                }),
                update_mask: None,
            },
            "update_mask",
        ),
        (
            pb::UpdateBatchRequest {
                batch: Some(pb::Batch {
                    id: seed::IDLE_BATCH_ID,
                    ..Default::default()
                }),
                update_mask: mask(&["item_count"]),
            },
            "update_mask",
        ),
        (
            pb::UpdateBatchRequest {
                batch: Some(pb::Batch {
                    id: 0,
                    ..Default::default()
                }),
                update_mask: mask(&["name"]),
            },
            "batch.id",
        ),
        (
            to(seed::IDLE_BATCH_ID, pb::BatchState::Unspecified),
            "batch.state",
        ),
    ] {
        let status = expect_code(
            client.update_batch(authed(request, seed::API_KEY)).await,
            Code::InvalidArgument,
        );
        assert_eq!(bad_fields(&status), vec![field]);
    }
    expect_code(
        client
            .update_batch(authed(
                pb::UpdateBatchRequest {
                    batch: Some(pb::Batch {
                        id: 5,
                        ..Default::default()
                    }),
                    update_mask: mask(&["name"]),
                },
                seed::API_KEY,
            ))
            .await,
        Code::NotFound,
    );
}
