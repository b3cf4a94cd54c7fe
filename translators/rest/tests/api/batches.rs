//! Batches end to end: the seed's delete example, get, create, update, list.

use reqwest::Method;
use serde_json::{Value, json};
use test_support::seed::{IDLE_BATCH_ID, RUNNING_BATCH_ID, SUCCEEDED_BATCH_ID};

use crate::helpers::{demo, stack};

/// The seed document's example, verbatim: `curl -X DELETE
/// "https://api.serpwow.com/live/batches/123456?api_key=demo"`.
#[tokio::test(flavor = "multi_thread")]
async fn the_seed_example_deletes_batch_123456() {
    let stack = stack().await;
    let answer = stack.app.delete("/live/batches/123456?api_key=demo").await;
    assert_eq!(answer.status.as_u16(), 200);
    assert_eq!(
        answer.text,
        r#"{"request_info":{"success":true,"message":"batch deleted"}}"#
    );
    let svc = &stack.svc;
    assert_eq!(
        svc.query_i64("SELECT count(*) FROM batches WHERE id = 123456")
            .await,
        0
    );
    assert_eq!(
        svc.query_i64("SELECT count(*) FROM batch_items WHERE batch_id = 123456")
            .await,
        0
    );
    assert_eq!(
        svc.query_i64(
            "SELECT count(*) FROM batch_deletions WHERE door = 'rest' AND 123456 = ANY(batch_ids)"
        )
        .await,
        1,
        "the delete is recorded as coming through the REST door"
    );
    // Deleted means gone: a second delete does not find it.
    let again = stack.app.delete("/live/batches/123456?api_key=demo").await;
    assert_eq!(
        again.assert_error(404),
        "Batch with ID '123456' was not found"
    );
    // `force` is accepted.
    let answer = stack
        .app
        .delete(&demo(&format!(
            "/live/batches/{SUCCEEDED_BATCH_ID}?force=true"
        )))
        .await;
    assert_eq!(
        answer.assert_ok()["request_info"]["message"],
        "batch deleted"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_callers_trace_context_reaches_the_service() {
    let stack = stack().await;
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let response = stack
        .app
        .http
        .delete(stack.app.url(&demo("/live/batches/123456")))
        .header("traceparent", format!("00-{trace_id}-00f067aa0ba902b7-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let recorded = stack
        .svc
        .query_i64(&format!(
            "SELECT count(*) FROM batch_deletions WHERE trace_id = '{trace_id}'"
        ))
        .await;
    assert_eq!(
        recorded, 1,
        "the delete audit carries the caller's trace id"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn get_shows_the_seed_batch_as_serpwow_does() {
    let stack = stack().await;
    let answer = stack.app.get(&demo("/live/batches/123456")).await;
    let batch = answer.assert_ok()["batch"].clone();
    let expected = json!({
        "id": "123456", "name": "My First Batch", "schedule_type": "daily", "priority": "normal",
        "destination_ids": [], "enabled": true, "status": "idle",
        "searches_total_count": 2, "searches_page_count": 1, "credits_required": 2,
        "next_result_set_id": 1, "results_count": 0, "schedule_hours": [9, 17],
        "notification_email": "john.smith@example.com", "notification_as_json": false,
        "notification_as_jsonlines": false, "notification_as_csv": true
    });
    for (key, value) in expected.as_object().unwrap() {
        assert_eq!(&batch[key], value, "{key} in {batch}");
    }
    assert!(batch.get("last_run").is_none(), "never ran: no last_run");
    assert!(
        batch.get("schedule_days_of_week").is_none(),
        "unset lists are left out"
    );
    assert_serpwow_time(&batch["created_at"]);

    let running = stack
        .app
        .get(&demo(&format!("/live/batches/{RUNNING_BATCH_ID}")))
        .await;
    let running = &running.assert_ok()["batch"];
    assert_eq!(running["status"], "running");
    assert_serpwow_time(&running["last_run"]);
    let done = stack
        .app
        .get(&demo(&format!("/live/batches/{SUCCEEDED_BATCH_ID}")))
        .await;
    let done = &done.assert_ok()["batch"];
    assert_eq!(done["status"], "idle");
    assert_eq!(done["results_count"], 1);
    assert_eq!(done["next_result_set_id"], 2);
}

/// `2020-01-01T00:00:00.000Z`.
#[track_caller]
fn assert_serpwow_time(value: &Value) {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a time: {value}"));
    let bytes = text.as_bytes();
    assert_eq!(bytes.len(), 24, "{text}");
    assert_eq!(
        (bytes[10], bytes[19], bytes[23]),
        (b'T', b'.', b'Z'),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn create_from_the_documented_form_and_from_json() {
    let stack = stack().await;
    // SerpWow's create example, as curl -d sends it.
    let form = "name=My+First+Batch&enabled=true&schedule_type=daily&priority=normal\
        &schedule_hours=9%2C17&destination_ids=ABCDEFG\
        &notification_email=john.smith%40example.com&notification_as_csv=true";
    let answer = stack
        .app
        .send_form(Method::POST, &demo("/live/batches"), form)
        .await;
    let batch = answer.assert_ok()["batch"].clone();
    assert_eq!(batch["name"], "My First Batch");
    assert_eq!(batch["schedule_type"], "daily");
    assert_eq!(batch["schedule_hours"], json!([9, 17]));
    assert_eq!(batch["destination_ids"], json!(["ABCDEFG"]));
    assert_eq!(batch["notification_as_csv"], true);
    assert_eq!(batch["status"], "idle");
    assert_eq!(batch["searches_total_count"], 0);
    let id = batch["id"].as_str().unwrap().to_owned();
    assert!(id.parse::<i64>().unwrap() > 0);
    let stored = stack
        .svc
        .query_i64(&format!("SELECT count(*) FROM batches WHERE id = {id}"))
        .await;
    assert_eq!(stored, 1);

    // JSON, with the loose types clients send.
    let body = json!({"name": "Weekly", "schedule_type": "weekly", "schedule_days_of_week": "1",
        "schedule_hours": 8, "enabled": "1", "priority": "high", "searches_type": "google_web"});
    let answer = stack
        .app
        .send_json(Method::POST, &demo("/live/batches"), &body)
        .await;
    let batch = &answer.assert_ok()["batch"];
    assert_eq!(batch["schedule_days_of_week"], json!([1]));
    assert_eq!(batch["schedule_hours"], json!([8]));
    assert_eq!(batch["enabled"], true);
    assert_eq!(batch["priority"], "high");
    assert_eq!(batch["searches_type"], "google_web");

    let nameless = stack
        .app
        .send_json(Method::POST, &demo("/live/batches"), &json!({}))
        .await;
    assert!(nameless.assert_error(400).starts_with("name"));
}

#[tokio::test(flavor = "multi_thread")]
async fn update_settings_and_add_searches() {
    let stack = stack().await;
    let path = demo("/live/batches/123456");
    // SerpWow's update example: numbers as strings.
    let body =
        json!({"schedule_type": "weekly", "schedule_days_of_week": "1", "schedule_hours": "8"});
    let answer = stack.app.send_json(Method::PUT, &path, &body).await;
    let batch = &answer.assert_ok()["batch"];
    assert_eq!(batch["schedule_type"], "weekly");
    assert_eq!(batch["schedule_days_of_week"], json!([1]));
    assert_eq!(batch["schedule_hours"], json!([8]));
    assert_eq!(batch["name"], "My First Batch", "fields not sent are kept");
    assert_eq!(batch["notification_email"], "john.smith@example.com");

    // Form-encoded settings.
    let answer = stack
        .app
        .send_form(Method::PUT, &path, "name=Renamed&notification_as_json=1")
        .await;
    let batch = &answer.assert_ok()["batch"];
    assert_eq!(batch["name"], "Renamed");
    assert_eq!(batch["notification_as_json"], true);

    // Add searches: the documented wrapper, then a bare array.
    let searches = json!({"searches": [
        {"q": "pizza", "location": "United States", "custom_id": "p1"},
        {"q": "tacos", "num": 100}
    ]});
    let answer = stack.app.send_json(Method::PUT, &path, &searches).await;
    assert_eq!(answer.assert_ok()["batch"]["searches_total_count"], 4);
    let answer = stack
        .app
        .send_json(Method::PUT, &path, &json!([{"q": "sushi"}]))
        .await;
    assert_eq!(answer.assert_ok()["batch"]["searches_total_count"], 5);
    let items = stack
        .svc
        .query_i64("SELECT count(*) FROM batch_items WHERE batch_id = 123456")
        .await;
    assert_eq!(items, 5);

    // Settings and searches in one call.
    let both = json!({"name": "Both", "searches": [{"q": "ramen"}]});
    let answer = stack.app.send_json(Method::PUT, &path, &both).await;
    let batch = &answer.assert_ok()["batch"];
    assert_eq!(
        (batch["name"].clone(), batch["searches_total_count"].clone()),
        (json!("Both"), json!(6))
    );

    // An empty body changes nothing and shows the batch.
    let answer = stack.app.send(Method::PUT, &path, None).await;
    assert_eq!(answer.assert_ok()["batch"]["name"], "Both");

    // Not while running.
    let running = demo(&format!("/live/batches/{RUNNING_BATCH_ID}"));
    let answer = stack
        .app
        .send_json(Method::PUT, &running, &json!({"name": "x"}))
        .await;
    assert!(answer.assert_error(409).contains("123457"));
    let answer = stack
        .app
        .send_json(Method::PUT, &running, &json!([{"q": "x"}]))
        .await;
    assert!(answer.assert_error(409).contains("123457"));
}

#[tokio::test(flavor = "multi_thread")]
async fn list_pages_filters_and_sorts() {
    let stack = stack().await;
    let answer = stack.app.get(&demo("/live/batches")).await;
    let body = answer.assert_ok();
    let total = body["total_count"].as_i64().unwrap();
    assert!(total >= 3, "{body}");
    assert_eq!(body["current_page"], 1);
    assert_eq!(body["total_pages"], 1);
    assert_eq!(body["count_this_page"].as_i64().unwrap(), total);
    let names: Vec<&str> = body["batches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "sorted by name by default");

    let answer = stack
        .app
        .get(&demo("/live/batches?page_size=1&page=2"))
        .await;
    let body = answer.assert_ok();
    assert_eq!(
        (
            body["current_page"].clone(),
            body["count_this_page"].clone()
        ),
        (json!(2), json!(1))
    );
    assert_eq!(body["total_pages"].as_i64().unwrap(), total);
    assert_eq!(body["batches"][0]["name"], names[1]);

    let answer = stack
        .app
        .get(&demo(
            "/live/batches?sort_by=name&sort_direction=descending",
        ))
        .await;
    assert_eq!(
        answer.assert_ok()["batches"][0]["name"],
        names[names.len() - 1]
    );

    let ids = |answer: &crate::helpers::Answer| -> Vec<String> {
        answer.body["batches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let running = stack.app.get(&demo("/live/batches?status=running")).await;
    assert_eq!(ids(&running), [RUNNING_BATCH_ID.to_string()]);
    let idle = ids(&stack.app.get(&demo("/live/batches?status=idle")).await);
    assert!(
        idle.contains(&IDLE_BATCH_ID.to_string()) && idle.contains(&SUCCEEDED_BATCH_ID.to_string())
    );
    assert!(!idle.contains(&RUNNING_BATCH_ID.to_string()));

    let found = stack
        .app
        .get(&demo("/live/batches?search_term=first"))
        .await;
    assert_eq!(ids(&found), [IDLE_BATCH_ID.to_string()]);
    let with_results = stack
        .app
        .get(&demo("/live/batches?only_with_results=true"))
        .await;
    assert_eq!(ids(&with_results), [SUCCEEDED_BATCH_ID.to_string()]);
    let future = stack
        .app
        .get(&demo(
            "/live/batches?created_after=2999-01-01T00:00:00.000Z",
        ))
        .await;
    assert_eq!(future.assert_ok()["total_count"], 0);
}
