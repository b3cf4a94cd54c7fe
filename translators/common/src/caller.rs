//! The service on behalf of one caller: the shared channel with the caller bound to it,
//! so that every call carries the caller's credential without being handed it, and the
//! one call that checks a credential without touching any batch.

use std::fmt;
use std::time::Duration;

use batch_proto::metadata;
use batch_proto::v1::ListBatchesRequest;
use batch_proto::v1::batch_service_client::BatchServiceClient;
use tonic::metadata::{AsciiMetadataValue, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;

use crate::CallerSecret;
use crate::upstream::{Door, TracedChannel, Upstream};

/// A client on the shared channel whose calls all carry one caller's metadata.
pub type CallerClient = BatchServiceClient<InterceptedService<TracedChannel, CallerMetadata>>;

/// The upstream on behalf of one caller, made per request by [`Upstream::for_caller`].
/// Cloning is cheap.
#[derive(Debug, Clone)]
pub struct CallerUpstream {
    upstream: Upstream,
    metadata: CallerMetadata,
}

impl CallerUpstream {
    pub(crate) fn new(
        upstream: Upstream,
        secret: &CallerSecret,
        door: Door,
        timeout: Duration,
    ) -> Self {
        // A CallerSecret only holds visible ASCII, which is always a valid metadata value.
        let authorization = MetadataValue::try_from(["Bearer ", secret.expose()].concat()).ok();
        Self {
            upstream,
            metadata: CallerMetadata {
                authorization,
                door,
                timeout,
                application_token: None,
            },
        }
    }

    /// Adds the partner application's token (the SOAP door's online mode) to every call.
    pub fn with_application_token(mut self, token: AsciiMetadataValue) -> Self {
        self.metadata.application_token = Some(token);
        self
    }

    /// A client on the shared channel: each call carries the caller's credential, the
    /// door and the deadline.
    pub fn client(&self) -> CallerClient {
        BatchServiceClient::with_interceptor(self.upstream.traced_channel(), self.metadata.clone())
    }

    /// Checks the caller's credential with the cheapest call that must authenticate and
    /// cannot fail otherwise (a one-row `ListBatches`), for answers that need nothing
    /// from the service but must not be given to a stranger.
    pub async fn check_credential(&self) -> Result<(), tonic::Status> {
        let probe = ListBatchesRequest {
            page_size: 1,
            ..ListBatchesRequest::default()
        };
        self.client().list_batches(probe).await.map(drop)
    }
}

/// What every call of one caller carries: `authorization: Bearer <secret>`, the door
/// (recorded by the service in its delete audit), the deadline, and the application
/// token when there is one. Its `Debug` shows no secret.
#[derive(Clone)]
pub struct CallerMetadata {
    authorization: Option<AsciiMetadataValue>,
    door: Door,
    timeout: Duration,
    application_token: Option<AsciiMetadataValue>,
}

impl Interceptor for CallerMetadata {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        request.set_timeout(self.timeout);
        let metadata = request.metadata_mut();
        if let Some(authorization) = &self.authorization {
            metadata.insert(metadata::AUTHORIZATION, authorization.clone());
        }
        metadata.insert(
            metadata::DOOR,
            MetadataValue::from_static(self.door.as_str()),
        );
        if let Some(token) = &self.application_token {
            metadata.insert(metadata::APPLICATION_TOKEN, token.clone());
        }
        Ok(request)
    }
}

impl fmt::Debug for CallerMetadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallerMetadata")
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "<redacted>"),
            )
            .field("door", &self.door)
            .field("timeout", &self.timeout)
            .field(
                "application_token",
                &self.application_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UpstreamArgs;

    fn caller(door: Door) -> CallerUpstream {
        let args = UpstreamArgs {
            batch_service_url: "http://127.0.0.1:1".into(),
            upstream_timeout_ms: 1_500,
            upstream_connect_timeout_ms: 100,
        };
        let upstream = Upstream::connect_lazy(&args, door).unwrap();
        upstream.for_caller(&CallerSecret::parse("7T:secret==").unwrap())
    }

    fn intercepted(caller: &CallerUpstream) -> tonic::Request<()> {
        caller
            .metadata
            .clone()
            .call(tonic::Request::new(()))
            .unwrap()
    }

    #[tokio::test]
    async fn every_call_carries_the_credential_the_door_and_the_deadline() {
        let request = intercepted(&caller(Door::Rest));
        let metadata = request.metadata();
        assert_eq!(
            metadata.get(metadata::AUTHORIZATION).unwrap(),
            "Bearer 7T:secret=="
        );
        assert_eq!(metadata.get(metadata::DOOR).unwrap(), "rest");
        assert_eq!(metadata.get("grpc-timeout").unwrap(), "1500000u");
        assert!(metadata.get(metadata::APPLICATION_TOKEN).is_none());
    }

    #[tokio::test]
    async fn the_application_token_is_added_when_given() {
        let token = AsciiMetadataValue::from_static("app-token");
        let caller = caller(Door::Soap).with_application_token(token);
        let request = intercepted(&caller);
        let metadata = request.metadata();
        assert_eq!(metadata.get(metadata::DOOR).unwrap(), "soap");
        assert_eq!(
            metadata.get(metadata::APPLICATION_TOKEN).unwrap(),
            "app-token"
        );
    }

    #[tokio::test]
    async fn debug_shows_no_secret() {
        let token = AsciiMetadataValue::from_static("app-token");
        let shown = format!("{:?}", caller(Door::Soap).with_application_token(token));
        assert!(!shown.contains("secret"), "{shown}");
        assert!(!shown.contains("app-token"), "{shown}");
    }
}
