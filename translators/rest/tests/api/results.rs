//! Result sets through the REST door: listed newest first, fetched with download links
//! in three formats, the linked files served (with the api_key), searches downloaded
//! and updated, webhooks resent, and the delete rule for failed webhooks.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use test_support::WebhookReceiver;

use crate::helpers::{Stack, demo, stack, stack_with};
use crate::worker::{run_next, with_webhooks};

/// The seed batch's search ids.
async fn search_ids(stack: &Stack) -> Vec<i64> {
    let answer = stack
        .app
        .get(&demo("/live/batches/123456/searches/1"))
        .await;
    answer.assert_ok()["searches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().parse().unwrap())
        .collect()
}

/// A link of this door, fetched with the seed's api_key: status, content type, body.
async fn fetch(stack: &Stack, link: &str) -> (u16, String, String) {
    let path = link.split_once("://").unwrap().1;
    let path = &path[path.find('/').unwrap()..];
    let response = stack
        .app
        .http
        .get(stack.app.url(&demo(path)))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    (status, content_type, response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn result_sets_are_listed_with_links_and_served_in_three_formats() {
    let stack = stack().await;
    let ids = search_ids(&stack).await;
    stack
        .app
        .get(&demo("/live/batches/123456/start"))
        .await
        .assert_ok();
    run_next(&stack.svc, &[(ids[0], true), (ids[1], false)]).await;

    let listed = stack.app.get(&demo("/live/batches/123456/results")).await;
    let body = listed.assert_ok();
    assert_eq!(body["batch_id"], "123456");
    assert_eq!(body["batch"]["results_count"], 1);
    assert_eq!(body["batch"]["next_result_set_id"], 2);
    assert_eq!(body["results_count"], 1);
    let set = &body["results"][0];
    assert_eq!(set["id"], 1);
    assert_eq!(
        (
            &set["searches_completed"],
            &set["searches_failed"],
            &set["searches_total"]
        ),
        (&json!(1), &json!(1), &json!(2))
    );
    assert_eq!(set["results_page_count"], 1);
    assert!(set["expires_at"].as_str().unwrap().ends_with('Z'));
    assert!(
        set.get("download_links").is_none(),
        "only Get Result Set has links"
    );

    let base = format!("http://{}", stack.app.address);
    let got = stack.app.get(&demo("/live/batches/123456/results/1")).await;
    let links = &got.assert_ok()["result"]["download_links"];
    assert_eq!(
        links["pages"],
        json!([format!("{base}/live/batches/123456/results/1/files/json/1")])
    );
    let (status, content_type, text) = fetch(&stack, links["all_pages"].as_str().unwrap()).await;
    assert_eq!((status, content_type.as_str()), (200, "application/json"));
    let rows: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 2);
    assert_eq!(rows[0]["id"], ids[0].to_string());
    assert_eq!(rows[0]["success"], true);
    assert_eq!(rows[0]["result"]["organic_results"][0]["position"], 1);

    let got = stack
        .app
        .get(&demo("/live/batches/123456/results/1/jsonlines"))
        .await;
    let link = got.assert_ok()["result"]["download_links"]["pages"][0].clone();
    let (status, _, text) = fetch(&stack, link.as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(text.lines().count(), 2);
    let line: Value = serde_json::from_str(text.lines().nth(1).unwrap()).unwrap();
    assert_eq!(line["success"], false);

    let got = stack
        .app
        .get(&demo(
            "/live/batches/123456/results/1/csv?csv_fields=id,success,organic_results.0.title",
        ))
        .await;
    let link = got.assert_ok()["result"]["download_links"]["all_pages"].clone();
    assert!(
        link.as_str()
            .unwrap()
            .ends_with("?csv_fields=id%2Csuccess%2Corganic_results.0.title")
    );
    let (status, content_type, text) = fetch(&stack, link.as_str().unwrap()).await;
    assert_eq!(
        (status, content_type.as_str()),
        (200, "text/csv; charset=utf-8")
    );
    assert_eq!(
        text,
        format!(
            "id,success,organic_results.0.title\r\n{0},true,Result for {0}\r\n{1},false,Result for {1}\r\n",
            ids[0], ids[1]
        )
    );

    // The files are authenticated like every route.
    let anonymous = stack
        .app
        .get("/live/batches/123456/results/1/files/json/all")
        .await;
    anonymous.assert_error(401);
    let missing = stack.app.get(&demo("/live/batches/123456/results/7")).await;
    assert!(
        missing
            .assert_error(404)
            .starts_with("No Result Set with ID '7'")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn searches_are_downloaded_and_one_is_updated() {
    let stack = stack().await;
    let ids = search_ids(&stack).await;
    let links = stack
        .app
        .get(&demo("/live/batches/123456/searches/json"))
        .await;
    let body = links.assert_ok();
    assert_eq!(
        (&body["searches_total_count"], &body["searches_page_count"]),
        (&json!(2), &json!(1))
    );
    let (status, _, text) =
        fetch(&stack, body["download_links"]["pages"][0].as_str().unwrap()).await;
    assert_eq!(status, 200);
    let searches: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(searches.as_array().unwrap().len(), 2);

    let csv = stack
        .app
        .get(&demo("/live/batches/123456/searches/csv"))
        .await;
    let link = csv.assert_ok()["download_links"]["pages"][0].clone();
    let (_, content_type, text) = fetch(&stack, link.as_str().unwrap()).await;
    assert!(content_type.starts_with("text/csv"));
    assert!(text.starts_with("id,custom_id,"), "{text}");
    assert_eq!(text.lines().count(), 3);

    let path = format!("/live/batches/123456/{}", ids[0]);
    let updated = stack
        .app
        .send_json(
            Method::PUT,
            &demo(&path),
            &json!({"q": "burger king", "source": "python"}),
        )
        .await;
    assert_eq!(
        updated.assert_ok(),
        &json!({"request_info": {"success": true}, "search": {"q": "burger king"}})
    );
    let page = stack
        .app
        .get(&demo("/live/batches/123456/searches/1"))
        .await;
    assert_eq!(page.assert_ok()["searches"][0]["q"], "burger king");
    assert!(page.body["searches"][0].get("source").is_none());
    let missing = stack
        .app
        .send_json(
            Method::PUT,
            &demo("/live/batches/123456/999999"),
            &json!({"q": "x"}),
        )
        .await;
    assert!(
        missing
            .assert_error(404)
            .starts_with("No Search with ID '999999'")
    );
}

/// Polls the set until its webhook is no longer pending; returns the set.
async fn settled(stack: &Stack, batch: i64) -> Value {
    for _ in 0..100 {
        let listed = stack
            .app
            .get(&demo(&format!("/live/batches/{batch}/results")))
            .await;
        let set = listed.assert_ok()["results"][0].clone();
        if set["webhook_status"]["status"] != "pending" {
            return set;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the webhook stayed pending");
}

async fn set_webhook(stack: &Stack, url: &str) {
    stack
        .app
        .send_json(
            Method::PUT,
            &demo("/live/batches/123456"),
            &json!({"notification_webhook": url, "notification_as_jsonlines": true}),
        )
        .await
        .assert_ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_webhook_is_posted_and_resent() {
    let stack = stack_with(with_webhooks()).await;
    let mut receiver = WebhookReceiver::start(200).await;
    set_webhook(&stack, receiver.url()).await;
    stack
        .app
        .get(&demo("/live/batches/123456/start"))
        .await
        .assert_ok();
    let batch = run_next(&stack.svc, &[]).await;
    let got = receiver.next(Duration::from_secs(5)).await.expect("a POST");
    let payload: Value = serde_json::from_str(&got.body).unwrap();
    assert_eq!(
        payload["request_info"],
        json!({"success": true, "type": "batch_resultset_completed"})
    );
    assert_eq!(
        payload["result_set"]["download_links"]["jsonlines"]["pages"][0],
        format!("http://rest.example/live/batches/{batch}/results/1/files/jsonlines/1")
    );
    assert_eq!(
        settled(&stack, batch).await["webhook_status"]["status"],
        "ok"
    );

    let resent = stack
        .app
        .get(&demo(&format!(
            "/live/batches/{batch}/results/1/resendwebhook"
        )))
        .await;
    assert_eq!(
        resent.assert_ok()["request_info"]["message"],
        "Webhook resent"
    );
    assert!(receiver.next(Duration::from_secs(5)).await.is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_webhook_refuses_the_delete_unless_forced() {
    let stack = stack_with(with_webhooks()).await;
    let mut receiver = WebhookReceiver::start(503).await;
    set_webhook(&stack, receiver.url()).await;
    stack
        .app
        .get(&demo("/live/batches/123456/start"))
        .await
        .assert_ok();
    let batch = run_next(&stack.svc, &[]).await;
    assert!(receiver.next(Duration::from_secs(5)).await.is_some());
    let set = settled(&stack, batch).await;
    assert_eq!(set["webhook_status"]["status"], "failed");

    let refused = stack.app.delete(&demo("/live/batches/123456")).await;
    assert!(
        refused.assert_error(409).contains("force=true"),
        "{}",
        refused.text
    );
    let forced = stack
        .app
        .delete(&demo("/live/batches/123456?force=true"))
        .await;
    assert_eq!(
        forced.assert_ok()["request_info"]["message"],
        "batch deleted"
    );
    assert_eq!(
        stack
            .svc
            .query_i64("SELECT count(*) FROM result_sets")
            .await,
        0
    );
    assert_eq!(stack.svc.query_i64("SELECT count(*) FROM results").await, 0);
}
