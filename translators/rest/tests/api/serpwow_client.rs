//! The official SerpWow Python client (`google-search-results-serpwow`, installed by
//! `tests/client/setup.sh` into `tests/client/.venv`) round-trips a batch through the
//! door: create, add, update and download searches, start; a test worker claims the
//! batch over gRPC and uploads a result set; the client lists and gets the result set
//! and downloads it in JSON, JSON Lines and CSV; a local receiver gets the webhook,
//! which fails, so the client's delete is refused and a `force=true` delete (which the
//! client cannot send) succeeds and takes the results along. Without Python, venv or
//! pip the test fails, saying why.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use test_support::WebhookReceiver;
use test_support::seed::API_KEY;

use crate::helpers::{demo, stack_with};
use crate::worker::{run_next, with_webhooks};

fn client_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/client")
}

/// Runs `setup.sh` (a no-op once the venv is ready) and returns the venv's Python.
fn client_python() -> PathBuf {
    let setup = client_dir().join("setup.sh");
    let output = Command::new("bash")
        .arg(&setup)
        .output()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", setup.display()));
    assert!(
        output.status.success(),
        "the SerpWow client could not be set up ({}); stdout: {} stderr: {}",
        setup.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    client_dir().join(".venv/bin/python")
}

/// Runs one step of `serpwow_client.py` and returns the JSON it printed.
async fn step(python: &Path, base: &str, args: &[&str]) -> Value {
    let mut command = Command::new(python);
    command
        .arg(client_dir().join("serpwow_client.py"))
        .arg(base)
        .arg(API_KEY)
        .args(args);
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "step {args:?} failed: {stdout} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_official_python_client_round_trips_a_batch_and_its_results() {
    let python = client_python();
    let stack = stack_with(with_webhooks()).await;
    let base = format!("http://{}", stack.app.address);
    let mut receiver = WebhookReceiver::start(500).await;

    let created = step(&python, &base, &["create", receiver.url()]).await;
    let batch_id = created["batch_id"].as_str().unwrap().to_owned();
    assert_eq!(created["searches_total_count"], 2);
    assert_eq!(created["updated"]["search"]["q"], "pizza near me");
    assert_eq!(created["found"], serde_json::json!(["pizza near me"]));
    assert_eq!(created["searches_json_pages"].as_array().unwrap().len(), 1);
    assert!(
        created["searches_csv_pages"][0]
            .as_str()
            .unwrap()
            .contains("/csv/1")
    );
    assert_eq!(created["started"]["success"], true);
    assert_eq!(created["status"], "queued");
    assert_eq!(created["in_list"], true);

    let ids: Vec<i64> = created["search_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap().parse().unwrap())
        .collect();
    let claimed = run_next(&stack.svc, &[(ids[0], true), (ids[1], true)]).await;
    assert_eq!(claimed.to_string(), batch_id);

    let results = step(&python, &base, &["results", &batch_id]).await;
    assert_eq!(results["listed"]["results_count"], 1);
    assert_eq!(results["result"]["searches_completed"], 2);
    let files = &results["files"];
    for format in ["json", "jsonlines", "csv"] {
        for which in ["page_1", "all_pages"] {
            assert_eq!(
                files[format][which]["status"], 200,
                "{format} {which}: {files}"
            );
        }
    }
    let json: Value =
        serde_json::from_str(files["json"]["all_pages"]["text"].as_str().unwrap()).unwrap();
    assert_eq!(json[0]["custom_id"], format!("custom-{}", ids[0]));
    assert_eq!(
        files["jsonlines"]["page_1"]["text"]
            .as_str()
            .unwrap()
            .lines()
            .count(),
        2
    );
    let csv = files["csv"]["page_1"]["text"].as_str().unwrap();
    assert!(csv.starts_with("id,custom_id,success,result\r\n"), "{csv}");

    // The failing receiver got the documented payload; the set's webhook failed.
    let got = receiver
        .next(Duration::from_secs(5))
        .await
        .expect("a webhook POST");
    let payload: Value = serde_json::from_str(&got.body).unwrap();
    assert_eq!(payload["request_info"]["type"], "batch_resultset_completed");
    assert_eq!(payload["batch"]["id"], batch_id.as_str());
    let links = &payload["result_set"]["download_links"];
    assert!(links.get("json").is_some() && links.get("csv").is_some());
    assert!(links.get("jsonlines").is_none());
    let mut status = Value::Null;
    for _ in 0..100 {
        let listed = stack
            .app
            .get(&demo(&format!("/live/batches/{batch_id}/results")))
            .await;
        status = listed.body["results"][0]["webhook_status"]["status"].clone();
        if status != "pending" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, "failed");

    let refused = step(&python, &base, &["delete", &batch_id]).await;
    assert_eq!(refused["request_info"]["success"], false);
    assert!(
        refused["request_info"]["message"]
            .as_str()
            .unwrap()
            .contains("force=true")
    );
    let forced = stack
        .app
        .delete(&demo(&format!("/live/batches/{batch_id}?force=true")))
        .await;
    forced.assert_ok();
    let gone = step(&python, &base, &["get", &batch_id]).await;
    assert_eq!(
        gone["request_info"]["message"],
        format!("Batch with ID '{batch_id}' was not found")
    );
    assert_eq!(stack.svc.query_i64("SELECT count(*) FROM results").await, 0);
}
