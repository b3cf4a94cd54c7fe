//! Command-line flags, each also settable through the environment.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use translator_common::UpstreamArgs;

/// Where the door listens by default: every interface, the contract's REST port.
const DEFAULT_LISTEN_ADDR: &str = "0.0.0.0:8080";
/// Where the metrics endpoint listens by default (the service uses 9090, SOAP 9092).
const DEFAULT_METRICS_LISTEN_ADDR: &str = "0.0.0.0:9091";
/// Largest request body by default: 1 MiB, far above 1000 searches of typical size.
const DEFAULT_BODY_LIMIT_BYTES: usize = 1024 * 1024;
/// Longest a request may take by default, in milliseconds: above the upstream deadline
/// (5 s by default), so that a slow service is reported as such first.
const DEFAULT_REQUEST_TIMEOUT_MS: u64 = 10_000;

/// The REST translator's configuration.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "rest-translator",
    version,
    about = "SerpWow-compatible REST door (/live/batches) in front of batch-service"
)]
pub struct Config {
    /// Address and port to serve HTTP on.
    #[arg(long, env = "REST_LISTEN_ADDR", default_value = DEFAULT_LISTEN_ADDR)]
    pub listen: SocketAddr,

    #[command(flatten)]
    pub upstream: UpstreamArgs,

    /// Largest request body accepted, in bytes; larger bodies are answered with 413.
    #[arg(long, env = "REST_BODY_LIMIT_BYTES", default_value_t = DEFAULT_BODY_LIMIT_BYTES)]
    pub body_limit_bytes: usize,

    /// Longest time one request may take, in milliseconds; slower requests are answered
    /// with 503. Also bounds how long shutdown waits for requests in flight.
    #[arg(long, env = "REST_REQUEST_TIMEOUT_MS", default_value_t = DEFAULT_REQUEST_TIMEOUT_MS)]
    pub request_timeout_ms: u64,

    /// This door's public base URL (e.g. https://batches.example.com), used in the
    /// download links it returns; unset, links use the request's Host header.
    #[arg(long, env = "REST_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Address of the Prometheus `/metrics` endpoint.
    #[arg(long, env = "METRICS_LISTEN_ADDR", default_value = DEFAULT_METRICS_LISTEN_ADDR)]
    pub metrics_listen: SocketAddr,

    /// Logs (`LOG_FORMAT`, `RUST_LOG`) and trace export (`OTEL_*`).
    #[command(flatten)]
    pub telemetry: telemetry::TelemetryArgs,
}

impl Config {
    /// [`Config::request_timeout_ms`] as a duration.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Config::command().debug_assert();
    }

    #[test]
    fn every_flag_has_an_environment_variable() {
        let command = Config::command();
        for arg in command.get_arguments() {
            let id = arg.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            assert!(arg.get_env().is_some(), "--{id} has no env");
        }
    }

    #[test]
    fn defaults() {
        let config = Config::try_parse_from(["rest-translator"]).unwrap();
        assert_eq!(config.body_limit_bytes, 1024 * 1024);
        assert_eq!(config.request_timeout(), Duration::from_secs(10));
        assert_eq!(config.listen.port(), 8080);
    }
}
