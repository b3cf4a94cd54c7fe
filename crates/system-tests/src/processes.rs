//! The real binaries as child processes.

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Where cargo put the workspace's binaries: next to the `deps/` folder holding this
/// test executable.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its own path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test runs from target/<profile>/deps");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is not built: run `cargo build --workspace --bins` (make test does)",
        path.display()
    );
    path
}

/// A free port on 127.0.0.1 (released again for the child to bind).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A running binary; killed if the test drops it without stopping it.
#[derive(Debug)]
pub struct Process {
    name: String,
    child: Option<Child>,
    /// What it wrote to stderr (its logs), line by line.
    logs: Arc<Mutex<Vec<String>>>,
}

impl Process {
    /// Starts `name` with `env`, collecting its logs.
    pub fn start(name: &str, args: &[&str], env: &[(&str, String)]) -> Self {
        let mut command = Command::new(binary(name));
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let logs = Arc::new(Mutex::new(Vec::new()));
        if let Some(stderr) = child.stderr.take() {
            let sink = Arc::clone(&logs);
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    sink.lock().unwrap_or_else(|e| e.into_inner()).push(line);
                }
            });
        }
        Self {
            name: name.to_owned(),
            child: Some(child),
            logs,
        }
    }

    /// A handle on the log lines collected so far (and later).
    pub fn logs(&self) -> Arc<Mutex<Vec<String>>> {
        Arc::clone(&self.logs)
    }

    /// Kills it with SIGKILL, as a crash or the OOM killer would, and reaps it.
    pub fn kill(mut self) {
        if let Some(mut child) = self.child.take() {
            // `Child::kill` sends SIGKILL on Unix.
            child.kill().expect("SIGKILL");
            let _ = child.wait();
        }
    }

    /// Sends SIGTERM and waits (at most `within`) for the exit.
    pub fn terminate(mut self, within: Duration) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        let pid = child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(
            sent.is_ok_and(|s| s.success()),
            "cannot signal {}",
            self.name
        );
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("{} did not exit within {within:?} of SIGTERM", self.name);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Polls `url` until it answers 200 (at most 20 s).
pub async fn wait_until_ok(url: &str) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(response) = client.get(url).send().await
            && response.status().is_success()
        {
            return;
        }
        assert!(Instant::now() < deadline, "{url} never answered 200");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `batch-service serve` on `127.0.0.1:<grpc_port>` over `database_url`, logging
/// warnings and errors only.
pub fn start_service(database_url: &str, grpc_port: u16) -> Process {
    Process::start(
        "batch-service",
        &["serve"],
        &[
            ("DATABASE_URL", database_url.to_owned()),
            ("GRPC_LISTEN_ADDR", format!("127.0.0.1:{grpc_port}")),
            ("METRICS_LISTEN_ADDR", format!("127.0.0.1:{}", free_port())),
            ("SHUTDOWN_GRACE_SECONDS", "10".to_owned()),
            ("RUST_LOG", "warn".to_owned()),
            ("LOG_FORMAT", "text".to_owned()),
        ],
    )
}

/// `rest-translator` or `soap-translator` on `127.0.0.1:<port>` in front of the
/// service on `grpc_port`; returns it and its base URL.
pub fn start_translator(name: &str, port: u16, grpc_port: u16) -> (Process, String) {
    let listen = match name {
        "rest-translator" => "REST_LISTEN_ADDR",
        "soap-translator" => "SOAP_LISTEN_ADDR",
        other => panic!("no translator called {other}"),
    };
    let process = Process::start(
        name,
        &[],
        &[
            (listen, format!("127.0.0.1:{port}")),
            ("METRICS_LISTEN_ADDR", format!("127.0.0.1:{}", free_port())),
            ("BATCH_SERVICE_URL", format!("http://127.0.0.1:{grpc_port}")),
            ("RUST_LOG", "warn".to_owned()),
            ("LOG_FORMAT", "text".to_owned()),
        ],
    );
    (process, format!("http://127.0.0.1:{port}"))
}

/// Polls until `127.0.0.1:<port>` accepts TCP connections (at most `within`); returns
/// when it did.
pub async fn wait_until_listening(port: u16, within: Duration) -> Instant {
    let deadline = Instant::now() + within;
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Instant::now();
        }
        assert!(
            Instant::now() < deadline,
            "nothing listened on port {port} within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

impl Process {
    /// Its log lines at WARN or ERROR (the last `n`), for failure messages.
    pub fn problems(&self, n: usize) -> Vec<String> {
        let logs = self.logs.lock().unwrap_or_else(|e| e.into_inner());
        let lines: Vec<String> = logs
            .iter()
            .filter(|l| l.contains("WARN") || l.contains("ERROR"))
            .cloned()
            .collect();
        lines[lines.len().saturating_sub(n)..].to_vec()
    }
}
