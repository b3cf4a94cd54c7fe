//! One REST delete and one SOAP delete through the real binaries, each exporting to a
//! fake OTLP collector: every request is one trace from the translator's HTTP span to
//! the service's database span, with each parent link right; and each binary's
//! `/metrics` parses and counts the calls.

#![expect(
    unused_crate_dependencies,
    reason = "a test target sees every dependency and dev-dependency of its package; the library is where unused ones are caught"
)]

use std::time::Duration;

use system_tests::collector::{self, ReceivedSpan};
use system_tests::metrics;
use system_tests::processes::{Process, free_port, wait_until_ok};
use test_support::{TestDatabase, seed};

/// OTLP span kinds.
const SERVER: i32 = 2;
const CLIENT: i32 = 3;

const SOAP_DELETE: &str = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">
  <s:Header>
    <Credentials xmlns="http://www.superoffice.net/ws/crm/NetServer/Services86"><Ticket>7T:1234abcxyzExample==</Ticket></Credentials>
  </s:Header>
  <s:Body>
    <DeleteBatchTask xmlns="http://www.superoffice.net/ws/crm/NetServer/Services86"><BatchTaskId>123458</BatchTaskId></DeleteBatchTask>
  </s:Body>
</s:Envelope>"#;

struct Stack {
    service: Process,
    rest: Process,
    soap: Process,
    rest_url: String,
    soap_url: String,
    metrics_urls: [String; 3],
}

async fn start_stack(db: &TestDatabase, otlp: std::net::SocketAddr) -> Stack {
    let (grpc, rest, soap) = (free_port(), free_port(), free_port());
    let metrics_ports = [free_port(), free_port(), free_port()];
    let common = |metrics_port: u16| {
        vec![
            ("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{otlp}")),
            ("METRICS_LISTEN_ADDR", format!("127.0.0.1:{metrics_port}")),
            ("BATCH_SERVICE_URL", format!("http://127.0.0.1:{grpc}")),
            (
                "RUST_LOG",
                "debug,h2=off,hyper=off,hyper_util=off,tonic=off,tower=off".to_owned(),
            ),
            ("LOG_FORMAT", "json".to_owned()),
        ]
    };
    let mut env = common(metrics_ports[0]);
    env.push(("DATABASE_URL", db.url().to_owned()));
    env.push(("GRPC_LISTEN_ADDR", format!("127.0.0.1:{grpc}")));
    env.push(("SHUTDOWN_GRACE_SECONDS", "5".to_owned()));
    let service = Process::start("batch-service", &["serve"], &env);
    let mut env = common(metrics_ports[1]);
    env.push(("REST_LISTEN_ADDR", format!("127.0.0.1:{rest}")));
    let rest_process = Process::start("rest-translator", &[], &env);
    let mut env = common(metrics_ports[2]);
    env.push(("SOAP_LISTEN_ADDR", format!("127.0.0.1:{soap}")));
    let soap_process = Process::start("soap-translator", &[], &env);

    let rest_url = format!("http://127.0.0.1:{rest}");
    let soap_url = format!("http://127.0.0.1:{soap}");
    // Ready means the translator reached the service's health check.
    wait_until_ok(&format!("{rest_url}/readyz")).await;
    wait_until_ok(&format!("{soap_url}/readyz")).await;
    Stack {
        service,
        rest: rest_process,
        soap: soap_process,
        rest_url,
        soap_url,
        metrics_urls: metrics_ports.map(|p| format!("http://127.0.0.1:{p}/metrics")),
    }
}

fn traceparent(trace_id: &str, parent: &str) -> String {
    format!("00-{trace_id}-{parent}-01")
}

/// The one span of `trace` that `service` exported under `name`.
fn span<'a>(spans: &'a [ReceivedSpan], service: &str, name: &str) -> &'a ReceivedSpan {
    let found: Vec<&ReceivedSpan> = spans
        .iter()
        .filter(|s| s.service == service && s.name == name)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one {name:?} span from {service}; trace: {spans:#?}"
    );
    found[0]
}

#[track_caller]
fn assert_child(child: &ReceivedSpan, parent: &ReceivedSpan) {
    assert_eq!(
        child.parent_span_id, parent.span_id,
        "{} ({}) must be a child of {} ({})",
        child.name, child.service, parent.name, parent.service
    );
}

/// Checks one request's trace and prints it as a tree.
fn check_trace(
    spans: &[ReceivedSpan],
    trace_id: &str,
    caller_span: &str,
    door: &str,
    http_name: &str,
) {
    let trace: Vec<ReceivedSpan> = spans
        .iter()
        .filter(|s| s.trace_id == trace_id)
        .cloned()
        .collect();
    let http = span(&trace, door, http_name);
    let client = span(&trace, door, "batch.v1.BatchService/DeleteBatches");
    let server = span(
        &trace,
        "batch-service",
        "batch.v1.BatchService/DeleteBatches",
    );
    let delete = span(&trace, "batch-service", "DELETE batches");

    assert_eq!(
        http.parent_span_id, caller_span,
        "the door continues the caller's trace"
    );
    assert_eq!(
        (http.kind, client.kind, server.kind, delete.kind),
        (SERVER, CLIENT, SERVER, CLIENT)
    );
    assert_child(client, http);
    assert_child(server, client);
    assert_child(delete, server);
    assert_eq!(
        http.attribute("http.request.method"),
        Some(http_name.split(' ').next().unwrap_or(""))
    );
    assert_eq!(http.attribute("http.response.status_code"), Some("200"));
    if door == "soap-translator" {
        assert_eq!(http.attribute("soap.operation"), Some("DeleteBatchTask"));
    }
    assert_eq!(server.attribute("rpc.system"), Some("grpc"));
    assert_eq!(server.attribute("rpc.method"), Some("DeleteBatches"));
    assert_eq!(server.attribute("rpc.grpc.status_code"), Some("0"));
    assert_eq!(delete.attribute("db.system.name"), Some("postgresql"));
    assert_eq!(delete.attribute("db.operation.name"), Some("DELETE"));
    for s in &trace {
        for (key, value) in &s.attributes {
            assert!(
                !value.contains("demo") && !value.contains("7T:"),
                "a secret leaked into {}.{key}",
                s.name
            );
        }
    }
    eprintln!("trace {trace_id} as the collector received it:");
    print_tree(&trace, caller_span, 1);
}

fn print_tree(trace: &[ReceivedSpan], parent: &str, depth: usize) {
    for s in trace.iter().filter(|s| s.parent_span_id == parent) {
        let kind = if s.kind == SERVER {
            "server"
        } else if s.kind == CLIENT {
            "client"
        } else {
            "internal"
        };
        eprintln!(
            "{}{} [{}, {kind}] span {}",
            "  ".repeat(depth),
            s.name,
            s.service,
            s.span_id
        );
        print_tree(trace, &s.span_id, depth + 1);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_request_is_one_trace_from_door_to_database_and_is_counted() {
    let db = TestDatabase::seeded().await;
    let (otlp, received) = collector::start().await;
    let stack = start_stack(&db, otlp).await;
    let http = reqwest::Client::new();

    let rest_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let response = http
        .delete(format!(
            "{}/live/batches/{}?api_key=demo",
            stack.rest_url,
            seed::IDLE_BATCH_ID
        ))
        .header("traceparent", traceparent(rest_trace, "00f067aa0ba902b7"))
        .send()
        .await
        .expect("REST answers");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.text().await.unwrap(),
        r#"{"request_info":{"success":true,"message":"batch deleted"}}"#
    );

    let soap_trace = "0af7651916cd43dd8448eb211c80319c";
    let response = http
        .post(format!("{}/Remote/Services86/Batch.svc", stack.soap_url))
        .header("content-type", "text/xml; charset=utf-8")
        .header(
            "soapaction",
            "\"http://www.superoffice.net/ws/crm/NetServer/Services86/Batch/DeleteBatchTask\"",
        )
        .header("traceparent", traceparent(soap_trace, "b7ad6b7169203331"))
        .body(SOAP_DELETE)
        .send()
        .await
        .expect("SOAP answers");
    assert_eq!(response.status(), 200);
    assert!(
        response.text().await.unwrap().contains(">true</"),
        "Succeeded true"
    );

    // Metrics, before the processes go.
    let texts = {
        let mut texts = Vec::new();
        for url in &stack.metrics_urls {
            texts.push(http.get(url).send().await.unwrap().text().await.unwrap());
        }
        texts
    };
    let [service_metrics, rest_metrics, soap_metrics] =
        [&texts[0], &texts[1], &texts[2]].map(|t| metrics::parse(t).expect("metrics parse"));
    let delete_rpc = "batch.v1.BatchService/DeleteBatches";
    assert_eq!(
        metrics::value(
            &service_metrics,
            "rpc_server_requests_total",
            &[("method", delete_rpc), ("code", "Ok")]
        ),
        Some(2.0)
    );
    assert_eq!(
        metrics::value(
            &service_metrics,
            "batch_delete_requests_total",
            &[("door", "rest"), ("outcome", "deleted")]
        ),
        Some(1.0)
    );
    assert_eq!(
        metrics::value(
            &service_metrics,
            "batch_delete_requests_total",
            &[("door", "soap"), ("outcome", "deleted")]
        ),
        Some(1.0)
    );
    assert_eq!(
        metrics::value(&service_metrics, "batch_deleted_batches_total", &[]),
        Some(2.0)
    );
    assert!(metrics::value(&service_metrics, "db_pool_max_connections", &[]).is_some());
    assert_eq!(
        metrics::value(
            &rest_metrics,
            "http_server_requests_total",
            &[
                ("method", "DELETE"),
                ("route", "/live/batches/{batch_id}"),
                ("status", "200")
            ]
        ),
        Some(1.0)
    );
    assert_eq!(
        metrics::value(
            &rest_metrics,
            "rpc_client_requests_total",
            &[("method", delete_rpc), ("code", "Ok")]
        ),
        Some(1.0)
    );
    assert_eq!(
        metrics::value(
            &soap_metrics,
            "http_server_requests_total",
            &[
                ("method", "POST"),
                ("route", "DeleteBatchTask"),
                ("status", "200")
            ]
        ),
        Some(1.0)
    );
    assert_eq!(
        metrics::value(
            &soap_metrics,
            "rpc_client_requests_total",
            &[("method", delete_rpc), ("code", "Ok")]
        ),
        Some(1.0)
    );
    assert!(
        metrics::value(
            &soap_metrics,
            "http_server_request_duration_seconds_count",
            &[("route", "DeleteBatchTask")]
        )
        .is_some()
    );

    // SIGTERM: each exits 0, flushing its spans on the way out.
    let Stack {
        service,
        rest,
        soap,
        ..
    } = stack;
    let (service_logs, rest_logs) = (service.logs(), rest.logs());
    for process in [rest, soap, service] {
        assert!(process.terminate(Duration::from_secs(15)).success());
    }

    // JSON log lines written inside a request carry its trace id.
    for (logs, trace) in [
        (&service_logs, rest_trace),
        (&service_logs, soap_trace),
        (&rest_logs, rest_trace),
    ] {
        let lines = logs.lock().unwrap().clone();
        let carrying = lines
            .iter()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|json| json["span"]["trace_id"] == trace)
            .count();
        assert!(
            carrying > 0,
            "no log line carries trace {trace}: {lines:#?}"
        );
    }

    let spans = received.spans();
    check_trace(
        &spans,
        rest_trace,
        "00f067aa0ba902b7",
        "rest-translator",
        "DELETE /live/batches/{batch_id}",
    );
    check_trace(
        &spans,
        soap_trace,
        "b7ad6b7169203331",
        "soap-translator",
        "POST",
    );
}
