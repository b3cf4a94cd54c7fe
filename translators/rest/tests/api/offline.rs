//! What the translator answers by itself: credentials missing, bad URLs and verbs,
//! malformed or oversized bodies, the service unreachable, its own document.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use test_support::{Breakage, spawn_broken_upstream};

use crate::helpers::{closed_port_url, spawn_app};

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_api_key_is_401_on_every_verb() {
    let app = spawn_app(&closed_port_url().await, &[]).await;
    for (method, path) in [
        (Method::GET, "/live/batches"),
        (Method::GET, "/live/batches/123456"),
        (Method::DELETE, "/live/batches/123456"),
        (Method::DELETE, "/live/batches/123456?api_key="),
        (Method::GET, "/live/batches/stopall?source=nodejs"),
        (Method::POST, "/live/batches"),
    ] {
        let answer = app.send(method.clone(), path, None).await;
        let message = answer.assert_error(401);
        assert!(message.contains("api_key"), "{method} {path}: {message}");
    }
    let answer = app.get("/live/batches?api_key=has%20space").await;
    assert_eq!(answer.assert_error(401), "Supplied api_key is not valid");
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_paths_and_wrong_verbs_are_404_in_shape() {
    let app = spawn_app(&closed_port_url().await, &[]).await;
    for (method, path) in [
        (Method::GET, "/"),
        (Method::GET, "/live/batch?api_key=demo"),
        (
            Method::GET,
            "/live/batches/123456/unknown/deeper?api_key=demo",
        ),
        (Method::GET, "/live/batches/123456/7?api_key=demo"),
        (Method::POST, "/live/batches/123456?api_key=demo"),
        (Method::PATCH, "/live/batches?api_key=demo"),
        (Method::DELETE, "/live/batches/stopall?api_key=demo"),
        (Method::DELETE, "/live/batches/123456/start?api_key=demo"),
        (Method::POST, "/healthz"),
    ] {
        let answer = app.send(method.clone(), path, None).await;
        let message = answer.assert_error(404);
        assert!(message.contains("invalid"), "{method} {path}: {message}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_input_is_400_before_any_call() {
    let app = spawn_app(&closed_port_url().await, &[]).await;
    let bad_json = Some(("application/json", b"{\"name\": ".to_vec()));
    let answer = app
        .send(Method::POST, "/live/batches?api_key=demo", bad_json)
        .await;
    assert!(answer.assert_error(400).contains("not valid JSON"));

    let answer = app
        .send_form(
            Method::POST,
            "/live/batches?api_key=demo",
            "name=x&schedule_type=yearly",
        )
        .await;
    assert!(
        answer
            .assert_error(400)
            .starts_with("schedule_type must be")
    );

    let answer = app
        .send_json(
            Method::POST,
            "/live/batches?api_key=demo",
            &json!({"schedule_hours": "9,24", "name": "x"}),
        )
        .await;
    assert!(answer.assert_error(400).starts_with("schedule_hours"));

    let answer = app
        .send_json(Method::POST, "/live/batches?api_key=demo", &json!(["x"]))
        .await;
    answer.assert_error(400);

    let answer = app.get("/live/batches?api_key=demo&page_size=1001").await;
    assert!(answer.assert_error(400).starts_with("page_size"));
    let answer = app.get("/live/batches?api_key=demo&status=sleeping").await;
    assert!(answer.assert_error(400).starts_with("status"));
}

#[tokio::test(flavor = "multi_thread")]
async fn bodies_over_the_limit_are_413() {
    let app = spawn_app(&closed_port_url().await, &[]).await;
    // The default limit is 1 MiB.
    let big = format!("{{\"name\":\"{}\"}}", "x".repeat(1024 * 1024));
    let answer = app
        .send(
            Method::POST,
            "/live/batches?api_key=demo",
            Some(("application/json", big.into_bytes())),
        )
        .await;
    assert!(answer.assert_error(413).contains("1048576"));

    let small = spawn_app(&closed_port_url().await, &["--body-limit-bytes", "64"]).await;
    let searches =
        json!({"searches": [{"q": "a fairly long query that goes past sixty-four bytes"}]});
    let answer = small
        .send_json(Method::PUT, "/live/batches/123456?api_key=demo", &searches)
        .await;
    assert!(answer.assert_error(413).contains("64 bytes"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_service_is_503_quickly() {
    let app = spawn_app(&closed_port_url().await, &[]).await;
    for path in [
        "/live/batches/123456?api_key=demo",
        "/live/batches?api_key=demo",
        "/live/batches/not-a-number?api_key=demo",
    ] {
        let started = Instant::now();
        let answer = app.get(path).await;
        assert!(answer.assert_error(503).contains("unavailable"), "{path}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{path} took {:?}",
            started.elapsed()
        );
    }
    let answer = app.delete("/live/batches/123456?api_key=demo").await;
    answer.assert_error(503);
    assert_eq!(app.get("/healthz").await.text, "ok");
    assert_eq!(app.get("/readyz").await.status.as_u16(), 503);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_cut_by_the_service_is_503_never_500() {
    // A gRPC peer on a real socket that breaks every call: reset, closed before or
    // during the answer, stream reset, an answer that ends without a status, or a
    // proxy's 503 with no replica behind it.
    for breakage in Breakage::ALL {
        let app = spawn_app(&spawn_broken_upstream(breakage).await, &[]).await;
        for (method, path) in [
            (Method::GET, "/live/batches/123456?api_key=demo"),
            (Method::DELETE, "/live/batches/123456?api_key=demo"),
            (Method::GET, "/live/batches?api_key=demo"),
        ] {
            let started = Instant::now();
            let answer = app.send(method.clone(), path, None).await;
            assert_eq!(
                answer.status.as_u16(),
                503,
                "{breakage:?} {method} {path}: {}",
                answer.text
            );
            assert!(
                answer.assert_error(503).contains("unavailable"),
                "{breakage:?} {method} {path}: {}",
                answer.text
            );
            assert!(
                started.elapsed() < Duration::from_secs(3),
                "{breakage:?} {method} {path} took {:?}",
                started.elapsed()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_that_runs_out_of_time_is_503() {
    // A service that accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let app = spawn_app(&url, &["--request-timeout-ms", "300"]).await;
    let answer = app.get("/live/batches/123456?api_key=demo").await;
    assert!(answer.assert_error(503).contains("too long"));
}

/// Every route the door serves, as (method, OpenAPI path).
const ROUTES: &[(&str, &str)] = &[
    ("post", "/live/batches"),
    ("get", "/live/batches"),
    ("get", "/live/batches/stopall"),
    ("get", "/live/batches/{batch_id}"),
    ("put", "/live/batches/{batch_id}"),
    ("delete", "/live/batches/{batch_id}"),
    ("get", "/live/batches/{batch_id}/start"),
    ("get", "/live/batches/{batch_id}/stop"),
    ("delete", "/live/batches/{batch_id}/clear"),
    ("get", "/live/batches/{batch_id}/searches/{page}"),
    ("get", "/live/batches/{batch_id}/searches/json"),
    ("get", "/live/batches/{batch_id}/searches/csv"),
    ("delete", "/live/batches/{batch_id}/searches"),
    ("delete", "/live/batches/{batch_id}/{search_id}"),
    ("put", "/live/batches/{batch_id}/{search_id}"),
    ("get", "/live/batches/{batch_id}/results"),
    ("get", "/live/batches/{batch_id}/results/{result_set_id}"),
    (
        "get",
        "/live/batches/{batch_id}/results/{result_set_id}/jsonlines",
    ),
    (
        "get",
        "/live/batches/{batch_id}/results/{result_set_id}/csv",
    ),
    (
        "get",
        "/live/batches/{batch_id}/results/{result_set_id}/resendwebhook",
    ),
    (
        "get",
        "/live/batches/{batch_id}/results/{result_set_id}/files/{format}/{page}",
    ),
    (
        "get",
        "/live/batches/{batch_id}/searches/files/{format}/{page}",
    ),
    ("get", "/openapi.json"),
    ("get", "/healthz"),
    ("get", "/readyz"),
];

#[tokio::test(flavor = "multi_thread")]
async fn the_openapi_document_lists_every_route() {
    let app = spawn_app(&closed_port_url().await, &[]).await;
    let answer = app.get("/openapi.json").await;
    assert_eq!(answer.status.as_u16(), 200);
    let doc: Value = answer.body;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().expect("paths");
    for (method, path) in ROUTES {
        let operation = &paths.get(*path).unwrap_or_else(|| panic!("{path} missing"))[*method];
        assert!(operation.is_object(), "{method} {path} missing");
    }
    let listed: usize = paths
        .values()
        .map(|item| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|k| ["get", "put", "post", "delete"].contains(&k.as_str()))
                .count()
        })
        .sum();
    assert_eq!(
        listed,
        ROUTES.len(),
        "the document lists routes the test does not know"
    );

    // Every /live route takes the api_key and documents the error shape.
    let delete = &paths["/live/batches/{batch_id}"]["delete"];
    let params: Vec<&str> = delete["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        params.contains(&"api_key") && params.contains(&"force"),
        "{params:?}"
    );
    for status in ["200", "401", "404", "409", "503"] {
        assert!(
            delete["responses"][status].is_object(),
            "delete lacks {status}"
        );
    }
    // Every route the document lists is served: none answers with the router's 404.
    for (method, path) in ROUTES {
        let concrete = path
            .replace("{batch_id}", "x")
            .replace("{search_id}", "x")
            .replace("{page}", "1")
            .replace("{result_set_id}", "1");
        let answer = app
            .send(method.to_uppercase().parse().unwrap(), &concrete, None)
            .await;
        assert!(
            !answer.message().contains("URL or HTTP method"),
            "{method} {path} is not routed: {}",
            answer.text
        );
    }
}
