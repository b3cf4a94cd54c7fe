//! The `rest-translator` binary itself: configured through the environment, serving,
//! and leaving cleanly (exit 0) on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::closed_port_url;

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_serves_and_exits_cleanly_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rest-translator"))
        .env("REST_LISTEN_ADDR", "127.0.0.1:0")
        .env("METRICS_LISTEN_ADDR", "127.0.0.1:0")
        .env("BATCH_SERVICE_URL", closed_port_url().await)
        .env("RUST_LOG", "info")
        .env("LOG_FORMAT", "text")
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");

    // The first log line names the bound address.
    let stderr = child.stderr.take().unwrap();
    let (found, address) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some((_, rest)) = line.split_once("listening on ") {
                let _ = found.send(
                    rest.split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                );
            }
        }
    });
    let address = address
        .recv_timeout(Duration::from_secs(10))
        .expect("a listening line");

    let body = reqwest::get(format!("http://{address}/healthz"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, "ok");

    let pid = child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || {
        for _ in 0..100 {
            if let Some(status) = child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        None
    })
    .await
    .unwrap();
    assert_eq!(status.expect("exits after SIGTERM").code(), Some(0));
}
