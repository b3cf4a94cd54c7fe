//! Serving `BatchService` with gRPC health and reflection, and shutting down the way
//! Kubernetes expects: on the signal, report NOT_SERVING, stop accepting, let in-flight
//! calls finish within a grace period, return.

use std::future::Future;
use std::time::Duration;

use batch_proto::v1::batch_service_server::BatchServiceServer;
use tokio::net::TcpListener;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;

use super::BatchApi;

/// How the server runs.
#[derive(Debug, Clone, Copy)]
pub struct ServerOptions {
    /// How long in-flight calls may take to finish after the shutdown signal.
    pub shutdown_grace: Duration,
}

/// Serves until `shutdown` resolves, then drains. Health reports SERVING for the whole
/// server (`""`) and for `batch.v1.BatchService` until the signal.
pub async fn serve(
    listener: TcpListener,
    api: BatchApi,
    options: ServerOptions,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<BatchServiceServer<BatchApi>>().await;
    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(batch_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    // Older tools (grpcurl before 1.9, some IDEs) still ask v1alpha.
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(batch_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;

    let (drain_tx, drain_rx) = tokio::sync::oneshot::channel::<()>();
    let server = Server::builder()
        .layer(telemetry::grpc::GrpcLayer::SERVER)
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(BatchServiceServer::new(api))
        // Without TCP_NODELAY small response frames wait for the client's delayed ACK
        // (tens of milliseconds per call); tonic sets it only on listeners it binds.
        .serve_with_incoming_shutdown(
            TcpIncoming::from(listener).with_nodelay(Some(true)),
            async {
                let _ = drain_rx.await;
            },
        );
    tokio::pin!(server);

    tokio::select! {
        result = &mut server => return result.map_err(Into::into),
        () = shutdown => {}
    }
    health
        .set_not_serving::<BatchServiceServer<BatchApi>>()
        .await;
    health
        .set_service_status("", ServingStatus::NotServing)
        .await;
    tracing::info!(
        grace_ms = options.shutdown_grace.as_millis() as u64,
        "draining in-flight calls"
    );
    let _ = drain_tx.send(());
    match tokio::time::timeout(options.shutdown_grace, server).await {
        Ok(result) => result.map_err(Into::into),
        Err(_) => {
            tracing::warn!("in-flight calls did not finish within the grace period");
            Ok(())
        }
    }
}
