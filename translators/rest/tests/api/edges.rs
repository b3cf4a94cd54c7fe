//! Where HTTP and the credential rules say what the door must refuse, answered before
//! any call to the service (which is absent here, so a request that got through would
//! be a 503): keys compared exactly, form bodies that are not UTF-8, and the `Host`
//! rule of HTTP/1.1.

use reqwest::Method;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{closed_port_url, spawn_app};

#[tokio::test(flavor = "multi_thread")]
async fn an_api_key_is_compared_exactly_never_trimmed() {
    let app = spawn_app(&closed_port_url().await, &[]).await;
    for key in ["demo%20", "%20demo", "demo+", "demo%0A", "%09demo"] {
        for method in [Method::GET, Method::DELETE] {
            let path = format!("/live/batches/123456?api_key={key}");
            let answer = app.send(method.clone(), &path, None).await;
            assert_eq!(
                answer.assert_error(401),
                "Supplied api_key is not valid",
                "{method} {path}"
            );
        }
    }
    // The key itself gets through to the (absent) service.
    let answer = app.get("/live/batches/123456?api_key=demo").await;
    answer.assert_error(503);
}

#[tokio::test(flavor = "multi_thread")]
async fn form_bodies_that_are_not_utf8_are_400() {
    let app = spawn_app(&closed_port_url().await, &[]).await;
    let bodies: [&[u8]; 3] = [b"name=%FF%FE", b"name=caf\xE9", b"name=ok&%C3=x"];
    for body in bodies {
        for (method, path) in [
            (Method::POST, "/live/batches?api_key=demo"),
            (Method::PUT, "/live/batches/123456?api_key=demo"),
        ] {
            let answer = app
                .send(
                    method.clone(),
                    path,
                    Some(("application/x-www-form-urlencoded", body.to_vec())),
                )
                .await;
            assert_eq!(
                answer.assert_error(400),
                "The request body is not valid form data: it is not UTF-8 text",
                "{method} {body:?}"
            );
        }
    }
    // Without a content type the body is read by its look, with the same rule.
    let answer = app
        .send(
            Method::POST,
            "/live/batches?api_key=demo",
            Some(("text/plain", b"name=%FF".to_vec())),
        )
        .await;
    answer.assert_error(400);
}

/// Sends `head` (ending in an empty line) over a fresh connection; returns the status
/// and the body as JSON.
async fn raw(address: std::net::SocketAddr, head: &str) -> (u16, Value) {
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8(answer).unwrap();
    let status = answer.split(' ').nth(1).unwrap().parse().unwrap();
    let body = answer.split_once("\r\n\r\n").unwrap().1;
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_without_exactly_one_host_header_is_400() {
    let app = spawn_app(&closed_port_url().await, &[]).await;
    let address = app.address;
    let request = |hosts: &str, version: &str| {
        format!(
            "GET /live/batches/123456?api_key=demo {version}\r\n{hosts}Connection: close\r\n\r\n"
        )
    };
    let (status, body) = raw(address, &request("", "HTTP/1.1")).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["request_info"]["success"], false);
    assert_eq!(
        body["request_info"]["message"],
        "The request has no Host header; HTTP/1.1 requires exactly one"
    );
    let two = format!("Host: {address}\r\nHost: example.com\r\n");
    let (status, body) = raw(address, &request(&two, "HTTP/1.1")).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["request_info"]["message"],
        "The request has 2 Host headers; HTTP requires exactly one"
    );
    // One Host, or HTTP/1.0 without one, reaches the (absent) service.
    let one = format!("Host: {address}\r\n");
    assert_eq!(raw(address, &request(&one, "HTTP/1.1")).await.0, 503);
    assert_eq!(raw(address, &request("", "HTTP/1.0")).await.0, 503);
}
