//! Helpers shared by the test modules: building the app, sending requests to it
//! in process or over a real socket, and reading SOAP answers.

use std::net::SocketAddr;

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use quick_xml::events::Event;
use soap_translator::{AppConfig, app};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;
use translator_common::{Door, Upstream, UpstreamArgs};

/// The Services86 namespace.
pub(crate) const TNS: &str = "http://www.superoffice.net/ws/crm/NetServer/Services86";
/// The SOAPAction of `op`.
pub(crate) fn action(op: &str) -> String {
    format!("http://www.superoffice.net/ws/crm/NetServer/Services86/Batch/{op}")
}
/// The service path.
pub(crate) const PATH: &str = "/Remote/Services86/Batch.svc";

/// An upstream channel to `url` (connected lazily, so any address works). Installs
/// telemetry once, as the binary does, so calls carry trace context.
pub(crate) fn upstream(url: &str) -> Upstream {
    static TELEMETRY: std::sync::OnceLock<telemetry::TelemetryGuard> = std::sync::OnceLock::new();
    TELEMETRY.get_or_init(|| {
        let args = telemetry::TelemetryArgs {
            log_format: telemetry::LogFormat::Text,
            otlp_endpoint: None,
            otel_service_name: None,
        };
        telemetry::init(&args, "soap-translator")
    });
    let args = UpstreamArgs {
        batch_service_url: url.to_owned(),
        upstream_timeout_ms: 5_000,
        upstream_connect_timeout_ms: 500,
    };
    Upstream::connect_lazy(&args, Door::Soap).expect("valid upstream url")
}

/// An upstream nothing listens on: calls to it fail as unavailable.
pub(crate) fn dead_upstream() -> Upstream {
    upstream("http://127.0.0.1:9")
}

/// A response, read in full.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) content_type: String,
    pub(crate) body: String,
}

impl Answer {
    /// The text of the first element called `local` (any namespace), if any.
    pub(crate) fn element(&self, local: &str) -> Option<String> {
        element_text(&self.body, local)
    }

    /// Asserts an in-band success (HTTP 200, `Succeeded` true) and returns self.
    pub(crate) fn assert_succeeded(&self) -> &Self {
        assert_eq!(self.status, StatusCode::OK, "{}", self.body);
        assert_eq!(
            self.element("Succeeded").as_deref(),
            Some("true"),
            "{}",
            self.body
        );
        assert!(!self.body.contains("<ExceptionInfo"), "{}", self.body);
        self
    }

    /// Asserts an in-band failure of `exception_type` (HTTP 200, `Succeeded` false).
    pub(crate) fn assert_exception(&self, exception_type: &str) -> &Self {
        assert_eq!(self.status, StatusCode::OK, "{}", self.body);
        assert_eq!(
            self.element("Succeeded").as_deref(),
            Some("false"),
            "{}",
            self.body
        );
        assert_eq!(
            self.element("ExceptionType").as_deref(),
            Some(exception_type),
            "{}",
            self.body
        );
        self
    }
}

/// The text of the first element with local name `local`, parsing `xml` for real (so
/// that a test also proves the document is well-formed).
pub(crate) fn element_text(xml: &str, local: &str) -> Option<String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut inside = false;
    let mut text = String::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(start) if start.local_name().as_ref() == local && !inside => inside = true,
            Event::Empty(start) if start.local_name().as_ref() == local && !inside => {
                return Some(String::new());
            }
            Event::Text(t) if inside => text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if inside => text.push(match &*r {
                "lt" => '<',
                "gt" => '>',
                "amp" => '&',
                "quot" => '"',
                "apos" => '\'',
                _ => '?',
            }),
            Event::End(end) if inside && end.local_name().as_ref() == local => return Some(text),
            Event::Eof => return None,
            _ => {}
        }
    }
}

/// Asserts `xml` is well-formed.
pub(crate) fn assert_well_formed(xml: &str) {
    let mut reader = quick_xml::Reader::from_str(xml);
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => return,
            Ok(_) => {}
            Err(error) => panic!("not well-formed ({error}): {xml}"),
        }
    }
}

/// Sends one request to an in-process app.
pub(crate) async fn send(
    app: axum::Router,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    // As every HTTP/1.1 client sends it; the door refuses a request without one.
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("host"))
    {
        request = request.header(header::HOST, "localhost");
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .oneshot(request.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
    Answer {
        status,
        content_type,
        body: String::from_utf8(bytes.to_vec()).expect("UTF-8 answer"),
    }
}

/// An in-process app with `config` in front of `upstream`.
pub(crate) fn test_app(upstream: Upstream, config: AppConfig) -> axum::Router {
    app(upstream, config)
}

/// Serves the app on 127.0.0.1:0; returns its address. The server runs until the test
/// runtime ends.
pub(crate) async fn serve(upstream: Upstream, config: AppConfig) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app(upstream, config)).await.unwrap();
    });
    addr
}

/// One HTTP/1.1 request over a real socket (`Connection: close`), answer read in full.
/// It carries a `Host` header; [`http_raw`] sends one exactly as given.
pub(crate) async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Answer {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut request = head.into_bytes();
    request.extend_from_slice(body);
    http_raw(addr, &request).await
}

/// Sends `request` (head and body, as bytes) over a real socket and reads the answer
/// until the server closes the connection.
pub(crate) async fn http_raw(addr: SocketAddr, request: &[u8]) -> Answer {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8(raw).expect("UTF-8 answer");
    let (head, body) = text.split_once("\r\n\r\n").expect("a complete answer");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse::<u16>().ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .expect("a status line");
    let content_type = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-type")
                .then(|| value.trim().to_owned())
        })
        .unwrap_or_default();
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Answer {
        status,
        content_type,
        body,
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    loop {
        let Some((size, rest)) = body.split_once("\r\n") else {
            return out;
        };
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 {
            return out;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
}

/// A SOAP 1.1 envelope with a proper Header carrying `ticket` (and `app_token`).
pub(crate) fn soap11(ticket: Option<&str>, app_token: Option<&str>, body: &str) -> String {
    let mut header = String::new();
    if let Some(token) = app_token {
        header.push_str(&format!(
            "<ApplicationToken xmlns=\"{TNS}\">{token}</ApplicationToken>"
        ));
    }
    if let Some(ticket) = ticket {
        header.push_str(&format!(
            "<Credentials xmlns=\"{TNS}\"><Ticket>{ticket}</Ticket></Credentials>"
        ));
    }
    format!(
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Header>{header}</s:Header><s:Body>{body}</s:Body></s:Envelope>"
    )
}

/// A SOAP 1.2 envelope, headers in `Header`.
pub(crate) fn soap12(ticket: &str, body: &str) -> String {
    format!(
        "<e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\"><e:Header><Credentials xmlns=\"{TNS}\"><Ticket>{ticket}</Ticket></Credentials></e:Header><e:Body>{body}</e:Body></e:Envelope>"
    )
}

/// The body element `<op xmlns=tns>inner</op>`.
pub(crate) fn op(name: &str, inner: &str) -> String {
    format!("<{name} xmlns=\"{TNS}\">{inner}</{name}>")
}

/// `<wrapper>` holding Arrays-namespace `int` items.
pub(crate) fn int_array(wrapper: &str, ids: &[i64]) -> String {
    let items: String = ids
        .iter()
        .map(|id| format!("<a:int>{id}</a:int>"))
        .collect();
    format!(
        "<{wrapper} xmlns:a=\"http://schemas.microsoft.com/2003/10/Serialization/Arrays\">{items}</{wrapper}>"
    )
}
