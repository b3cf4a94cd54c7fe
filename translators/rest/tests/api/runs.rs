//! Start, stop and stop all, end to end (GET, as the official clients call them).

use test_support::seed::RUNNING_BATCH_ID;

use crate::helpers::{demo, stack};

#[tokio::test(flavor = "multi_thread")]
async fn start_and_stop_a_batch() {
    let stack = stack().await;
    let answer = stack.app.get(&demo("/live/batches/123456/start")).await;
    let body = answer.assert_ok();
    assert_eq!(body["request_info"]["message"], "Batch started");
    assert_eq!(body["batch"]["status"], "queued");
    assert_eq!(
        stack
            .svc
            .query_i64("SELECT count(*) FROM batches WHERE id = 123456 AND state = 'queued'")
            .await,
        1
    );

    let again = stack.app.get(&demo("/live/batches/123456/start")).await;
    assert_eq!(
        again.assert_error(409),
        "Batch with ID '123456' is already queued or running"
    );
    let answer = stack.app.get(&demo("/live/batches/123456/stop")).await;
    let body = answer.assert_ok();
    assert_eq!(body["request_info"]["message"], "Batch stopped");
    assert_eq!(body["batch"]["status"], "idle");

    let again = stack.app.get(&demo("/live/batches/123456/stop")).await;
    assert_eq!(
        again.assert_error(409),
        "Batch with ID '123456' is not queued or running"
    );
    let missing = stack.app.get(&demo("/live/batches/999999/start")).await;
    assert_eq!(
        missing.assert_error(404),
        "Batch with ID '999999' was not found"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn stop_all_stops_every_queued_and_running_batch() {
    let stack = stack().await;
    stack
        .app
        .get(&demo("/live/batches/123456/start"))
        .await
        .assert_ok();
    let answer = stack.app.get(&demo("/live/batches/stopall")).await;
    let body = answer.assert_ok();
    assert_eq!(body["batches_stopped"], 2, "{body}");
    assert_eq!(body["batches_failed_to_stop"], 0);
    assert_eq!(body["request_info"]["message"], "2 Batches stopped");
    assert_eq!(
        stack
            .svc
            .query_i64("SELECT count(*) FROM batches WHERE state IN ('queued', 'running')")
            .await,
        0
    );
    let running = stack
        .app
        .get(&demo(&format!("/live/batches/{RUNNING_BATCH_ID}")))
        .await;
    assert_eq!(running.assert_ok()["batch"]["status"], "idle");

    let none_left = stack.app.get(&demo("/live/batches/stopall")).await;
    assert_eq!(
        none_left.assert_ok()["request_info"]["message"],
        "0 Batches stopped"
    );
}
