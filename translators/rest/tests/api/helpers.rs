//! A rest-translator on a `127.0.0.1:0` socket, and a small HTTP client for it.

use std::net::SocketAddr;

use clap::Parser;
use reqwest::{Method, StatusCode};
use rest_translator::{Config, app};
use serde_json::Value;
use translator_common::{Door, Upstream};

/// A running translator. It stops when the test's runtime ends.
pub(crate) struct TestApp {
    pub(crate) address: SocketAddr,
    pub(crate) http: reqwest::Client,
}

/// An answer: status, and the body as JSON (`Null` when it is not JSON).
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) body: Value,
    pub(crate) text: String,
}

impl Answer {
    /// `request_info.message`, or "" when absent.
    pub(crate) fn message(&self) -> &str {
        self.body["request_info"]["message"]
            .as_str()
            .unwrap_or_default()
    }

    /// Asserts SerpWow's error shape with this status, and returns the message.
    #[track_caller]
    pub(crate) fn assert_error(&self, status: u16) -> &str {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
        assert_eq!(self.body["request_info"]["success"], false, "{}", self.text);
        let info = self.body["request_info"].as_object().expect("request_info");
        assert_eq!(info.len(), 2, "only success and message: {}", self.text);
        assert_eq!(self.body.as_object().unwrap().len(), 1, "{}", self.text);
        self.message()
    }

    /// Asserts a 200 with `success: true`.
    #[track_caller]
    pub(crate) fn assert_ok(&self) -> &Value {
        assert_eq!(self.status, StatusCode::OK, "{}", self.text);
        assert_eq!(self.body["request_info"]["success"], true, "{}", self.text);
        &self.body
    }
}

/// Serves the translator in front of `batch_service_url`, with extra flags.
pub(crate) async fn spawn_app(batch_service_url: &str, flags: &[&str]) -> TestApp {
    let mut args = vec![
        "rest-translator",
        "--listen",
        "127.0.0.1:0",
        "--batch-service-url",
        batch_service_url,
    ];
    args.extend_from_slice(flags);
    let config = Config::try_parse_from(args).expect("valid flags");
    // As in the binary: spans with trace context, which the upstream channel forwards.
    static TELEMETRY: std::sync::OnceLock<telemetry::TelemetryGuard> = std::sync::OnceLock::new();
    TELEMETRY.get_or_init(|| telemetry::init(&config.telemetry, "rest-translator"));
    let upstream = Upstream::connect_lazy(&config.upstream, Door::Rest).expect("valid url");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router = app(upstream, &config);
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    TestApp {
        address,
        http: reqwest::Client::new(),
    }
}

/// An address where nothing listens: connections are refused at once.
///
/// The port stays bound (without listening) for the rest of the test process, so no
/// other test's server can be handed it and answer in its place; a port merely freed
/// could be, and once was.
pub(crate) async fn closed_port_url() -> String {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let address = socket.local_addr().unwrap();
    std::mem::forget(socket);
    format!("http://{address}")
}

impl TestApp {
    pub(crate) fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{}", self.address, path_and_query)
    }

    /// Sends `method` to `path_and_query` with an optional body and content type.
    pub(crate) async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> Answer {
        let mut request = self.http.request(method, self.url(path_and_query));
        if let Some((content_type, bytes)) = body {
            request = request.header("content-type", content_type).body(bytes);
        }
        let response = request.send().await.expect("the translator answers");
        let status = response.status();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer { status, body, text }
    }

    pub(crate) async fn get(&self, path_and_query: &str) -> Answer {
        self.send(Method::GET, path_and_query, None).await
    }

    pub(crate) async fn delete(&self, path_and_query: &str) -> Answer {
        self.send(Method::DELETE, path_and_query, None).await
    }

    /// A JSON body.
    pub(crate) async fn send_json(
        &self,
        method: Method,
        path_and_query: &str,
        body: &Value,
    ) -> Answer {
        let bytes = serde_json::to_vec(body).unwrap();
        self.send(method, path_and_query, Some(("application/json", bytes)))
            .await
    }

    /// A form-encoded body, written out as clients do (`a=1&b=9%2C17`).
    pub(crate) async fn send_form(
        &self,
        method: Method,
        path_and_query: &str,
        form: &str,
    ) -> Answer {
        let bytes = form.as_bytes().to_vec();
        self.send(
            method,
            path_and_query,
            Some(("application/x-www-form-urlencoded", bytes)),
        )
        .await
    }
}

/// The whole chain: batch-service over a fresh seeded database, and a translator in
/// front of it.
pub(crate) struct Stack {
    pub(crate) app: TestApp,
    pub(crate) svc: test_support::TestService,
}

/// Starts a [`Stack`]. Needs `TEST_DATABASE_URL`.
pub(crate) async fn stack() -> Stack {
    stack_with(test_support::TestServiceOptions::default()).await
}

/// A [`Stack`] whose service runs with `options` (e.g. webhook delivery).
pub(crate) async fn stack_with(options: test_support::TestServiceOptions) -> Stack {
    let svc = test_support::TestService::start_with(options).await;
    let app = spawn_app(&svc.url(), &[]).await;
    Stack { app, svc }
}

/// `path` with the seed's api_key (and the parameters the official clients add).
pub(crate) fn demo(path: &str) -> String {
    let separator = if path.contains('?') { '&' } else { '?' };
    format!("{path}{separator}api_key=demo&source=nodejs&app_name=serpwow")
}
