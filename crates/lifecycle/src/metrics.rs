//! The `/metrics` endpoint as a task the process starts and stops.

use std::net::SocketAddr;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// `/metrics` served on its own port (see [`telemetry::metrics::serve`]) until
/// [`MetricsEndpoint::stop`]. Dropping it stops the endpoint too, but without waiting
/// for it or reporting how it ended.
#[derive(Debug)]
pub struct MetricsEndpoint {
    stop: oneshot::Sender<()>,
    served: JoinHandle<std::io::Result<()>>,
}

impl MetricsEndpoint {
    /// Starts serving on `addr`. A failure (the port is taken) is reported by
    /// [`MetricsEndpoint::stop`]: the endpoint is not worth refusing to serve for.
    pub fn start(addr: SocketAddr) -> Self {
        let (stop, stopped) = oneshot::channel::<()>();
        let served = tokio::spawn(telemetry::metrics::serve(addr, async {
            let _ = stopped.await;
        }));
        Self { stop, served }
    }

    /// Stops the endpoint and waits for it; logs the error it ended with, if any.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        if let Ok(Err(error)) = self.served.await {
            tracing::warn!(%error, "the metrics endpoint failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn serves_until_stopped() {
        // Find a free port, then serve on it.
        let probe = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = probe.local_addr().unwrap();
        drop(probe);
        let endpoint = MetricsEndpoint::start(addr);
        let mut connected = false;
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                connected = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(connected, "nothing listens on {addr}");
        tokio::time::timeout(std::time::Duration::from_secs(5), endpoint.stop())
            .await
            .expect("stop returns once the endpoint has stopped");
    }

    #[tokio::test]
    async fn a_port_in_use_is_reported_at_stop_not_a_panic() {
        let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = MetricsEndpoint::start(taken.local_addr().unwrap());
        tokio::time::timeout(std::time::Duration::from_secs(5), endpoint.stop())
            .await
            .expect("stop returns");
    }
}
