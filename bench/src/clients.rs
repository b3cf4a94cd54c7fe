//! The four ways a single batch is deleted, one [`Worker`] each: prepared SQL straight to
//! PostgreSQL, gRPC `DeleteBatches`, the REST door and the SOAP door (both over an
//! HTTP/1.1 keep-alive connection of their own). Each worker says `Ok` only when the
//! batch was really deleted.

use std::net::SocketAddr;

use anyhow::{Context as _, ensure};
use batch_proto::metadata::AUTHORIZATION;
use batch_proto::v1::DeleteBatchesRequest;
use batch_proto::v1::batch_service_client::BatchServiceClient;
use bytes::Bytes;
use futures::future::try_join_all;
use http::{Method, Request, StatusCode, header};
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio_postgres::{Client, Statement};
use tonic::metadata::AsciiMetadataValue;
use tonic::transport::Channel;

use crate::load::Worker;

/// The development seed's REST api_key.
const API_KEY: &str = "demo";
/// The development seed's SOAP ticket; also a bearer secret for gRPC.
const TICKET: &str = "7T:1234abcxyzExample==";

/// The baseline's statement: the simplest SQL that does what the service must.
pub(crate) const DELETE_ONE: &str =
    "DELETE FROM batches WHERE id = $1 AND tenant_id = $2 AND state <> 'running'";
/// The same for many ids at once.
pub(crate) const DELETE_MANY: &str =
    "DELETE FROM batches WHERE id = ANY($1) AND tenant_id = $2 AND state <> 'running'";

/// One PostgreSQL connection deleting with a prepared statement.
pub(crate) struct SqlWorker {
    client: Client,
    statement: Statement,
    tenant_id: i64,
}

impl SqlWorker {
    /// Connects and prepares `sql`, which takes the id(s) and the tenant.
    pub(crate) async fn connect(url: &str, sql: &str, tenant_id: i64) -> anyhow::Result<Self> {
        let client = crate::database::connect(url).await?;
        let statement = client.prepare(sql).await.context("cannot prepare")?;
        Ok(Self {
            client,
            statement,
            tenant_id,
        })
    }

    /// Deletes every id in `ids` in one statement; returns how many rows went.
    pub(crate) async fn delete_many(&self, ids: &[i64]) -> anyhow::Result<u64> {
        Ok(self
            .client
            .execute(&self.statement, &[&ids, &self.tenant_id])
            .await?)
    }
}

impl Worker for SqlWorker {
    async fn delete(&mut self, id: i64) -> anyhow::Result<()> {
        let rows = self
            .client
            .execute(&self.statement, &[&id, &self.tenant_id])
            .await?;
        ensure!(rows == 1, "batch {id} was not deleted");
        Ok(())
    }
}

/// Opens `count` HTTP/2 channels to the service.
pub(crate) async fn grpc_channels(addr: SocketAddr, count: usize) -> anyhow::Result<Vec<Channel>> {
    let mut channels = Vec::with_capacity(count);
    for _ in 0..count.max(1) {
        let channel = Channel::from_shared(format!("http://{addr}"))?
            .tcp_nodelay(true)
            .connect()
            .await
            .with_context(|| format!("cannot connect to batch-service at {addr}"))?;
        channels.push(channel);
    }
    Ok(channels)
}

/// A gRPC client (on a shared channel) calling `DeleteBatches`.
#[derive(Clone)]
pub(crate) struct GrpcWorker {
    client: BatchServiceClient<Channel>,
    authorization: AsciiMetadataValue,
}

impl GrpcWorker {
    pub(crate) fn new(channel: Channel) -> Self {
        Self {
            client: BatchServiceClient::new(channel).max_decoding_message_size(64 << 20),
            authorization: AsciiMetadataValue::from_static("Bearer demo"),
        }
    }

    /// Deletes `ids` in one call (without `allow_missing`); returns how many went.
    pub(crate) async fn delete_many(&mut self, ids: Vec<i64>) -> anyhow::Result<usize> {
        let mut request = tonic::Request::new(DeleteBatchesRequest {
            ids,
            allow_missing: false,
            force: false,
        });
        request
            .metadata_mut()
            .insert(AUTHORIZATION, self.authorization.clone());
        let response = self.client.delete_batches(request).await?;
        Ok(response.into_inner().deleted_ids.len())
    }
}

impl Worker for GrpcWorker {
    async fn delete(&mut self, id: i64) -> anyhow::Result<()> {
        let deleted = self.delete_many(vec![id]).await?;
        ensure!(deleted == 1, "batch {id} was not deleted");
        Ok(())
    }
}

/// One HTTP/1.1 keep-alive connection, reopened if the server closes it.
pub(crate) struct HttpConnection {
    addr: SocketAddr,
    sender: http1::SendRequest<Full<Bytes>>,
}

impl HttpConnection {
    pub(crate) async fn open(addr: SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("cannot connect to {addr}"))?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            // Ends when the sender is dropped or the server closes; the next request
            // notices and reconnects.
            let _ = connection.await;
        });
        Ok(Self { addr, sender })
    }

    /// Sends `request` and reads the whole answer.
    pub(crate) async fn send(
        &mut self,
        request: Request<Full<Bytes>>,
    ) -> anyhow::Result<(StatusCode, Bytes)> {
        if self.sender.is_closed() {
            *self = Self::open(self.addr).await?;
        }
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }

    /// `GET path`, `Ok` on 200.
    pub(crate) async fn get_ok(&mut self, path: &str) -> anyhow::Result<()> {
        self.get(path).await.map(drop)
    }

    /// `GET path`: the body of a 200 answer.
    pub(crate) async fn get(&mut self, path: &str) -> anyhow::Result<Bytes> {
        let request = Request::get(path)
            .header(header::HOST, self.addr.to_string())
            .body(Full::default())?;
        let (status, body) = self.send(request).await?;
        ensure!(status == StatusCode::OK, "GET {path} answered {status}");
        Ok(body)
    }
}

/// The two HTTP doors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Door {
    Rest,
    Soap,
}

const SOAP_PATH: &str = "/Remote/Services86/Batch.svc";
const SOAP_ACTION: &str =
    "\"http://www.superoffice.net/ws/crm/NetServer/Services86/Batch/DeleteBatchTask\"";

impl Door {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Door::Rest => "REST",
            Door::Soap => "SOAP",
        }
    }

    /// The request that deletes batch `id` through this door.
    fn delete_request(self, id: i64, host: &str) -> anyhow::Result<Request<Full<Bytes>>> {
        let request = match self {
            Door::Rest => Request::builder()
                .method(Method::DELETE)
                .uri(format!("/live/batches/{id}?api_key={API_KEY}"))
                .header(header::HOST, host)
                .body(Full::default())?,
            Door::Soap => Request::builder()
                .method(Method::POST)
                .uri(SOAP_PATH)
                .header(header::HOST, host)
                .header(header::CONTENT_TYPE, "text/xml; charset=utf-8")
                .header("SOAPAction", SOAP_ACTION)
                .body(Full::new(Bytes::from(soap_delete_envelope(id))))?,
        };
        Ok(request)
    }

    /// Whether the answer says the batch was deleted. SOAP deletes with allow-missing,
    /// so its success alone does not prove a deletion: the scenarios also count rows.
    fn accepted(self, status: StatusCode, body: &[u8]) -> bool {
        let contains = |needle: &[u8]| body.windows(needle.len()).any(|w| w == needle);
        status == StatusCode::OK
            && match self {
                Door::Rest => contains(b"\"success\":true"),
                Door::Soap => contains(b">true</Succeeded>"),
            }
    }
}

/// Which way single deletes travel: the four throughput cases of a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Route {
    /// PostgreSQL alone: the baseline every other route is a ratio of.
    Sql,
    Grpc,
    Door(Door),
}

impl Route {
    /// The order of a round: the baseline first, then gRPC and the doors.
    pub(crate) const ROUND_ORDER: [Route; 4] = [
        Route::Sql,
        Route::Grpc,
        Route::Door(Door::Rest),
        Route::Door(Door::Soap),
    ];

    /// A short name for tables.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Route::Sql => "baseline",
            Route::Grpc => "gRPC",
            Route::Door(door) => door.name(),
        }
    }

    /// What a request of this route is.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Route::Sql => "PostgreSQL alone (prepared single-row deletes)",
            Route::Grpc => "gRPC DeleteBatches, one id per call",
            Route::Door(Door::Rest) => "REST door: DELETE /live/batches/{id}",
            Route::Door(Door::Soap) => "SOAP door: DeleteBatchTask",
        }
    }
}

/// A SOAP 1.1 `DeleteBatchTask` envelope carrying the development ticket.
fn soap_delete_envelope(id: i64) -> String {
    format!(
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Header>\
         <Credentials xmlns=\"http://www.superoffice.net/ws/crm/NetServer/Services86\">\
         <Ticket>{TICKET}</Ticket></Credentials></s:Header><s:Body>\
         <DeleteBatchTask xmlns=\"http://www.superoffice.net/ws/crm/NetServer/Services86\">\
         <BatchTaskId>{id}</BatchTaskId></DeleteBatchTask></s:Body></s:Envelope>"
    )
}

/// A client of one door on its own connection.
pub(crate) struct HttpWorker {
    door: Door,
    host: String,
    connection: HttpConnection,
}

impl HttpWorker {
    pub(crate) async fn connect(door: Door, addr: SocketAddr) -> anyhow::Result<Self> {
        Ok(Self {
            door,
            host: addr.to_string(),
            connection: HttpConnection::open(addr).await?,
        })
    }
}

impl Worker for HttpWorker {
    async fn delete(&mut self, id: i64) -> anyhow::Result<()> {
        let request = self.door.delete_request(id, &self.host)?;
        let (status, body) = self.connection.send(request).await?;
        ensure!(
            self.door.accepted(status, &body),
            "{} delete of batch {id} answered {status}: {}",
            self.door.name(),
            String::from_utf8_lossy(&body[..body.len().min(300)])
        );
        Ok(())
    }
}

/// A worker of any route, so that a scenario can pick the route at run time.
pub(crate) enum RouteWorker {
    Sql(SqlWorker),
    Grpc(GrpcWorker),
    Http(HttpWorker),
}

impl Worker for RouteWorker {
    async fn delete(&mut self, id: i64) -> anyhow::Result<()> {
        match self {
            RouteWorker::Sql(worker) => worker.delete(id).await,
            RouteWorker::Grpc(worker) => worker.delete(id).await,
            RouteWorker::Http(worker) => worker.delete(id).await,
        }
    }
}

/// Where the workers of a route connect to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Endpoints<'a> {
    pub(crate) database_url: &'a str,
    pub(crate) tenant_id: i64,
    pub(crate) service: Option<SocketAddr>,
    pub(crate) rest: Option<SocketAddr>,
    pub(crate) soap: Option<SocketAddr>,
    /// HTTP/2 connections the gRPC workers share.
    pub(crate) grpc_channels: usize,
}

/// Connects `clients` workers of `route`: one database connection or one HTTP/1.1
/// connection each, or streams spread over a few shared HTTP/2 channels for gRPC.
pub(crate) async fn connect_workers(
    route: Route,
    clients: usize,
    to: Endpoints<'_>,
) -> anyhow::Result<Vec<RouteWorker>> {
    let running = |addr: Option<SocketAddr>| {
        addr.with_context(|| format!("nothing serves the {} route", route.name()))
    };
    let workers = match route {
        Route::Sql => try_join_all(
            (0..clients).map(|_| SqlWorker::connect(to.database_url, DELETE_ONE, to.tenant_id)),
        )
        .await?
        .into_iter()
        .map(RouteWorker::Sql)
        .collect(),
        Route::Grpc => {
            let channels = grpc_channels(running(to.service)?, to.grpc_channels).await?;
            (0..clients)
                .map(|i| RouteWorker::Grpc(GrpcWorker::new(channels[i % channels.len()].clone())))
                .collect()
        }
        Route::Door(door) => {
            let addr = running(match door {
                Door::Rest => to.rest,
                Door::Soap => to.soap,
            })?;
            try_join_all((0..clients).map(|_| HttpWorker::connect(door, addr)))
                .await?
                .into_iter()
                .map(RouteWorker::Http)
                .collect()
        }
    };
    Ok(workers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_soap_envelope_names_the_id_and_the_ticket() {
        let envelope = soap_delete_envelope(42);
        assert!(envelope.contains("<BatchTaskId>42</BatchTaskId>"));
        assert!(envelope.contains("<Ticket>7T:1234abcxyzExample==</Ticket>"));
    }

    #[test]
    fn only_a_successful_answer_counts() {
        let ok = br#"{"request_info":{"success":true,"message":"batch deleted"}}"#;
        assert!(Door::Rest.accepted(StatusCode::OK, ok));
        assert!(!Door::Rest.accepted(StatusCode::NOT_FOUND, ok));
        let soap_ok = br#"<Succeeded xmlns="x">true</Succeeded>"#;
        assert!(Door::Soap.accepted(StatusCode::OK, soap_ok));
        assert!(!Door::Soap.accepted(StatusCode::OK, br#"<Succeeded>false</Succeeded>"#));
    }
}
