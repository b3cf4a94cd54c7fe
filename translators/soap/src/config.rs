//! The translator's configuration: typed flags, each with an environment variable.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use translator_common::UpstreamArgs;

/// Default HTTP address of the SOAP door.
pub(crate) const DEFAULT_LISTEN_ADDR: &str = "0.0.0.0:8081";
/// Default address of the metrics endpoint (the service uses 9090, REST 9091).
pub(crate) const DEFAULT_METRICS_LISTEN_ADDR: &str = "0.0.0.0:9092";
/// Default largest accepted request body: 1 MiB holds tens of thousands of ids.
pub(crate) const DEFAULT_BODY_LIMIT_BYTES: usize = 1024 * 1024;
/// Default time one SOAP request may take, body upload included, in milliseconds.
pub(crate) const DEFAULT_REQUEST_TIMEOUT_MS: u64 = 30_000;

/// Whether the door behaves like SuperOffice Online or an on-site installation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Mode {
    /// On-site: `ApplicationToken` is accepted and ignored, as the Services86 docs say.
    #[default]
    Onsite,
    /// Online: every call must carry an `ApplicationToken`; it is forwarded to the
    /// service, which refuses tokens that are not registered for the caller's tenant.
    Online,
}

/// Command line and environment of the `soap-translator` binary.
#[derive(Debug, Clone, Parser)]
#[command(name = "soap-translator", version, about)]
pub struct Config {
    /// HTTP address the SOAP door listens on.
    #[arg(long, env = "SOAP_LISTEN_ADDR", default_value = DEFAULT_LISTEN_ADDR)]
    pub listen: SocketAddr,
    /// How to reach batch-service.
    #[command(flatten)]
    pub upstream: UpstreamArgs,
    /// Address of the Prometheus `/metrics` endpoint.
    #[arg(long, env = "METRICS_LISTEN_ADDR", default_value = DEFAULT_METRICS_LISTEN_ADDR)]
    pub metrics_listen: SocketAddr,
    /// Logs (`LOG_FORMAT`, `RUST_LOG`) and trace export (`OTEL_*`).
    #[command(flatten)]
    pub telemetry: telemetry::TelemetryArgs,
    /// Everything else.
    #[command(flatten)]
    pub app: AppConfig,
}

/// What the HTTP application itself needs (everything but addresses), so that tests can
/// build an [`crate::app`] without a command line.
#[derive(Debug, Clone, clap::Args)]
pub struct AppConfig {
    /// `onsite` ignores `ApplicationToken`; `online` requires it and has the service check it.
    #[arg(long, env = "SOAP_MODE", value_enum, default_value_t = Mode::Onsite)]
    pub mode: Mode,
    /// Largest accepted request body in bytes; larger requests get HTTP 413.
    #[arg(long, env = "SOAP_BODY_LIMIT_BYTES", default_value_t = DEFAULT_BODY_LIMIT_BYTES)]
    pub body_limit_bytes: usize,
    /// Time allowed for one SOAP request (reading the body and every upstream call), in
    /// milliseconds.
    #[arg(long, env = "SOAP_REQUEST_TIMEOUT_MS", default_value_t = DEFAULT_REQUEST_TIMEOUT_MS)]
    pub request_timeout_ms: u64,
}

impl AppConfig {
    /// The request timeout as a [`Duration`].
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            mode: Mode::Onsite,
            body_limit_bytes: DEFAULT_BODY_LIMIT_BYTES,
            request_timeout_ms: DEFAULT_REQUEST_TIMEOUT_MS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_is_well_formed() {
        Config::command().debug_assert();
    }

    #[test]
    fn defaults_match_the_contract() {
        let config = Config::try_parse_from(["soap-translator"]).unwrap();
        assert_eq!(config.listen.port(), 8081);
        assert_eq!(config.app.mode, Mode::Onsite);
        assert_eq!(config.app.body_limit_bytes, DEFAULT_BODY_LIMIT_BYTES);
    }

    #[test]
    fn online_mode_is_a_flag() {
        let config = Config::try_parse_from(["soap-translator", "--mode", "online"]).unwrap();
        assert_eq!(config.app.mode, Mode::Online);
    }
}
