//! Where SOAP and HTTP say what a server must accept or refuse, over real sockets and
//! without a service behind the door: UTF-16 bodies, `mustUnderstand` headers, the
//! `Host` rule, Faults for unknown paths and methods, and StartBatchJob without a task.
//! (Documents that are not well-formed are in the hostile corpus, `tests/corpus/`.)

use crate::helpers::*;
use soap_translator::AppConfig;

async fn door() -> std::net::SocketAddr {
    serve(dead_upstream(), AppConfig::default()).await
}

fn get_info_envelope() -> String {
    soap11(
        Some("7T:abc=="),
        None,
        &op("GetBatchTaskInfo", "<Id>1</Id>"),
    )
}

fn utf16le(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn utf16be(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

/// The call was read and dispatched: the (absent) service is what answers, in band.
fn assert_reached_the_service(answer: &Answer, case: &str) {
    assert_eq!(answer.status, 200, "{case}: {}", answer.body);
    assert_eq!(
        answer.element("ExceptionType").as_deref(),
        Some("ServiceUnavailableException"),
        "{case}: {}",
        answer.body
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn utf16_bodies_are_read_in_either_byte_order() {
    let addr = door().await;
    let declared = format!(
        "<?xml version=\"1.0\" encoding=\"utf-16\"?>{}",
        get_info_envelope()
    );
    let with_bom = |bom: &[u8], text: Vec<u8>| [bom.to_vec(), text].concat();
    let cases: Vec<(&str, &str, Vec<u8>)> = vec![
        (
            "LE with BOM, no charset",
            "text/xml",
            with_bom(b"\xFF\xFE", utf16le(&declared)),
        ),
        (
            "BE with BOM, charset=utf-16",
            "text/xml; charset=utf-16",
            with_bom(b"\xFE\xFF", utf16be(&get_info_envelope())),
        ),
        (
            "LE without BOM, charset=utf-16",
            "text/xml; charset=utf-16",
            utf16le(&declared),
        ),
        (
            "BE without BOM, charset=utf-16",
            "text/xml; charset=\"UTF-16\"",
            utf16be(&get_info_envelope()),
        ),
        (
            "BE without BOM, charset=utf-16be",
            "text/xml; charset=utf-16be",
            utf16be(&declared),
        ),
    ];
    for (case, content_type, body) in cases {
        let answer = http(addr, "POST", PATH, &[("content-type", content_type)], &body).await;
        assert_reached_the_service(&answer, case);
        assert_eq!(answer.content_type, "text/xml; charset=utf-8", "{case}");
    }
    // SOAP 1.2 in UTF-16 is answered in SOAP 1.2 (and in UTF-8, as WCF answers).
    let soap12_body = soap12("7T:abc==", &op("GetBatchTaskInfo", "<Id>1</Id>"));
    let answer = http(
        addr,
        "POST",
        PATH,
        &[("content-type", "application/soap+xml; charset=utf-16")],
        &with_bom(b"\xFF\xFE", utf16le(&soap12_body)),
    )
    .await;
    assert_reached_the_service(&answer, "SOAP 1.2");
    assert_eq!(answer.content_type, "application/soap+xml; charset=utf-8");
}

#[tokio::test(flavor = "multi_thread")]
async fn broken_utf16_is_a_sender_fault() {
    let addr = door().await;
    let mut body = b"\xFF\xFE".to_vec();
    body.extend(utf16le(&get_info_envelope()));
    body.push(b'<');
    let answer = http(addr, "POST", PATH, &[("content-type", "text/xml")], &body).await;
    assert_eq!(answer.status, 500);
    assert_eq!(answer.element("faultcode").as_deref(), Some("s:Client"));
    assert_eq!(
        answer.element("faultstring").as_deref(),
        Some("the request body is not UTF-16 text")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_headers_that_must_be_understood_get_a_must_understand_fault() {
    let addr = door().await;
    let security = "<x:Security xmlns:x=\"urn:example:security\" s:mustUnderstand=\"1\"/>";
    let body = format!(
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Header>{security}</s:Header><s:Body>{}</s:Body></s:Envelope>",
        op("GetBatchTaskInfo", "<Id>1</Id>")
    );
    let answer = http(
        addr,
        "POST",
        PATH,
        &[("content-type", "text/xml")],
        body.as_bytes(),
    )
    .await;
    assert_eq!(answer.status, 500, "{}", answer.body);
    assert_eq!(
        answer.element("faultcode").as_deref(),
        Some("s:MustUnderstand")
    );
    assert!(
        answer
            .element("faultstring")
            .unwrap()
            .contains("{urn:example:security}Security")
    );

    let body = format!(
        "<e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\"><e:Header><x:Security xmlns:x=\"urn:example:security\" e:mustUnderstand=\"true\"/></e:Header><e:Body>{}</e:Body></e:Envelope>",
        op("GetBatchTaskInfo", "<Id>1</Id>")
    );
    let answer = http(
        addr,
        "POST",
        PATH,
        &[("content-type", "application/soap+xml")],
        body.as_bytes(),
    )
    .await;
    assert_eq!(answer.status, 500, "{}", answer.body);
    assert_eq!(answer.content_type, "application/soap+xml; charset=utf-8");
    assert_eq!(answer.element("Value").as_deref(), Some("s:MustUnderstand"));
    assert!(
        answer
            .body
            .contains(r#"<s:NotUnderstood qname="h:Security" xmlns:h="urn:example:security"/>"#),
        "{}",
        answer.body
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn headers_this_door_understands_or_that_target_others_are_served() {
    let addr = door().await;
    let tns = TNS;
    let headers = [
        // The Services86 headers and WS-Addressing, as WCF clients mark them.
        format!(
            "<Credentials xmlns=\"{tns}\" s:mustUnderstand=\"1\"><Ticket>7T:abc==</Ticket></Credentials>"
        ),
        format!("<TimeZone xmlns=\"{tns}\" s:mustUnderstand=\"true\"/>"),
        "<a:To xmlns:a=\"http://www.w3.org/2005/08/addressing\" s:mustUnderstand=\"1\">http://x/</a:To>".to_owned(),
        // For another node: not this one's to understand.
        "<x:Hop xmlns:x=\"urn:x\" s:actor=\"urn:some-other-node\" s:mustUnderstand=\"1\"/>"
            .to_owned(),
        "<x:Optional xmlns:x=\"urn:x\" s:mustUnderstand=\"0\"/>".to_owned(),
    ]
    .concat();
    let body = format!(
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Header>{headers}</s:Header><s:Body>{}</s:Body></s:Envelope>",
        op("GetBatchTaskInfo", "<Id>1</Id>")
    );
    let answer = http(
        addr,
        "POST",
        PATH,
        &[("content-type", "text/xml")],
        body.as_bytes(),
    )
    .await;
    assert_reached_the_service(&answer, "understood headers");
}

#[tokio::test(flavor = "multi_thread")]
async fn start_batch_job_without_a_batch_task_info_is_an_argument_exception() {
    let addr = door().await;
    for inner in [
        "<BatchTaskInfo xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" i:nil=\"true\"/>",
        "",
    ] {
        let body = soap11(Some("7T:abc=="), None, &op("StartBatchJob", inner));
        let answer = http(
            addr,
            "POST",
            PATH,
            &[("content-type", "text/xml")],
            body.as_bytes(),
        )
        .await;
        // Refused by the door itself: a call to the (absent) service would have
        // answered ServiceUnavailableException.
        answer.assert_exception("ArgumentException");
        assert_eq!(
            answer.element("Message").as_deref(),
            Some("The request carries no BatchTaskInfo"),
            "{}",
            answer.body
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_paths_and_methods_are_answered_with_soap_faults() {
    let addr = door().await;
    let answer = http(
        addr,
        "POST",
        "/Remote/Services86/Contact.svc",
        &[("content-type", "text/xml")],
        b"",
    )
    .await;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.content_type, "text/xml; charset=utf-8");
    assert_eq!(answer.element("faultcode").as_deref(), Some("s:Client"));
    assert!(
        answer
            .element("faultstring")
            .unwrap()
            .contains("no SOAP endpoint at '/Remote/Services86/Contact.svc'")
    );

    let answer = http(
        addr,
        "PUT",
        PATH,
        &[("content-type", "application/soap+xml")],
        b"",
    )
    .await;
    assert_eq!(answer.status, 405);
    assert_eq!(answer.content_type, "application/soap+xml; charset=utf-8");
    assert_eq!(answer.element("Value").as_deref(), Some("s:Sender"));
    assert!(
        answer
            .element("Text")
            .unwrap()
            .contains("the method PUT is not allowed")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_without_exactly_one_host_header_is_400() {
    let addr = door().await;
    let body = get_info_envelope();
    let request = |hosts: &str, version: &str| {
        format!(
            "POST {PATH} {version}\r\n{hosts}Content-Type: text/xml\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    };
    for (case, hosts) in [
        ("no Host", String::new()),
        ("two Hosts", format!("Host: {addr}\r\nHost: {addr}\r\n")),
    ] {
        let answer = http_raw(addr, &request(&hosts, "HTTP/1.1")).await;
        assert_eq!(answer.status, 400, "{case}: {}", answer.body);
        assert_eq!(answer.element("faultcode").as_deref(), Some("s:Client"));
        assert!(
            answer
                .element("faultstring")
                .unwrap()
                .contains("Host header"),
            "{case}: {}",
            answer.body
        );
    }
    // HTTP/1.0 may leave Host out.
    let answer = http_raw(addr, &request("", "HTTP/1.0")).await;
    assert_reached_the_service(&answer, "HTTP/1.0 without Host");
    let answer = http_raw(addr, &request(&format!("Host: {addr}\r\n"), "HTTP/1.1")).await;
    assert_reached_the_service(&answer, "one Host");
}
