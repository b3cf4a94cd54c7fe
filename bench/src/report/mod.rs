//! The Markdown report of a run: how it was run (the exact command line), the
//! contract's targets each next to its figure with PASS or MISS, then the details
//! (rounds, CPU per request of every process, latency, sweeps, every load run), then
//! what failed and how the figures were taken.

mod format;
mod tables;
mod targets;

use std::fmt::Write as _;
use std::time::Duration;

use self::format::{millis, thousands};
use self::targets::Row;
use crate::cli::Args;
use crate::machine::Machine;
use crate::results::Results;
use crate::scenarios::Scenario;

/// How the run was set up, for the header.
#[derive(Debug, Clone)]
pub(crate) struct RunInfo {
    pub(crate) machine: Machine,
    pub(crate) postgres_version: String,
    pub(crate) started: chrono::DateTime<chrono::Utc>,
    pub(crate) elapsed: Duration,
    /// `/proc/loadavg` when the run ended.
    pub(crate) load_average_end: String,
    /// The exact command line.
    pub(crate) command: String,
    pub(crate) scenarios: Vec<Scenario>,
}

fn header(out: &mut String, args: &Args, info: &RunInfo) -> std::fmt::Result {
    let m = &info.machine;
    writeln!(out, "# batch-bench report\n")?;
    writeln!(out, "Command line:\n\n```\n{}\n```\n", info.command)?;
    writeln!(
        out,
        "Run {} (took {:.0} s) on commit {}.\n",
        info.started.format("%Y-%m-%d %H:%M UTC"),
        info.elapsed.as_secs_f64(),
        m.commit,
    )?;
    writeln!(
        out,
        "- Machine: {} CPUs (nproc), {}, {} RAM, Linux {}, PostgreSQL {}; load average {} at \
         the start, {} at the end.",
        m.cpus,
        m.cpu_model,
        m.memory,
        m.kernel,
        info.postgres_version,
        m.load_average,
        info.load_average_end
    )?;
    writeln!(
        out,
        "- **The load generator shares these {} cores with PostgreSQL, batch-service and the \
         translators** (and with anything else running on the machine: the `other` column). \
         Every figure includes the cost of generating the load; the CPU columns say how much \
         that was.",
        m.cpus
    )?;
    let scenarios: Vec<&str> = info.scenarios.iter().map(|s| s.name()).collect();
    writeln!(
        out,
        "- Throughput: {} round(s) of {} (interleaved), each run {} concurrent clients, {} s \
         warm-up then {} s measured; each figure is the median over rounds, each ratio the \
         median of the per-round ratios to the same round's baseline. Sweep points: {} s \
         warm-up, {} s measured.",
        args.rounds,
        Scenario::ALL
            .iter()
            .filter(|s| s.route().is_some() && info.scenarios.contains(s))
            .map(|s| s.name())
            .collect::<Vec<_>>()
            .join(", "),
        args.concurrency,
        args.warmup_secs,
        args.duration_secs,
        args.sweep_warmup_secs,
        args.sweep_duration_secs
    )?;
    writeln!(
        out,
        "- Table: one table seeded once with at least {} batches of {} items each plus what \
         the runs delete (topped up at its high end when a run would take it below that), \
         vacuumed and checkpointed before every run; every run deletes a fresh range of ids. \
         gRPC clients share {} HTTP/2 channel(s); HTTP clients each keep one HTTP/1.1 \
         connection alive. Scenarios: {}.\n",
        thousands(args.table_size.max(0) as u64),
        args.items_per_batch,
        args.grpc_channels,
        scenarios.join(", ")
    )
}

fn targets_table(out: &mut String, rows: &[Row]) -> std::fmt::Result {
    writeln!(out, "## Targets\n")?;
    writeln!(out, "| measure | result | target | verdict |")?;
    writeln!(out, "|---|---|---|---|")?;
    for row in rows {
        writeln!(
            out,
            "| {} | {} | {} | {} |",
            row.measure,
            row.result,
            row.target,
            row.verdict.word()
        )?;
    }
    writeln!(out)
}

fn notes(out: &mut String, results: &Results) -> std::fmt::Result {
    writeln!(out, "## Notes\n")?;
    for (scenario, error) in &results.failures {
        writeln!(out, "- **{} failed**: {error}", scenario.name())?;
    }
    let runs = results
        .rounds
        .iter()
        .map(|r| &r.run)
        .chain(results.latency.iter().map(|l| &l.run))
        .chain(results.concurrency_sweep.iter().map(|p| &p.run))
        .chain(results.table_size_sweep.iter().map(|p| &p.run));
    for run in runs {
        let what = format!("{} at {} clients", run.route.name(), run.clients);
        if let Some(mismatch) = &run.mismatch {
            writeln!(out, "- **{what}**: {mismatch}.")?;
        }
        if run.ran_out {
            writeln!(
                out,
                "- {what}: used up its ids after {:.1} s of the measured window; its figures \
                 cover that shorter window (raise --seed-rate).",
                run.window.as_secs_f64()
            )?;
        }
        if let Some(error) = &run.first_error {
            writeln!(
                out,
                "- {what}: {} failed requests; the first: {error}",
                thousands(run.errors)
            )?;
        }
    }
    for latency in &results.latency {
        if latency.not_sent > 0 {
            writeln!(
                out,
                "- {} latency run: {} requests were never sent: it fell more than 10 s behind.",
                latency.run.route.name(),
                thousands(latency.not_sent)
            )?;
        }
    }
    if let Some(bulk) = &results.bulk {
        writeln!(
            out,
            "- 10,000-id deletes: gRPC {:?}, SQL {:?} (ms, per repetition, alternating which \
             goes first); batch-service used {} of CPU per repetition.",
            bulk.grpc.iter().map(|d| d.as_millis()).collect::<Vec<_>>(),
            bulk.sql.iter().map(|d| d.as_millis()).collect::<Vec<_>>(),
            millis(bulk.service_cpu)
        )?;
    }
    if let Some(first) = &results.first_delete {
        writeln!(
            out,
            "- First delete: a new batch-service process per start, polled every 1 ms \
             (connect, then DeleteBatches of a fresh batch); attempts per start: {:?}.",
            first.attempts
        )?;
    }
    writeln!(
        out,
        "- Baseline statement (prepared, one per connection, autocommit): `{}`. The service \
         does more per delete: authentication (cached), one statement that deletes, \
         checks each request and writes its audit row (and a second one that decides the \
         group again under row locks when a request must be refused), and its logging and \
         metrics.",
        crate::clients::DELETE_ONE
    )?;
    writeln!(
        out,
        "- Every run checks that the rows deleted equal the deletes answered as done (SOAP \
         deletes with allow-missing, so its success alone proves nothing); a difference is \
         listed above. batch-service runs with its default settings (DB_POOL_SIZE etc. are \
         passed through from the environment)."
    )?;
    writeln!(
        out,
        "- Per statement (every load run): the `DeleteBatches` calls the service decided \
         per grouped statement during the run, the mean time of one statement, and the \
         statements running at once on average, from its `batch_delete_group_requests` \
         and `batch_delete_group_seconds` histograms read at the window's edges."
    )
}

/// The whole report.
pub(crate) fn render(args: &Args, info: &RunInfo, results: &Results) -> String {
    let rows = targets::rows(results, args.rounds, args.concurrency);
    let mut out = String::new();
    let written = header(&mut out, args, info)
        .and_then(|()| targets_table(&mut out, &rows))
        .and_then(|()| tables::rounds(&mut out, results))
        .and_then(|()| tables::medians(&mut out, results))
        .and_then(|()| tables::latency(&mut out, results))
        .and_then(|()| tables::sweeps(&mut out, results, args.concurrency))
        .and_then(|()| tables::all_runs(&mut out, results))
        .and_then(|()| notes(&mut out, results));
    written.expect("writing to a String cannot fail");
    out
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;
    use crate::clients::{Door, Route};
    use crate::cpu::{CpuPerRequest, Memory};
    use crate::groups::Grouping;
    use crate::results::{Percentiles, RoundRun, RunRow, StackMemory};

    fn run(route: Route, rate: f64) -> RunRow {
        RunRow {
            route,
            clients: 32,
            table_batches: 600_000,
            ok: (rate * 10.0) as u64,
            errors: 0,
            first_error: None,
            rate,
            window: Duration::from_secs(10),
            ran_out: false,
            latency: Percentiles::default(),
            grouping: Some(Grouping {
                calls_per_statement: 12.5,
                statement_time: Duration::from_micros(1_500),
                in_flight: 1.8,
                slow_share: 0.004,
            }),
            cpu: Some(CpuPerRequest {
                service: Some(38.0),
                rest_translator: Some(36.0),
                soap_translator: Some(0.1),
                postgres: 45.0,
                ..CpuPerRequest::default()
            }),
            memory: StackMemory {
                service: Some(Memory {
                    rss_kib: 20 * 1024,
                    hwm_kib: 24 * 1024,
                }),
                rest_translator: Some(Memory {
                    rss_kib: 6 * 1024,
                    hwm_kib: 12 * 1024,
                }),
                soap_translator: None,
            },
            mismatch: None,
        }
    }

    fn report(results: &Results) -> String {
        let args = Args::try_parse_from(["batch-bench", "--rounds", "1"]).unwrap();
        let info = RunInfo {
            machine: Machine::detect(),
            postgres_version: "17".to_owned(),
            started: chrono::Utc::now(),
            elapsed: Duration::from_secs(60),
            load_average_end: "2.00 1.00 0.50".to_owned(),
            command: "batch-bench --rounds 1".to_owned(),
            scenarios: Scenario::ALL.to_vec(),
        };
        render(&args, &info, results)
    }

    #[test]
    fn every_figure_stands_next_to_its_target() {
        let rest = Route::Door(Door::Rest);
        let results = Results {
            rounds_planned: 1,
            rounds: [
                (Route::Sql, 10_000.0),
                (Route::Grpc, 10_500.0),
                (rest, 8_000.0),
            ]
            .into_iter()
            .map(|(route, rate)| RoundRun {
                round: 0,
                run: run(route, rate),
            })
            .collect(),
            failures: vec![(Scenario::Soap, "soap-translator exited".to_owned())],
            ..Results::default()
        };
        let report = report(&results);
        assert!(
            report.contains("```\nbatch-bench --rounds 1\n```"),
            "{report}"
        );
        assert!(report.contains("shares these"));
        let line = |needle: &str| {
            report
                .lines()
                .find(|l| l.contains(needle))
                .unwrap_or_else(|| panic!("no line with {needle}:\n{report}"))
                .to_owned()
        };
        assert!(line("gRPC DeleteBatches, one id per call, 32").contains("**1.05×**"));
        assert!(line("gRPC DeleteBatches, one id per call, 32").ends_with("**PASS** |"));
        // 0.80× of the baseline misses the doors' 0.85×.
        assert!(line("REST door: DELETE").ends_with("**MISS** |"));
        assert!(line("SOAP door: DeleteBatchTask").ends_with("n/a |"));
        assert!(line("CPU per request: REST translator").ends_with("**MISS** |"));
        assert!(line("CPU per request: batch-service").ends_with("**PASS** |"));
        assert!(line("CPU per deleted batch: PostgreSQL").ends_with("**MISS** |"));
        // VmHWM 12 MiB is not single-digit, though VmRSS 6 MiB would be.
        assert!(line("Memory under load: REST translator").ends_with("**MISS** |"));
        assert!(line("Memory under load: batch-service").ends_with("**PASS** |"));
        assert!(line("First delete served").ends_with("n/a |"));
        assert!(report.contains("**soap failed**: soap-translator exited"));
        assert!(report.contains("| 1 | 10,000/s | 10,500/s (1.05×) | 8,000/s (0.80×) |"));
        // Every load run shows how many calls each grouped statement decided.
        assert!(line("| round 1 | gRPC | 32 |").contains("| 12.5 · 1.50 ms · 1.8 · 0.4% |"));
    }
}
