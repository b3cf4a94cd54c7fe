//! Searches end to end: list and find by page, clear, delete one, delete many.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Stack, demo, stack};

/// The ids of the seed batch's searches, in list order.
async fn search_ids(stack: &Stack) -> Vec<String> {
    let answer = stack
        .app
        .get(&demo("/live/batches/123456/searches/1"))
        .await;
    answer.assert_ok()["searches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn items_left(stack: &Stack) -> i64 {
    stack
        .svc
        .query_i64("SELECT count(*) FROM batch_items WHERE batch_id = 123456")
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn list_and_find_searches_by_page() {
    let stack = stack().await;
    let answer = stack
        .app
        .get(&demo("/live/batches/123456/searches/1"))
        .await;
    let body = answer.assert_ok();
    assert_eq!(body["batch_id"], "123456");
    assert_eq!(body["searches_page_current"], 1);
    assert_eq!(body["searches_page_count"], 1);
    let searches = body["searches"].as_array().unwrap();
    assert_eq!(searches.len(), 2);
    let mcdonalds = searches
        .iter()
        .find(|s| s["custom_id"] == "MyCustomID_001")
        .expect("seed search");
    assert_eq!(mcdonalds["q"], "mcdonalds");
    assert_eq!(mcdonalds["location"], "United States");
    assert!(mcdonalds["id"].as_str().unwrap().parse::<i64>().unwrap() > 0);

    let found = stack
        .app
        .get(&demo("/live/batches/123456/searches/1?q=BURGER"))
        .await;
    let found = found.assert_ok()["searches"].as_array().unwrap().clone();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["q"], "burger king");

    let beyond = stack
        .app
        .get(&demo("/live/batches/123456/searches/2"))
        .await;
    assert_eq!(beyond.assert_ok()["searches"], json!([]));
    let bad_page = stack
        .app
        .get(&demo("/live/batches/123456/searches/0"))
        .await;
    assert!(bad_page.assert_error(400).starts_with("page"));
    let missing = stack
        .app
        .get(&demo("/live/batches/999999/searches/1"))
        .await;
    assert_eq!(
        missing.assert_error(404),
        "Batch with ID '999999' was not found"
    );
    let downloads = stack
        .app
        .get(&demo("/live/batches/123456/searches/json"))
        .await;
    assert_eq!(downloads.assert_ok()["searches_total_count"], 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_one_search() {
    let stack = stack().await;
    let ids = search_ids(&stack).await;
    let answer = stack
        .app
        .delete(&demo(&format!("/live/batches/123456/{}", ids[0])))
        .await;
    assert_eq!(
        answer.assert_ok()["request_info"]["message"],
        "Search deleted"
    );
    assert_eq!(items_left(&stack).await, 1);

    let again = stack
        .app
        .delete(&demo(&format!("/live/batches/123456/{}", ids[0])))
        .await;
    assert_eq!(
        again.assert_error(404),
        format!(
            "No Search with ID '{}' was found in this Batch, please check the ID and try again",
            ids[0]
        )
    );
    let letters = stack
        .app
        .delete(&demo("/live/batches/123456/ABCDEFGHIJKLMNOP"))
        .await;
    assert!(
        letters
            .assert_error(404)
            .starts_with("No Search with ID 'ABCDEFGHIJKLMNOP'")
    );
    let no_batch = stack
        .app
        .delete(&demo(&format!("/live/batches/999999/{}", ids[1])))
        .await;
    assert_eq!(
        no_batch.assert_error(404),
        "Batch with ID '999999' was not found"
    );
    let running = stack.app.delete(&demo("/live/batches/123457/1")).await;
    assert!(running.assert_error(409).contains("123457"));
    assert_eq!(items_left(&stack).await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_many_searches_all_or_nothing() {
    let stack = stack().await;
    let ids = search_ids(&stack).await;
    let path = demo("/live/batches/123456/searches");

    // One id that does not exist: nothing is deleted.
    let with_missing = json!([ids[0], "999999999"]);
    let answer = stack
        .app
        .send_json(Method::DELETE, &path, &with_missing)
        .await;
    assert!(
        answer
            .assert_error(404)
            .starts_with("No Search with ID '999999999'")
    );
    assert_eq!(items_left(&stack).await, 2);

    let answer = stack
        .app
        .send_json(Method::DELETE, &path, &json!(ids))
        .await;
    assert_eq!(
        answer.assert_ok()["request_info"]["message"],
        "Searches deleted"
    );
    assert_eq!(items_left(&stack).await, 0);

    let empty = stack.app.send_json(Method::DELETE, &path, &json!([])).await;
    assert!(empty.assert_error(400).contains("JSON array"));
    let no_body = stack.app.send(Method::DELETE, &path, None).await;
    no_body.assert_error(400);
}

#[tokio::test(flavor = "multi_thread")]
async fn clear_removes_every_search() {
    let stack = stack().await;
    let answer = stack.app.delete(&demo("/live/batches/123456/clear")).await;
    assert_eq!(
        answer.text,
        r#"{"request_info":{"success":true,"message":"Batch searches cleared"}}"#
    );
    assert_eq!(items_left(&stack).await, 0);
    let batch = stack.app.get(&demo("/live/batches/123456")).await;
    let batch: &Value = &batch.assert_ok()["batch"];
    assert_eq!(
        (
            batch["searches_total_count"].clone(),
            batch["searches_page_count"].clone()
        ),
        (json!(0), json!(0))
    );
    let running = stack.app.delete(&demo("/live/batches/123457/clear")).await;
    assert!(running.assert_error(409).contains("123457"));
}
