//! The HTTP surface without a service behind it: routing, the WSDL, limits, timeouts,
//! and the in-band errors the door raises by itself.

use std::time::{Duration, Instant};

use crate::helpers::*;
use soap_translator::{AppConfig, Mode};
use test_support::{Breakage, spawn_broken_upstream};

fn get_info_body(ticket: Option<&str>, token: Option<&str>) -> Vec<u8> {
    soap11(ticket, token, &op("GetBatchTaskInfo", "<Id>123456</Id>")).into_bytes()
}

fn soap11_headers(op: &str) -> Vec<(&'static str, String)> {
    vec![
        ("content-type", "text/xml; charset=utf-8".to_owned()),
        ("soapaction", format!("\"{}\"", action(op))),
    ]
}

async fn post(config: AppConfig, path: &str, op: &str, body: Vec<u8>) -> Answer {
    let headers = soap11_headers(op);
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    send(
        test_app(dead_upstream(), config),
        "POST",
        path,
        &headers,
        body,
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn wsdl_is_served_with_this_servers_address() {
    for query in ["wsdl", "WSDL", "singleWsdl"] {
        let uri = format!("/Cust12345/remote/Services86/Batch.svc?{query}");
        let answer = send(
            test_app(dead_upstream(), AppConfig::default()),
            "GET",
            &uri,
            &[("host", "soap.example:8081")],
            Vec::new(),
        )
        .await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.content_type, "text/xml; charset=utf-8");
        assert_well_formed(&answer.body);
        assert!(answer.body.contains(
            r#"<soap:address location="http://soap.example:8081/Cust12345/remote/Services86/Batch.svc"/>"#
        ));
        assert!(answer.body.contains(
            r#"targetNamespace="http://www.superoffice.net/ws/crm/NetServer/Services86""#
        ));
    }
}

/// The Serialization schema declares what SuperOffice's own Services86 Batch WSDL
/// does, `duration` included (a TimeSpan as WCF writes it), so that toolkits that
/// validate the schema, or map its types, see the same contract.
#[tokio::test(flavor = "multi_thread")]
async fn the_wsdl_serialization_schema_declares_duration() {
    let answer = send(
        test_app(dead_upstream(), AppConfig::default()),
        "GET",
        "/Remote/Services86/Batch.svc?wsdl",
        &[],
        Vec::new(),
    )
    .await;
    assert_eq!(answer.status, 200);
    let serialization = answer
        .body
        .split(r#"targetNamespace="http://schemas.microsoft.com/2003/10/Serialization/""#)
        .nth(1)
        .and_then(|rest| rest.split("</xs:schema>").next())
        .expect("a Serialization schema");
    for declaration in [
        r#"<xs:element name="duration" nillable="true" type="tns:duration"/>"#,
        r#"<xs:simpleType name="duration">"#,
        r#"<xs:restriction base="xs:duration">"#,
        r#"<xs:pattern value="\-?P(\d*D)?(T(\d*H)?(\d*M)?(\d*(\.\d*)?S)?)?"/>"#,
        r#"<xs:minInclusive value="-P10675199DT2H48M5.4775808S"/>"#,
        r#"<xs:maxInclusive value="P10675199DT2H48M5.4775807S"/>"#,
    ] {
        assert!(serialization.contains(declaration), "missing {declaration}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn other_paths_and_methods_are_refused() {
    let app = || test_app(dead_upstream(), AppConfig::default());
    let answer = send(
        app(),
        "POST",
        "/Remote/Services86/Contact.svc",
        &[],
        Vec::new(),
    )
    .await;
    assert_eq!(answer.status, 404);
    let answer = send(app(), "PUT", PATH, &[], Vec::new()).await;
    assert_eq!(answer.status, 405);
    let answer = send(app(), "GET", PATH, &[], Vec::new()).await;
    assert_eq!(answer.status, 200);
    assert!(answer.body.contains("?wsdl"));
    let answer = send(app(), "GET", "/healthz", &[], Vec::new()).await;
    assert_eq!(answer.status, 200);
    let answer = send(app(), "GET", "/readyz", &[], Vec::new()).await;
    assert_eq!(answer.status, 503);
}

#[tokio::test(flavor = "multi_thread")]
async fn online_mode_without_a_token_never_asks_the_service() {
    let config = AppConfig {
        mode: Mode::Online,
        ..AppConfig::default()
    };
    // The upstream is dead: had the door called it, the answer would say "unavailable".
    let answer = post(
        config,
        PATH,
        "GetBatchTaskInfo",
        get_info_body(Some("7T:x"), None),
    )
    .await;
    answer.assert_exception("AuthenticationException");
    assert!(
        answer
            .element("Message")
            .unwrap()
            .contains("ApplicationToken")
    );
    assert_eq!(answer.element("Source").as_deref(), Some("soap-translator"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_ticket_is_refused_in_band() {
    let answer = post(
        AppConfig::default(),
        PATH,
        "GetBatchTaskInfo",
        get_info_body(None, None),
    )
    .await;
    answer.assert_exception("AuthenticationException");
    assert!(answer.body.contains("<GetBatchTaskInfoResponse xmlns="));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_service_is_unavailable_in_band_and_quickly() {
    let started = Instant::now();
    let answer = post(
        AppConfig::default(),
        "/Cust1/Remote/Services86/Batch.svc",
        "GetBatchTaskInfo",
        get_info_body(Some("7T:x"), None),
    )
    .await;
    answer.assert_exception("ServiceUnavailableException");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_cut_by_the_service_is_unavailable_in_band_never_a_bug() {
    // Over real sockets at both ends: HTTP client -> door -> a gRPC peer that breaks
    // every call (reset, closed, cut mid-answer, stream reset, no status, or a
    // proxy's 503 with no replica behind it).
    for breakage in Breakage::ALL {
        let url = spawn_broken_upstream(breakage).await;
        let addr = serve(upstream(&url), AppConfig::default()).await;
        for (name, inner) in [
            ("GetBatchTaskInfo", "<Id>123456</Id>".to_owned()),
            (
                "DeleteBatchTasks",
                int_array("BatchTaskIds", &[123456, 123457]),
            ),
        ] {
            let body = soap11(Some("7T:x"), None, &op(name, &inner));
            let headers = soap11_headers(name);
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let started = Instant::now();
            let answer = http(addr, "POST", PATH, &headers, body.as_bytes()).await;
            assert_eq!(answer.status, 200, "{breakage:?} {name}: {}", answer.body);
            assert_eq!(
                answer.element("ExceptionType").as_deref(),
                Some("ServiceUnavailableException"),
                "{breakage:?} {name}: {}",
                answer.body
            );
            answer.assert_exception("ServiceUnavailableException");
            assert!(
                started.elapsed() < Duration::from_secs(3),
                "{breakage:?} {name} took {:?}",
                started.elapsed()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn declared_oversized_bodies_are_413() {
    let config = AppConfig {
        body_limit_bytes: 100,
        ..AppConfig::default()
    };
    let answer = post(
        config,
        PATH,
        "GetBatchTaskInfo",
        get_info_body(Some("7T:x"), None),
    )
    .await;
    assert_eq!(answer.status, 413);
    assert!(
        answer
            .element("faultstring")
            .unwrap()
            .contains("larger than 100 bytes")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_upload_times_out_with_a_fault() {
    let config = AppConfig {
        request_timeout_ms: 300,
        ..AppConfig::default()
    };
    let addr = serve(dead_upstream(), config).await;
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let head = format!(
        "POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n<s:Envelope"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
        .await
        .expect("answered before the test gave up")
        .unwrap();
    let answer = String::from_utf8(answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 500"), "{answer}");
    assert!(answer.contains("s:Server"), "{answer}");
    assert!(answer.contains("longer than 300 ms"), "{answer}");
}

#[tokio::test(flavor = "multi_thread")]
async fn soap12_requests_get_soap12_answers() {
    let body = soap12("7T:x", &op("GetBatchTaskInfo", "<Id>1</Id>"));
    let content_type = format!(
        "application/soap+xml; charset=utf-8; action=\"{}\"",
        action("GetBatchTaskInfo")
    );
    let answer = send(
        test_app(dead_upstream(), AppConfig::default()),
        "POST",
        PATH,
        &[("content-type", content_type.as_str())],
        body.into_bytes(),
    )
    .await;
    answer.assert_exception("ServiceUnavailableException");
    assert_eq!(answer.content_type, "application/soap+xml; charset=utf-8");
    assert!(
        answer
            .body
            .contains(r#"xmlns:s="http://www.w3.org/2003/05/soap-envelope""#)
    );
}
