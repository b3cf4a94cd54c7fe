//! The persistent gRPC channel from a translator to `batch-service`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
use tower::Layer as _;

use crate::CallerSecret;
use crate::caller::CallerUpstream;
use crate::transport::{TransportFailures, TransportFailuresLayer};

/// Default address of the service: the sidecar's neighbour in the same pod.
const DEFAULT_BATCH_SERVICE_URL: &str = "http://127.0.0.1:50051";
/// Default deadline of one upstream call, in milliseconds.
const DEFAULT_UPSTREAM_TIMEOUT_MS: u64 = 5_000;
/// Default time to establish the TCP connection, in milliseconds. Short, so that a
/// stopped service turns into a quick "unavailable" instead of a hanging request.
const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 500;

/// How a translator reaches the service.
#[derive(Debug, Clone, clap::Args)]
pub struct UpstreamArgs {
    /// gRPC address of batch-service.
    #[arg(long, env = "BATCH_SERVICE_URL", default_value = DEFAULT_BATCH_SERVICE_URL)]
    pub batch_service_url: String,
    /// Deadline of each upstream call, in milliseconds.
    #[arg(long, env = "UPSTREAM_TIMEOUT_MS", default_value_t = DEFAULT_UPSTREAM_TIMEOUT_MS)]
    pub upstream_timeout_ms: u64,
    /// Time allowed to connect to the service, in milliseconds.
    #[arg(long, env = "UPSTREAM_CONNECT_TIMEOUT_MS", default_value_t = DEFAULT_CONNECT_TIMEOUT_MS)]
    pub upstream_connect_timeout_ms: u64,
}

/// Which door a call came through; recorded by the service in its delete audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    Rest,
    Soap,
}

impl Door {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Door::Rest => "rest",
            Door::Soap => "soap",
        }
    }
}

/// The channel with a client span per call, whose context travels in `traceparent`,
/// and whose transport failures are UNAVAILABLE (see [`crate::transport`]).
pub type TracedChannel = telemetry::grpc::Grpc<TransportFailures<Channel>>;

/// One lazily connected HTTP/2 channel, shared by every request of the translator.
/// tonic reconnects by itself after the service restarts; cloning is cheap.
#[derive(Debug, Clone)]
pub struct Upstream {
    channel: Channel,
    timeout: Duration,
    door: Door,
    /// Set once shutdown begins, so `/readyz` turns the pod away from new traffic.
    draining: Arc<AtomicBool>,
}

impl Upstream {
    /// Builds the channel without connecting: the translator starts (and answers
    /// `/healthz`) even while the service is still coming up.
    pub fn connect_lazy(args: &UpstreamArgs, door: Door) -> Result<Self, tonic::transport::Error> {
        let timeout = Duration::from_millis(args.upstream_timeout_ms);
        let channel = Endpoint::from_shared(args.batch_service_url.clone())?
            .connect_timeout(Duration::from_millis(args.upstream_connect_timeout_ms))
            .timeout(timeout)
            .tcp_nodelay(true)
            .http2_keep_alive_interval(Duration::from_secs(30))
            .keep_alive_while_idle(true)
            .connect_lazy();
        Ok(Self {
            channel,
            timeout,
            door,
            draining: Arc::new(AtomicBool::new(false)),
        })
    }

    /// The shared channel with a client span per call and transport failures turned
    /// into UNAVAILABLE.
    pub(crate) fn traced_channel(&self) -> TracedChannel {
        telemetry::grpc::GrpcLayer::CLIENT.layer(TransportFailuresLayer.layer(self.channel.clone()))
    }

    /// The service on behalf of `caller`: every call made through it carries the
    /// caller's credential, the door and the deadline.
    pub fn for_caller(&self, caller: &CallerSecret) -> CallerUpstream {
        CallerUpstream::new(self.clone(), caller, self.door, self.timeout)
    }

    /// From now on the translator reports not ready.
    pub fn begin_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    /// Whether the translator takes traffic: not draining, and the service answers its
    /// gRPC health check with SERVING within a short deadline.
    pub async fn is_ready(&self) -> bool {
        if self.draining.load(Ordering::Relaxed) {
            return false;
        }
        let mut health = HealthClient::new(self.channel.clone());
        let mut request = tonic::Request::new(HealthCheckRequest {
            service: String::new(),
        });
        request.set_timeout(Duration::from_secs(1));
        matches!(
            health.check(request).await,
            Ok(response) if response.get_ref().status() == ServingStatus::Serving
        )
    }
}
