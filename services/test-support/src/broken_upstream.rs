//! A gRPC peer that breaks every call in one chosen way, on a real `127.0.0.1` socket:
//! what a translator meets when `batch-service` dies mid-call or a connection is lost.
//! It speaks real HTTP/2 (hyper) and cuts, resets or truncates at the transport level,
//! or answers as a proxy with nothing behind it; it never answers with a `grpc-status`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::StreamBody;
use hyper::body::{Frame, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::AsyncReadExt as _;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_stream::wrappers::ReceiverStream;

/// How each call is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breakage {
    /// The TCP connection is reset (RST) as soon as the client has sent its first
    /// bytes: no HTTP/2 answer at all.
    TcpReset,
    /// The request arrives, then the connection is closed before any answer.
    ClosedBeforeAnswer,
    /// Response headers (200, `application/grpc`) and half a message, then the
    /// connection is closed: the process died mid-answer.
    ClosedMidAnswer,
    /// Response headers, then the stream is reset (`RST_STREAM`).
    StreamReset,
    /// Response headers, then the stream ends cleanly without trailers: no
    /// `grpc-status` ever comes (what a proxy's `RST_STREAM(NO_ERROR)` looks like).
    EndsWithoutStatus,
    /// `503` with a text body and no `grpc-status`: what a proxy in front of the
    /// service answers while no replica behind it is ready.
    ProxyUnavailable,
}

impl Breakage {
    pub const ALL: [Breakage; 6] = [
        Breakage::TcpReset,
        Breakage::ClosedBeforeAnswer,
        Breakage::ClosedMidAnswer,
        Breakage::StreamReset,
        Breakage::EndsWithoutStatus,
        Breakage::ProxyUnavailable,
    ];
}

/// Serves on `127.0.0.1:<random port>` until the runtime ends; returns
/// `http://127.0.0.1:<port>`.
pub async fn spawn_broken_upstream(breakage: Breakage) -> String {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("cannot bind a port");
    let addr: SocketAddr = listener.local_addr().expect("a local address");
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(serve_connection(socket, breakage));
        }
    });
    format!("http://{addr}")
}

async fn serve_connection(mut socket: tokio::net::TcpStream, breakage: Breakage) {
    if breakage == Breakage::TcpReset {
        let mut first = [0u8; 64];
        let _ = socket.read(&mut first).await;
        // SO_LINGER 0: closing sends RST instead of FIN.
        let _ = socket.set_zero_linger();
        drop(socket);
        return;
    }
    let kill = Arc::new(Notify::new());
    let on_request = Arc::clone(&kill);
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let kill = Arc::clone(&on_request);
        async move {
            drop(request);
            if breakage == Breakage::ClosedBeforeAnswer {
                kill.notify_one();
                // The answer never leaves: the connection is gone.
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
            Ok::<_, Infallible>(answer(breakage, kill))
        }
    });
    let connection = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
        .serve_connection(TokioIo::new(socket), service);
    tokio::select! {
        _ = connection => {}
        // Dropping the connection closes the socket under the open stream.
        () = kill.notified() => {}
    }
}

type Chunk = Result<Frame<Bytes>, std::io::Error>;
type BrokenBody = StreamBody<ReceiverStream<Chunk>>;

fn answer(breakage: Breakage, kill: Arc<Notify>) -> hyper::Response<BrokenBody> {
    let (sender, receiver) = tokio::sync::mpsc::channel::<Chunk>(4);
    let body = StreamBody::new(ReceiverStream::new(receiver));
    tokio::spawn(async move {
        match breakage {
            Breakage::TcpReset | Breakage::ClosedBeforeAnswer | Breakage::EndsWithoutStatus => {}
            Breakage::ProxyUnavailable => {
                let text = Bytes::from_static(b"no healthy upstream");
                let _ = sender.try_send(Ok(Frame::data(text)));
            }
            Breakage::ClosedMidAnswer => {
                // A gRPC frame header announcing 100 bytes, and 10 of them.
                let mut partial = vec![0u8, 0, 0, 0, 100];
                partial.extend_from_slice(&[8u8; 10]);
                let _ = sender.try_send(Ok(Frame::data(Bytes::from(partial))));
                tokio::time::sleep(Duration::from_millis(50)).await;
                kill.notify_one();
            }
            Breakage::StreamReset => {
                let _ = sender.try_send(Err(std::io::Error::other("the stream breaks")));
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        drop(sender);
    });
    let mut response = hyper::Response::new(body);
    let content_type = if breakage == Breakage::ProxyUnavailable {
        *response.status_mut() = http::StatusCode::SERVICE_UNAVAILABLE;
        "text/plain"
    } else {
        "application/grpc"
    };
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(content_type),
    );
    response
}
