//! Command line: how long and how hard to push, which scenarios to run, where things are.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use crate::scenarios::Scenario;

const DEFAULT_DURATION_SECS: u64 = 10;
const DEFAULT_WARMUP_SECS: u64 = 2;
const DEFAULT_CONCURRENCY: usize = 32;
const DEFAULT_GRPC_CHANNELS: usize = 4;
const DEFAULT_ITEMS_PER_BATCH: u32 = 3;
const DEFAULT_BULK_REPETITIONS: usize = 7;
const DEFAULT_SEED_RATE: u64 = 25_000;
const DEFAULT_REPORT: &str = "target/bench-report.md";
const DEFAULT_LOG_DIR: &str = "target/bench-logs";

/// Measures the contract's "How fast" targets side by side in one run: PostgreSQL alone,
/// gRPC, the REST and SOAP doors, translator CPU and memory, a 10,000-id delete and
/// latency at half of peak. Starts its own batch-service and translators over a new
/// database (dropped at the end) and writes a Markdown report.
#[derive(Debug, Clone, Parser)]
#[command(name = "batch-bench", version)]
pub(crate) struct Args {
    /// Seconds each load run is measured for (after the warm-up).
    #[arg(long, env = "BENCH_DURATION_SECS", default_value_t = DEFAULT_DURATION_SECS)]
    pub(crate) duration_secs: u64,
    /// Seconds of load before each measurement starts.
    #[arg(long, env = "BENCH_WARMUP_SECS", default_value_t = DEFAULT_WARMUP_SECS)]
    pub(crate) warmup_secs: u64,
    /// Concurrent clients (database connections, gRPC streams, HTTP/1.1 connections).
    #[arg(long, env = "BENCH_CONCURRENCY", default_value_t = DEFAULT_CONCURRENCY)]
    pub(crate) concurrency: usize,
    /// Scenarios to run, comma separated (default: all). `latency` also runs `rest` and
    /// `soap`, whose peaks it needs.
    #[arg(long, env = "BENCH_SCENARIOS", value_enum, value_delimiter = ',')]
    pub(crate) scenarios: Vec<Scenario>,
    /// Admin URL of the PostgreSQL server to create the run's database on (default: the
    /// private server of `scripts/dev-postgres.sh start`).
    #[arg(long, env = "BENCH_DATABASE_URL", hide_env_values = true)]
    pub(crate) database_url: Option<String>,
    /// HTTP/2 connections the gRPC clients share.
    #[arg(long, env = "BENCH_GRPC_CHANNELS", default_value_t = DEFAULT_GRPC_CHANNELS)]
    pub(crate) grpc_channels: usize,
    /// Items seeded under each batch, so that every delete cascades.
    #[arg(long, env = "BENCH_ITEMS_PER_BATCH", default_value_t = DEFAULT_ITEMS_PER_BATCH)]
    pub(crate) items_per_batch: u32,
    /// Timed repetitions of the 10,000-id delete (after one warm-up repetition).
    #[arg(long, env = "BENCH_BULK_REPETITIONS", default_value_t = DEFAULT_BULK_REPETITIONS)]
    pub(crate) bulk_repetitions: usize,
    /// Deletes per second to seed for before anything was measured (the baseline, or
    /// any run when the baseline is not part of this run). A run that runs out of ids
    /// stops and says so; raise this then.
    #[arg(long, env = "BENCH_SEED_RATE", default_value_t = DEFAULT_SEED_RATE)]
    pub(crate) seed_rate: u64,
    /// Where the Markdown report is written.
    #[arg(long, env = "BENCH_REPORT", default_value = DEFAULT_REPORT)]
    pub(crate) report: PathBuf,
    /// Where the logs of the started processes go.
    #[arg(long, env = "BENCH_LOG_DIR", default_value = DEFAULT_LOG_DIR)]
    pub(crate) log_dir: PathBuf,
    /// The batch-service binary (default: next to this one).
    #[arg(long, env = "BATCH_SERVICE_BIN")]
    pub(crate) batch_service_bin: Option<PathBuf>,
    /// The rest-translator binary (default: next to this one).
    #[arg(long, env = "REST_TRANSLATOR_BIN")]
    pub(crate) rest_translator_bin: Option<PathBuf>,
    /// The soap-translator binary (default: next to this one).
    #[arg(long, env = "SOAP_TRANSLATOR_BIN")]
    pub(crate) soap_translator_bin: Option<PathBuf>,
}

impl Args {
    pub(crate) fn warmup(&self) -> Duration {
        Duration::from_secs(self.warmup_secs)
    }

    pub(crate) fn duration(&self) -> Duration {
        Duration::from_secs(self.duration_secs)
    }

    /// The scenarios to run, in the report's order, with what they depend on.
    pub(crate) fn selected(&self) -> Vec<Scenario> {
        let mut chosen = if self.scenarios.is_empty() {
            Scenario::ALL.to_vec()
        } else {
            self.scenarios.clone()
        };
        if chosen.contains(&Scenario::Latency) {
            chosen.extend([Scenario::Rest, Scenario::Soap]);
        }
        chosen.sort();
        chosen.dedup();
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn command_is_well_formed() {
        Args::command().debug_assert();
    }

    #[test]
    fn latency_brings_the_door_peaks_it_needs() {
        let args =
            Args::try_parse_from(["batch-bench", "--scenarios", "latency,baseline"]).unwrap();
        assert_eq!(
            args.selected(),
            [
                Scenario::Baseline,
                Scenario::Rest,
                Scenario::Soap,
                Scenario::Latency
            ]
        );
    }

    #[test]
    fn no_scenario_means_all() {
        let args = Args::try_parse_from(["batch-bench"]).unwrap();
        assert_eq!(args.selected(), Scenario::ALL);
    }
}
