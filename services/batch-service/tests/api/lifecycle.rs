//! Start, stop, stop all, and what a worker does: claim, report progress, finish.

use batch_proto::v1::{self as pb};
use test_support::TestService;
use tonic::Code;
use tonic_types::StatusExt as _;

use crate::{Client, authed, bad_fields, expect_code, seed};

async fn start(client: &mut Client, id: i64) -> Result<pb::Batch, tonic::Status> {
    client
        .start_batch(authed(pb::StartBatchRequest { id }, seed::API_KEY))
        .await
        .map(|r| r.into_inner())
}

async fn claim(client: &mut Client) -> Option<pb::Batch> {
    client
        .claim_next_batch(authed(
            pb::ClaimNextBatchRequest {
                worker: "w1".into(),
            },
            seed::API_KEY,
        ))
        .await
        .expect("claim succeeds")
        .into_inner()
        .batch
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_goes_from_start_to_claim_to_progress_to_finish() {
    let svc = TestService::start().await;
    let mut client = svc.client().await;
    let id = seed::IDLE_BATCH_ID;

    let queued = start(&mut client, id).await.expect("start succeeds");
    assert_eq!(queued.state(), pb::BatchState::Queued);
    let status = expect_code(start(&mut client, id).await, Code::FailedPrecondition);
    assert!(status.message().contains("queued"), "{status:?}");

    let claimed = claim(&mut client)
        .await
        .expect("the queued batch is claimed");
    assert_eq!((claimed.id, claimed.state()), (id, pb::BatchState::Running));
    assert_eq!(claimed.start_count, 1);
    assert!(claimed.last_start_time.is_some());
    assert_eq!(claim(&mut client).await, None, "nothing else is queued");

    let progressed = client
        .report_progress(authed(
            pb::ReportProgressRequest {
                id,
                progress_percent: 50,
                progress_description: "half".into(),
            },
            seed::API_KEY,
        ))
        .await
        .expect("progress succeeds")
        .into_inner();
    assert_eq!(
        (
            progressed.progress_percent,
            progressed.progress_description.as_str()
        ),
        (50, "half")
    );

    let finished = client
        .finish_batch(authed(
            pb::FinishBatchRequest {
                id,
                outcome: pb::BatchState::Succeeded.into(),
                result: "2 searches".into(),
            },
            seed::API_KEY,
        ))
        .await
        .expect("finish succeeds")
        .into_inner();
    assert_eq!(finished.state(), pb::BatchState::Succeeded);
    assert_eq!(finished.results_count, 1);
    assert_eq!(finished.result, "2 searches");
    assert_eq!(
        svc.query_i64(&format!("SELECT count(*) FROM batch_runs WHERE batch_id = {id} AND outcome = 'succeeded' AND finished_at IS NOT NULL")).await,
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn claims_take_the_highest_priority_first() {
    let svc = TestService::start().await;
    let mut client = svc.client().await;
    let mut created = Vec::new();
    for priority in [
        pb::Priority::Low,
        pb::Priority::Highest,
        pb::Priority::Normal,
    ] {
        let batch = client
            .create_batch(authed(
                pb::CreateBatchRequest {
                    batch: Some(pb::Batch {
                        name: format!("{priority:?}"),
                        priority: priority.into(),
                        ..Default::default()
                    }),
                    start: true,
                },
                seed::API_KEY,
            ))
            .await
            .unwrap()
            .into_inner();
        created.push(batch.id);
    }
    let order: Vec<i64> = [
        claim(&mut client).await,
        claim(&mut client).await,
        claim(&mut client).await,
    ]
    .into_iter()
    .map(|b| b.expect("claimed").id)
    .collect();
    assert_eq!(order, vec![created[1], created[2], created[0]]);
}

#[tokio::test(flavor = "multi_thread")]
async fn stop_fails_a_queued_or_running_batch_and_refuses_an_idle_one() {
    let svc = TestService::start().await;
    let mut client = svc.client().await;
    let stopped = client
        .stop_batch(authed(
            pb::StopBatchRequest {
                id: seed::RUNNING_BATCH_ID,
            },
            seed::API_KEY,
        ))
        .await
        .expect("a running batch stops")
        .into_inner();
    assert_eq!(
        (stopped.state(), stopped.result.as_str()),
        (pb::BatchState::Failed, "stopped")
    );
    let status = expect_code(
        client
            .stop_batch(authed(
                pb::StopBatchRequest {
                    id: seed::IDLE_BATCH_ID,
                },
                seed::API_KEY,
            ))
            .await,
        Code::FailedPrecondition,
    );
    let details = status.get_error_details();
    assert_eq!(
        details.precondition_failure().unwrap().violations[0].subject,
        seed::IDLE_BATCH_ID.to_string()
    );
    expect_code(
        client
            .stop_batch(authed(pb::StopBatchRequest { id: 31337 }, seed::API_KEY))
            .await,
        Code::NotFound,
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn stop_all_stops_every_queued_and_running_batch() {
    let svc = TestService::start().await;
    let mut client = svc.client().await;
    start(&mut client, seed::IDLE_BATCH_ID).await.unwrap();
    let response = client
        .stop_all_batches(authed(pb::StopAllBatchesRequest {}, seed::API_KEY))
        .await
        .expect("stop all succeeds")
        .into_inner();
    let mut stopped = response.stopped_ids;
    stopped.sort();
    assert_eq!(stopped, vec![seed::IDLE_BATCH_ID, seed::RUNNING_BATCH_ID]);
    assert_eq!(
        svc.query_i64("SELECT count(*) FROM batches WHERE state IN ('queued', 'running')")
            .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn worker_calls_check_state_and_arguments() {
    let svc = TestService::start().await;
    let mut client = svc.client().await;
    expect_code(
        client
            .report_progress(authed(
                pb::ReportProgressRequest {
                    id: seed::IDLE_BATCH_ID,
                    progress_percent: 5,
                    ..Default::default()
                },
                seed::API_KEY,
            ))
            .await,
        Code::FailedPrecondition,
    );
    let status = expect_code(
        client
            .report_progress(authed(
                pb::ReportProgressRequest {
                    id: seed::RUNNING_BATCH_ID,
                    progress_percent: 150,
                    ..Default::default()
                },
                seed::API_KEY,
            ))
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(bad_fields(&status), vec!["progress_percent"]);
    let status = expect_code(
        client
            .finish_batch(authed(
                pb::FinishBatchRequest {
                    id: seed::RUNNING_BATCH_ID,
                    outcome: pb::BatchState::Queued.into(),
                    ..Default::default()
                },
                seed::API_KEY,
            ))
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(bad_fields(&status), vec!["outcome"]);
    expect_code(
        client
            .finish_batch(authed(
                pb::FinishBatchRequest {
                    id: seed::IDLE_BATCH_ID,
                    outcome: pb::BatchState::Failed.into(),
                    ..Default::default()
                },
                seed::API_KEY,
            ))
            .await,
        Code::FailedPrecondition,
    );
    expect_code(
        client
            .start_batch(authed(pb::StartBatchRequest { id: -1 }, seed::API_KEY))
            .await,
        Code::InvalidArgument,
    );
    let status = expect_code(
        client
            .claim_next_batch(authed(
                pb::ClaimNextBatchRequest {
                    worker: "w".repeat(2_000),
                },
                seed::API_KEY,
            ))
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(bad_fields(&status), vec!["worker"]);
}
