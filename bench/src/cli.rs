//! Command line: how long and how hard to push, which scenarios to run, where things are.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use crate::scenarios::Scenario;

const DEFAULT_DURATION_SECS: u64 = 8;
const DEFAULT_WARMUP_SECS: u64 = 2;
const DEFAULT_CONCURRENCY: usize = 32;
const DEFAULT_GRPC_CHANNELS: usize = 4;
const DEFAULT_ITEMS_PER_BATCH: u32 = 2;
const DEFAULT_ROUNDS: usize = 3;
const DEFAULT_TABLE_SIZE: i64 = 500_000;
const DEFAULT_SWEEP_CLIENTS: [usize; 4] = [1, 8, 32, 128];
const DEFAULT_SWEEP_TABLE_SIZES: [i64; 3] = [100_000, 500_000, 2_000_000];
const DEFAULT_SWEEP_WARMUP_SECS: u64 = 1;
const DEFAULT_SWEEP_DURATION_SECS: u64 = 5;
const DEFAULT_BULK_REPETITIONS: usize = 7;
const DEFAULT_SEED_RATE: u64 = 25_000;
const DEFAULT_REPORT: &str = "target/bench-report.md";
const DEFAULT_LOG_DIR: &str = "target/bench-logs";

/// Measures the contract's "How fast" targets side by side in one run and writes a
/// Markdown report with each figure next to its target and PASS or MISS. Starts its own
/// batch-service and translators over a new database (dropped at the end), on 127.0.0.1.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "batch-bench",
    version,
    after_help = "Scenarios (all run by default, in this order; pick some with --scenarios):
  baseline, grpc, rest, soap  throughput at --concurrency clients, interleaved in
                              --rounds rounds (baseline, grpc, rest, soap, baseline, ...);
                              medians over rounds, ratios to the same round's baseline
  latency       p50/p99 of gRPC, REST and SOAP at half of each one's peak, open loop
  bulk          10,000 ids in one DeleteBatches vs the same delete in one SQL transaction
  first-delete  ms from starting batch-service to its first successful delete
  concurrency   sweep over --sweep-clients, baseline and gRPC
  table-size    sweep over --sweep-table-sizes, baseline and gRPC (reseeds the table)

A default run takes about 8 to 10 minutes on 2 cores; --skip concurrency,table-size
leaves the sweeps out.

A smoke run: --duration-secs 1 --warmup-secs 0 --rounds 1 --table-size 20000
  --sweep-duration-secs 1 --sweep-warmup-secs 0 --sweep-table-sizes 10000,20000"
)]
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
    /// Rounds of the throughput cases; each figure is the median over the rounds.
    #[arg(long, env = "BENCH_ROUNDS", default_value_t = DEFAULT_ROUNDS,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1_000))]
    pub(crate) rounds: usize,
    /// Fewest batches the table holds while any run deletes from it (it is seeded once
    /// with this many plus what the runs take, and topped up when needed).
    #[arg(long, env = "BENCH_TABLE_SIZE", default_value_t = DEFAULT_TABLE_SIZE)]
    pub(crate) table_size: i64,
    /// Clients of each point of the `concurrency` sweep.
    #[arg(long, env = "BENCH_SWEEP_CLIENTS", value_delimiter = ',',
          default_values_t = DEFAULT_SWEEP_CLIENTS)]
    pub(crate) sweep_clients: Vec<usize>,
    /// Table sizes (batches) of each point of the `table-size` sweep.
    #[arg(long, env = "BENCH_SWEEP_TABLE_SIZES", value_delimiter = ',',
          default_values_t = DEFAULT_SWEEP_TABLE_SIZES)]
    pub(crate) sweep_table_sizes: Vec<i64>,
    /// Seconds of load before each sweep point's measurement starts.
    #[arg(long, env = "BENCH_SWEEP_WARMUP_SECS", default_value_t = DEFAULT_SWEEP_WARMUP_SECS)]
    pub(crate) sweep_warmup_secs: u64,
    /// Seconds each sweep point is measured for.
    #[arg(long, env = "BENCH_SWEEP_DURATION_SECS", default_value_t = DEFAULT_SWEEP_DURATION_SECS)]
    pub(crate) sweep_duration_secs: u64,
    /// Scenarios to run, comma separated (default: all). `latency` also runs `grpc`,
    /// `rest` and `soap`, whose peaks it needs; every throughput case brings `baseline`,
    /// which its ratio needs.
    #[arg(long, env = "BENCH_SCENARIOS", value_enum, value_delimiter = ',')]
    pub(crate) scenarios: Vec<Scenario>,
    /// Scenarios to leave out, comma separated, e.g. `concurrency,table-size` to skip
    /// the sweeps (about a third of a default run).
    #[arg(long, env = "BENCH_SKIP", value_enum, value_delimiter = ',')]
    pub(crate) skip: Vec<Scenario>,
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
    /// Deletes per second the first run is sized for, before anything was measured
    /// (later runs are sized from the rates measured). A run that runs out of ids stops
    /// and says so; raise this then.
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

    pub(crate) fn sweep_warmup(&self) -> Duration {
        Duration::from_secs(self.sweep_warmup_secs)
    }

    pub(crate) fn sweep_duration(&self) -> Duration {
        Duration::from_secs(self.sweep_duration_secs)
    }

    /// The scenarios to run, in the report's order, with what they depend on.
    pub(crate) fn selected(&self) -> Vec<Scenario> {
        let mut chosen = if self.scenarios.is_empty() {
            Scenario::ALL.to_vec()
        } else {
            self.scenarios.clone()
        };
        chosen.retain(|s| !self.skip.contains(s));
        if chosen.contains(&Scenario::Latency) {
            chosen.extend([Scenario::Grpc, Scenario::Rest, Scenario::Soap]);
        }
        if chosen.iter().any(|s| s.route().is_some()) {
            chosen.push(Scenario::Baseline);
        }
        chosen.sort();
        chosen.dedup();
        chosen
    }
}

/// The environment variables that set options.
pub(crate) fn option_variables() -> Vec<String> {
    use clap::CommandFactory as _;
    Args::command()
        .get_arguments()
        .filter_map(|arg| arg.get_env())
        .map(|name| name.to_string_lossy().into_owned())
        .collect()
}

/// The command line as it could be typed again: the environment variables among
/// `options` that are set (a database URL by name only, as it may hold a password),
/// then the arguments. A flag read from the environment would otherwise be invisible.
pub(crate) fn command_line(
    options: &[String],
    env: impl IntoIterator<Item = (String, String)>,
    args: impl IntoIterator<Item = String>,
) -> String {
    let mut env: Vec<String> = env
        .into_iter()
        .filter(|(name, _)| options.contains(name))
        .map(|(name, value)| {
            if name.contains("DATABASE_URL") {
                format!("{name}=…")
            } else {
                format!("{name}={value}")
            }
        })
        .collect();
    env.sort();
    env.into_iter().chain(args).collect::<Vec<_>>().join(" ")
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
    fn latency_brings_the_peaks_and_the_baseline_it_needs() {
        let args = Args::try_parse_from(["batch-bench", "--scenarios", "latency"]).unwrap();
        assert_eq!(
            args.selected(),
            [
                Scenario::Baseline,
                Scenario::Grpc,
                Scenario::Rest,
                Scenario::Soap,
                Scenario::Latency
            ]
        );
        let args = Args::try_parse_from(["batch-bench", "--scenarios", "first-delete,table-size"])
            .unwrap();
        assert_eq!(
            args.selected(),
            [Scenario::FirstDelete, Scenario::TableSize]
        );
    }

    #[test]
    fn the_command_line_shows_options_set_in_the_environment() {
        let env = [
            ("PATH", "/bin"),
            ("BENCH_ARGS", "--skip bulk"),
            ("BENCH_ROUNDS", "5"),
            ("BENCH_DATABASE_URL", "postgres://u:secret@127.0.0.1/db"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        let args = ["batch-bench", "--skip", "bulk"].map(str::to_owned);
        let options = option_variables();
        assert!(options.contains(&"BATCH_SERVICE_BIN".to_owned()));
        assert_eq!(
            command_line(&options, env, args),
            "BENCH_DATABASE_URL=… BENCH_ROUNDS=5 batch-bench --skip bulk"
        );
    }

    #[test]
    fn skipped_scenarios_are_left_out() {
        let args =
            Args::try_parse_from(["batch-bench", "--skip", "concurrency,table-size"]).unwrap();
        assert_eq!(args.selected(), &Scenario::ALL[..7]);
    }

    #[test]
    fn the_defaults_are_the_contract_setup() {
        let args = Args::try_parse_from(["batch-bench"]).unwrap();
        assert_eq!(args.items_per_batch, 2);
        assert_eq!(args.table_size, 500_000);
        assert_eq!(args.concurrency, 32);
        assert_eq!(args.sweep_clients, [1, 8, 32, 128]);
        assert_eq!(args.sweep_table_sizes, [100_000, 500_000, 2_000_000]);
        assert!(Args::try_parse_from(["batch-bench", "--rounds", "0"]).is_err());
    }

    #[test]
    fn no_scenario_means_all() {
        let args = Args::try_parse_from(["batch-bench"]).unwrap();
        assert_eq!(args.selected(), Scenario::ALL);
    }
}
