//! Error statuses end to end, route precedence, tenant isolation, and recovery after
//! the service comes back.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use crate::helpers::{demo, spawn_app, stack};

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_api_key_is_401() {
    let stack = stack().await;
    for (method, path) in [
        (Method::GET, "/live/batches/123456?api_key=wrong"),
        (Method::DELETE, "/live/batches/123456?api_key=wrong"),
        (Method::GET, "/live/batches?api_key=wrong"),
        (Method::GET, "/live/batches/stopall?api_key=wrong"),
        // An id that cannot exist still needs a valid key.
        (Method::GET, "/live/batches/abc?api_key=wrong"),
        (Method::GET, "/live/batches/123456/results?api_key=wrong"),
    ] {
        let answer = stack.app.send(method.clone(), path, None).await;
        assert_eq!(
            answer.assert_error(401),
            "Supplied api_key is not valid",
            "{method} {path}"
        );
    }
    assert_eq!(
        stack
            .svc
            .query_i64("SELECT count(*) FROM batches WHERE id = 123456")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_and_impossible_ids_are_404() {
    let stack = stack().await;
    for id in [
        "999999",
        "abc",
        "0",
        "-1",
        "12.5",
        "99999999999999999999",
        "%E2%9C%93",
    ] {
        for method in [Method::GET, Method::DELETE] {
            let answer = stack
                .app
                .send(method.clone(), &demo(&format!("/live/batches/{id}")), None)
                .await;
            let shown = percent_decode(id);
            assert_eq!(
                answer.assert_error(404),
                format!("Batch with ID '{shown}' was not found"),
                "{method} {id}"
            );
        }
    }
    let results = stack
        .app
        .get(&demo("/live/batches/123456/results/1/csv"))
        .await;
    assert_eq!(
        results.assert_error(404),
        "No Result Set with ID '1' was found in this Batch, please check the ID and try again"
    );
    let results = stack.app.get(&demo("/live/batches/999999/results")).await;
    assert_eq!(
        results.assert_error(404),
        "Batch with ID '999999' was not found"
    );
}

fn percent_decode(raw: &str) -> String {
    if raw == "%E2%9C%93" {
        "✓".to_owned()
    } else {
        raw.to_owned()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_running_batch_is_409_and_nothing_is_deleted() {
    let stack = stack().await;
    let answer = stack.app.delete(&demo("/live/batches/123457")).await;
    let message = answer.assert_error(409);
    assert!(
        message.contains("'123457'") && message.contains("running"),
        "{message}"
    );
    assert_eq!(
        stack
            .svc
            .query_i64("SELECT count(*) FROM batches WHERE id = 123457")
            .await,
        1
    );
    assert_eq!(
        stack
            .svc
            .query_i64("SELECT count(*) FROM batch_deletions")
            .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_input_is_400() {
    let stack = stack().await;
    // Refused by the translator.
    let answer = stack
        .app
        .send_form(
            Method::PUT,
            &demo("/live/batches/123456"),
            "schedule_hours=25",
        )
        .await;
    assert!(answer.assert_error(400).starts_with("schedule_hours"));
    // Refused by the service (a name beyond its limit).
    let long = json!({"name": "n".repeat(100_000)});
    let answer = stack
        .app
        .send_json(Method::POST, &demo("/live/batches"), &long)
        .await;
    assert!(answer.assert_error(400).contains("name"));
    let too_many: Vec<_> = (0..1001).map(|i| json!({"q": format!("q{i}")})).collect();
    let answer = stack
        .app
        .send_json(Method::PUT, &demo("/live/batches/123456"), &json!(too_many))
        .await;
    answer.assert_error(400);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_over_the_limit_is_413() {
    let stack = stack().await;
    let app = spawn_app(&stack.svc.url(), &["--body-limit-bytes", "1024"]).await;
    let searches: Vec<_> = (0..100)
        .map(|i| json!({"q": format!("query number {i}")}))
        .collect();
    let answer = app
        .send_json(Method::PUT, &demo("/live/batches/123456"), &json!(searches))
        .await;
    answer.assert_error(413);
    assert_eq!(
        stack
            .svc
            .query_i64("SELECT count(*) FROM batch_items WHERE batch_id = 123456")
            .await,
        2
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stopped_service_is_503_quickly_and_the_door_recovers() {
    let mut stack = stack().await;
    stack
        .app
        .get(&demo("/live/batches/123456"))
        .await
        .assert_ok();
    stack.svc.stop().await;

    let started = Instant::now();
    let answer = stack.app.delete(&demo("/live/batches/123456")).await;
    answer.assert_error(503);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(stack.app.get("/readyz").await.status.as_u16(), 503);

    stack.svc.restart().await;
    // The channel reconnects by itself; give it a bounded number of tries.
    let mut answer = stack.app.get(&demo("/live/batches/123456")).await;
    for _ in 0..50 {
        if answer.status.is_success() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        answer = stack.app.get(&demo("/live/batches/123456")).await;
    }
    assert_eq!(answer.assert_ok()["batch"]["id"], "123456");
    assert_eq!(stack.app.get("/readyz").await.status.as_u16(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn literal_segments_win_over_ids() {
    let stack = stack().await;
    let stopall = stack.app.get(&demo("/live/batches/stopall")).await;
    assert!(
        stopall.assert_ok().get("batches_stopped").is_some(),
        "{}",
        stopall.text
    );

    // /batches/{id}/searches (bulk delete) is not /batches/{id}/{search_id}.
    let ids = stack
        .app
        .get(&demo("/live/batches/123456/searches/1"))
        .await;
    let first = ids.assert_ok()["searches"][0]["id"].clone();
    let answer = stack
        .app
        .send_json(
            Method::DELETE,
            &demo("/live/batches/123456/searches"),
            &json!([first]),
        )
        .await;
    assert_eq!(
        answer.assert_ok()["request_info"]["message"],
        "Searches deleted"
    );

    let clear = stack.app.delete(&demo("/live/batches/123456/clear")).await;
    assert_eq!(
        clear.assert_ok()["request_info"]["message"],
        "Batch searches cleared"
    );
    let start = stack.app.get(&demo("/live/batches/123456/start")).await;
    assert_eq!(
        start.assert_ok()["request_info"]["message"],
        "Batch started"
    );
    let stop = stack.app.get(&demo("/live/batches/123456/stop")).await;
    assert_eq!(stop.assert_ok()["request_info"]["message"], "Batch stopped");
    let results = stack.app.get(&demo("/live/batches/123456/results")).await;
    assert_eq!(results.assert_ok()["results_count"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn another_tenant_cannot_see_or_delete_the_seed_batch() {
    let stack = stack().await;
    let other = stack.svc.new_tenant("other").await;
    let key = &other.api_key;
    let get = stack
        .app
        .get(&format!("/live/batches/123456?api_key={key}"))
        .await;
    assert_eq!(
        get.assert_error(404),
        "Batch with ID '123456' was not found"
    );
    let delete = stack
        .app
        .delete(&format!("/live/batches/123456?api_key={key}"))
        .await;
    assert_eq!(
        delete.assert_error(404),
        "Batch with ID '123456' was not found"
    );
    let running = stack
        .app
        .delete(&format!("/live/batches/123457?api_key={key}"))
        .await;
    assert_eq!(
        running.assert_error(404),
        "Batch with ID '123457' was not found",
        "no hint that it runs"
    );
    assert_eq!(
        stack
            .svc
            .query_i64("SELECT count(*) FROM batches WHERE id = 123456")
            .await,
        1
    );
    let list = stack.app.get(&format!("/live/batches?api_key={key}")).await;
    assert_eq!(list.assert_ok()["total_count"], 0);
    let stopall = stack
        .app
        .get(&format!("/live/batches/stopall?api_key={key}"))
        .await;
    assert_eq!(stopall.assert_ok()["batches_stopped"], 0);
    assert_eq!(
        stack
            .svc
            .query_i64("SELECT count(*) FROM batches WHERE id = 123457 AND state = 'running'")
            .await,
        1
    );
}
