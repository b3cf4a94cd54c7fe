//! `batch-bench`: the contract's "How fast" targets, measured side by side in one run.
//!
//! Creates a database of its own (dropped at the end), migrates and seeds it with the
//! service's own subcommands, starts `batch-service` and the translators (release
//! builds, found next to this binary), then runs the scenarios of [`scenarios`] against
//! 127.0.0.1 only, and prints the Markdown report of [`report`] and writes it to
//! `target/bench-report.md`. `make bench` builds everything and runs it.

mod cli;
mod clients;
mod cpu;
mod database;
mod groups;
mod load;
mod machine;
mod pool;
mod processes;
mod report;
mod results;
mod scenarios;
mod stats;

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use clap::Parser as _;

use crate::cli::Args;
use crate::database::{BatchData, RunDatabase};
use crate::machine::Machine;
use crate::pool::IdPool;
use crate::processes::{Binaries, Stack};
use crate::report::RunInfo;
use crate::results::Results;
use crate::scenarios::{Context, Scenario};

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args).await {
        Ok(results) if results.failures.is_empty() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("batch-bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Sets up, measures, tears down (also after an error), reports.
async fn run(args: &Args) -> anyhow::Result<Results> {
    let started = Instant::now();
    let started_at = chrono::Utc::now();
    let machine = Machine::detect();
    let scenarios = args.selected();
    let binaries = Binaries::locate(args)?;
    let admin_url = database::admin_url(args.database_url.clone()).await?;
    let database = RunDatabase::create(admin_url).await?;
    eprintln!("batch-bench: database ready; starting the stack");
    let measured = measure(args, &scenarios, &binaries, database.url()).await;
    let dropped = database.drop_now().await;
    let (postgres_version, results) = measured?;
    dropped?;

    let info = RunInfo {
        machine,
        postgres_version,
        started: started_at,
        elapsed: started.elapsed(),
        load_average_end: machine::load_average(),
        // `vars_os`: `vars` would panic on a variable that is not Unicode.
        command: cli::command_line(
            &cli::option_variables(),
            std::env::vars_os().filter_map(|(name, value)| {
                Some((name.into_string().ok()?, value.into_string().ok()?))
            }),
            std::env::args(),
        ),
        scenarios,
    };
    let report = report::render(args, &info, &results);
    println!("{report}");
    if let Some(dir) = args.report.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.report, &report)
        .with_context(|| format!("cannot write {}", args.report.display()))?;
    eprintln!("batch-bench: report written to {}", args.report.display());
    Ok(results)
}

/// Starts the stack over `database_url`, runs the scenarios, stops the stack whatever
/// happened. Returns the server's version and the results.
async fn measure(
    args: &Args,
    scenarios: &[Scenario],
    binaries: &Binaries,
    database_url: &str,
) -> anyhow::Result<(String, Results)> {
    let needs = Scenario::needs(scenarios);
    let stack = Stack::start(needs, binaries, database_url, &args.log_dir).await?;
    let prepared = async {
        let data = BatchData::open(database_url, args.items_per_batch).await?;
        // Seeded once, for the floor and the first run; later runs top it up if needed.
        let first_run =
            args.seed_rate * (args.warmup_secs + args.duration_secs) + args.concurrency as u64;
        eprintln!(
            "batch-bench: seeding {} batches with {} items each",
            args.table_size + first_run as i64,
            args.items_per_batch
        );
        let pool = IdPool::seed(&data, args.table_size, first_run as i64).await?;
        anyhow::Ok((data, pool))
    };
    let (data, pool) = match prepared.await {
        Ok(prepared) => prepared,
        Err(error) => {
            let _ = stack.stop().await;
            return Err(error);
        }
    };
    let version = data.server_version().await.unwrap_or_default();
    let mut context = Context {
        args,
        database_url,
        binaries,
        data,
        pool,
        stack,
        results: Results::default(),
    };
    scenarios::run_all(&mut context, scenarios).await;
    let Context { stack, results, .. } = context;
    stack.stop().await?;
    Ok((version, results))
}
