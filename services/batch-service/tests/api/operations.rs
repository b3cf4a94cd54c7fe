//! Health, reflection, draining on shutdown, and a sick database.

use std::time::{Duration, Instant};

use batch_proto::v1::{self as pb};
use diesel_async::SimpleAsyncConnection as _;
use test_support::{TestService, TestServiceOptions};
use tonic::Code;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

use crate::{authed, expect_code, seed};

#[tokio::test(flavor = "multi_thread")]
async fn health_reports_serving_without_credentials() {
    let svc = TestService::start().await;
    let mut health = HealthClient::new(svc.channel().await);
    for service in ["", "batch.v1.BatchService"] {
        let response = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .expect("health answers")
            .into_inner();
        assert_eq!(response.status(), ServingStatus::Serving, "{service:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn reflection_lists_every_served_service() {
    use tokio_stream::StreamExt as _;
    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let svc = TestService::start().await;
    let mut client = ServerReflectionClient::new(svc.channel().await);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .expect("reflection answers")
        .into_inner();
    let response = responses
        .next()
        .await
        .expect("one response")
        .expect("no error");
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("unexpected reflection answer: {response:?}");
    };
    let mut names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    names.sort();
    assert_eq!(
        names,
        vec![
            "batch.v1.BatchService",
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection"
        ]
    );
}

/// A delete blocked on a row lock is in flight when the shutdown starts; it still
/// completes, and only then does the server stop.
#[tokio::test(flavor = "multi_thread")]
async fn shutdown_drains_in_flight_calls() {
    let mut svc = TestService::start().await;
    let mut client = svc.client().await;
    let mut locker = svc.database().connect().await;
    locker
        .batch_execute(&format!(
            "BEGIN; SELECT 1 FROM batches WHERE id = {} FOR UPDATE",
            seed::IDLE_BATCH_ID
        ))
        .await
        .expect("lock the row");

    let in_flight = tokio::spawn(async move {
        client
            .delete_batches(authed(
                pb::DeleteBatchesRequest {
                    ids: vec![seed::IDLE_BATCH_ID],
                    allow_missing: false,
                    force: false,
                },
                seed::API_KEY,
            ))
            .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!in_flight.is_finished(), "the delete waits for the lock");

    let release = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        locker
            .batch_execute("COMMIT")
            .await
            .expect("release the lock");
    };
    tokio::join!(svc.stop(), release);

    let response = in_flight
        .await
        .unwrap()
        .expect("the in-flight delete completed");
    assert_eq!(response.into_inner().deleted_ids, vec![seed::IDLE_BATCH_ID]);
    assert!(
        tokio::net::TcpStream::connect(svc.addr()).await.is_err(),
        "the server no longer accepts connections"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_database_is_unavailable_quickly() {
    let options = TestServiceOptions {
        database_url_override: Some("postgres://postgres@127.0.0.1:1/nothing".into()),
        ..TestServiceOptions::default()
    };
    let svc = TestService::start_with(options).await;
    let mut client = svc.client().await;
    let started = Instant::now();
    let status = expect_code(
        client
            .delete_batches(authed(
                pb::DeleteBatchesRequest {
                    ids: vec![1],
                    allow_missing: false,
                    force: false,
                },
                seed::API_KEY,
            ))
            .await,
        Code::Unavailable,
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "answered, not hung: {status:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stuck_statement_times_out_as_unavailable() {
    let mut options = TestServiceOptions::default();
    options.pool.statement_timeout = Duration::from_millis(300);
    let svc = TestService::start_with(options).await;
    let mut client = svc.client().await;
    let mut locker = svc.database().connect().await;
    locker
        .batch_execute(&format!(
            "BEGIN; SELECT 1 FROM batches WHERE id = {} FOR UPDATE",
            seed::IDLE_BATCH_ID
        ))
        .await
        .expect("lock the row");
    expect_code(
        client
            .delete_batches(authed(
                pb::DeleteBatchesRequest {
                    ids: vec![seed::IDLE_BATCH_ID],
                    allow_missing: false,
                    force: false,
                },
                seed::API_KEY,
            ))
            .await,
        Code::Unavailable,
    );
    locker.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(
        svc.query_i64(&format!(
            "SELECT count(*) FROM batches WHERE id = {}",
            seed::IDLE_BATCH_ID
        ))
        .await,
        1
    );
}
