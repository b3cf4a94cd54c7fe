//! A real SOAP toolkit against the served WSDL: Python `zeep` (installed by
//! `tests/toolkit/setup.sh` into `tests/toolkit/.venv`) builds a client from
//! `?wsdl` alone and calls GetBatchTaskInfo and DeleteBatchTasks through the door to
//! the service and PostgreSQL. Without Python, venv or pip the test fails, saying why.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::helpers::{serve, upstream};
use soap_translator::AppConfig;
use test_support::TestService;
use test_support::seed::{IDLE_BATCH_ID, RUNNING_BATCH_ID, SUCCEEDED_BATCH_ID, TICKET};

fn toolkit_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/toolkit")
}

/// Runs `setup.sh` (a no-op once the venv is ready) and returns the venv's Python.
fn toolkit_python() -> PathBuf {
    let setup = toolkit_dir().join("setup.sh");
    let output = Command::new("bash")
        .arg(&setup)
        .output()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", setup.display()));
    assert!(
        output.status.success(),
        "the zeep toolkit could not be set up ({}); stdout: {} stderr: {}",
        setup.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    toolkit_dir().join(".venv/bin/python")
}

/// The JSON object printed for `step`, as text (the script prints one per line).
fn step<'a>(lines: &'a [String], step: &str) -> &'a str {
    let marker = format!("\"step\": \"{step}\"");
    lines
        .iter()
        .find(|line| line.contains(&marker))
        .unwrap_or_else(|| panic!("no {step} step in {lines:#?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn zeep_generates_a_working_client_from_the_served_wsdl() {
    let python = toolkit_python();
    let service = TestService::start().await;
    let door = serve(upstream(&service.url()), AppConfig::default()).await;
    let wsdl = format!("http://{door}/Cust12345/Remote/Services86/Batch.svc?wsdl");
    let script = toolkit_dir().join("zeep_client.py");
    let output = tokio::task::spawn_blocking(move || {
        Command::new(&python)
            .arg(&script)
            .arg(&wsdl)
            .arg(TICKET)
            .arg(IDLE_BATCH_ID.to_string())
            .arg("999999")
            .output()
    })
    .await
    .unwrap()
    .expect("cannot run the zeep client");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "zeep client failed\nstdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{stdout}");
    let lines: Vec<String> = stdout.lines().map(str::to_owned).collect();

    assert!(step(&lines, "address").contains(&format!(
        "\"address\": \"http://{door}/Cust12345/Remote/Services86/Batch.svc\""
    )));
    let get = step(&lines, "get");
    for expected in [
        "\"succeeded\": true",
        "\"id\": 123456",
        "\"name\": \"My First Batch\"",
        "\"state\": \"New\"",
        "\"associate_id\": 1",
    ] {
        assert!(get.contains(expected), "{expected} not in {get}");
    }
    let missing = step(&lines, "get_missing");
    assert!(missing.contains("\"succeeded\": false"), "{missing}");
    assert!(
        missing.contains("\"exception_type\": \"NotFoundException\""),
        "{missing}"
    );
    let delete = step(&lines, "delete");
    assert!(delete.contains("\"succeeded\": true"), "{delete}");
    let deleted = step(&lines, "get_deleted");
    assert!(
        deleted.contains("\"exception_type\": \"NotFoundException\""),
        "{deleted}"
    );
    let list = step(&lines, "list");
    assert!(
        list.contains(&format!(
            "\"ids\": [{RUNNING_BATCH_ID}, {SUCCEEDED_BATCH_ID}]"
        )),
        "{list}"
    );
    let bad = step(&lines, "bad_ticket");
    assert!(
        bad.contains("\"exception_type\": \"AuthenticationException\""),
        "{bad}"
    );
    assert_eq!(
        service
            .query_i64(&format!(
                "SELECT count(*) FROM batches WHERE id = {IDLE_BATCH_ID}"
            ))
            .await,
        0
    );
}
