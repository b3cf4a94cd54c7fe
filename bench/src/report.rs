//! The results of a run and their Markdown report: the contract's targets, each next to
//! its figure with PASS or MISS, then every load run in detail (rates, latency, CPU per
//! delete of each party), then what failed and how the figures were taken.

use std::fmt::Write as _;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::clients::Door;
use crate::cpu::{CpuPerRequest, Memory};
use crate::load::LoadStats;
use crate::machine::Machine;
use crate::scenarios::Scenario;

/// gRPC end to end, as a share of PostgreSQL alone.
const GRPC_SHARE_MIN: f64 = 0.85;
/// Each door end to end, as a share of PostgreSQL alone.
const DOOR_SHARE_MIN: f64 = 0.75;
/// A third of the stock REST gateway's 50 µs.
const REST_CPU_MAX_MICROS: f64 = 50.0 / 3.0;
/// A tenth of the Node SOAP bridge's 200 µs.
const SOAP_CPU_MAX_MICROS: f64 = 20.0;
/// "Single-digit MiB": the peak must stay under 10 MiB.
const REST_MEMORY_MAX_MIB: f64 = 10.0;
/// "Low tens of MiB", read as at most 30 MiB at the peak.
const SOAP_MEMORY_MAX_MIB: f64 = 30.0;
/// 10,000 ids in one call against raw SQL.
const BULK_RATIO_MAX: f64 = 1.25;
/// p99 at half of peak, through either door.
const P99_MAX: Duration = Duration::from_millis(3);

/// Median, 99th percentile and maximum of a latency histogram.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Percentiles {
    pub(crate) p50: Duration,
    pub(crate) p99: Duration,
    pub(crate) max: Duration,
}

impl Percentiles {
    /// From a histogram of microseconds.
    fn of(histogram: &Histogram<u64>) -> Self {
        Self {
            p50: Duration::from_micros(histogram.value_at_quantile(0.50)),
            p99: Duration::from_micros(histogram.value_at_quantile(0.99)),
            max: Duration::from_micros(histogram.max()),
        }
    }
}

/// One load run, as the details table shows it.
#[derive(Debug, Clone)]
pub(crate) struct RunRow {
    pub(crate) label: String,
    /// Successful deletes in the measured window.
    pub(crate) ok: u64,
    /// Failed requests in the whole run.
    pub(crate) errors: u64,
    pub(crate) first_error: Option<String>,
    /// Successful deletes per second in the measured window.
    pub(crate) rate: f64,
    pub(crate) latency: Percentiles,
    pub(crate) cpu: Option<CpuPerRequest>,
    /// CPU µs per delete of batch-service, when it took part.
    pub(crate) service_cpu: Option<f64>,
    /// CPU µs per delete of the translator, when one took part.
    pub(crate) translator_cpu: Option<f64>,
    /// Set when the rows that went differ from the deletes answered as done.
    pub(crate) mismatch: Option<String>,
}

impl RunRow {
    pub(crate) fn new<S>(label: &str, stats: &LoadStats<S>) -> Self {
        Self {
            label: label.to_owned(),
            ok: stats.ok,
            errors: stats.errors,
            first_error: stats.first_error.clone(),
            rate: stats.rate(),
            latency: Percentiles::of(&stats.latency),
            cpu: None,
            service_cpu: None,
            translator_cpu: None,
            mismatch: None,
        }
    }
}

/// A closed-loop run at full speed.
#[derive(Debug, Clone)]
pub(crate) struct Throughput {
    pub(crate) run: RunRow,
    /// The translator's memory after the run, for the doors.
    pub(crate) translator_memory: Option<Memory>,
}

/// An open-loop run at a fixed rate.
#[derive(Debug, Clone)]
pub(crate) struct Latency {
    pub(crate) run: RunRow,
    pub(crate) target_rate: f64,
    pub(crate) not_sent: u64,
}

/// The 10,000-id deletes, one duration per timed repetition.
#[derive(Debug, Clone, Default)]
pub(crate) struct Bulk {
    pub(crate) grpc: Vec<Duration>,
    pub(crate) sql: Vec<Duration>,
    /// batch-service CPU per repetition (its call and the SQL one's idle time).
    pub(crate) service_cpu: Duration,
}

/// The middle value (the mean of the two middle ones for an even count).
fn median(values: &[Duration]) -> Duration {
    let mut sorted = values.to_vec();
    sorted.sort();
    match sorted.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    }
}

impl Bulk {
    fn ratio(&self) -> f64 {
        median(&self.grpc).as_secs_f64() / median(&self.sql).as_secs_f64().max(f64::EPSILON)
    }
}

/// Everything a run measured, and what failed.
#[derive(Debug, Default)]
pub(crate) struct Results {
    pub(crate) baseline: Option<Throughput>,
    pub(crate) grpc: Option<Throughput>,
    pub(crate) rest: Option<Throughput>,
    pub(crate) soap: Option<Throughput>,
    pub(crate) bulk: Option<Bulk>,
    pub(crate) rest_latency: Option<Latency>,
    pub(crate) soap_latency: Option<Latency>,
    pub(crate) failures: Vec<(Scenario, String)>,
}

impl Results {
    pub(crate) fn door(&self, door: Door) -> Option<&Throughput> {
        match door {
            Door::Rest => self.rest.as_ref(),
            Door::Soap => self.soap.as_ref(),
        }
    }

    fn latency(&self, door: Door) -> Option<&Latency> {
        match door {
            Door::Rest => self.rest_latency.as_ref(),
            Door::Soap => self.soap_latency.as_ref(),
        }
    }

    pub(crate) fn set_latency(&mut self, door: Door, latency: Latency) {
        match door {
            Door::Rest => self.rest_latency = Some(latency),
            Door::Soap => self.soap_latency = Some(latency),
        }
    }

    /// Every load run, in the order they ran.
    fn runs(&self) -> Vec<&RunRow> {
        let throughput = [&self.baseline, &self.grpc, &self.rest, &self.soap];
        let latency = [&self.rest_latency, &self.soap_latency];
        throughput
            .into_iter()
            .flatten()
            .map(|t| &t.run)
            .chain(latency.into_iter().flatten().map(|l| &l.run))
            .collect()
    }
}

/// How a figure compares with its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Pass,
    Miss,
    /// For information: no target.
    Info,
    /// The figure could not be taken.
    Missing,
}

impl Verdict {
    fn at_least(value: f64, target: f64) -> Self {
        if value >= target {
            Self::Pass
        } else {
            Self::Miss
        }
    }

    fn at_most(value: f64, target: f64) -> Self {
        if value <= target {
            Self::Pass
        } else {
            Self::Miss
        }
    }

    fn below(value: f64, target: f64) -> Self {
        if value < target {
            Self::Pass
        } else {
            Self::Miss
        }
    }

    fn word(self) -> &'static str {
        match self {
            Self::Pass => "**PASS**",
            Self::Miss => "**MISS**",
            Self::Info => "info",
            Self::Missing => "n/a",
        }
    }
}

/// One line of the targets table.
struct Row {
    measure: String,
    result: String,
    target: String,
    verdict: Verdict,
}

impl Row {
    fn new(
        measure: impl Into<String>,
        result: String,
        target: impl Into<String>,
        verdict: Verdict,
    ) -> Self {
        Self {
            measure: measure.into(),
            result,
            target: target.into(),
            verdict,
        }
    }

    /// A figure that is missing because its run failed or needed another that did.
    fn missing(measure: impl Into<String>, target: impl Into<String>, why: &str) -> Self {
        Self::new(measure, format!("— ({why})"), target, Verdict::Missing)
    }
}

/// `1234567` as `1,234,567`.
fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn rate(value: f64) -> String {
    format!("{}/s", thousands(value.round() as u64))
}

fn millis(value: Duration) -> String {
    let ms = value.as_secs_f64() * 1e3;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

fn micros(value: f64) -> String {
    format!("{value:.1} µs")
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// The rows of one throughput figure measured against the baseline.
fn share_row(
    measure: &str,
    run: Option<&Throughput>,
    baseline: Option<&Throughput>,
    min_share: f64,
) -> Row {
    let target = format!("≥ {:.0} % of PostgreSQL alone", min_share * 100.0);
    match (run, baseline) {
        (None, _) => Row::missing(measure, target, "run failed"),
        (Some(run), None) => Row::new(
            measure,
            format!("{} (no baseline to compare with)", rate(run.run.rate)),
            target,
            Verdict::Missing,
        ),
        (Some(run), Some(baseline)) => {
            let share = run.run.rate / baseline.run.rate.max(f64::EPSILON);
            Row::new(
                measure,
                format!(
                    "{} = {:.1} % of baseline",
                    rate(run.run.rate),
                    share * 100.0
                ),
                target,
                Verdict::at_least(share, min_share),
            )
        }
    }
}

/// The targets table's rows for the scenarios that were run.
fn target_rows(results: &Results, scenarios: &[Scenario]) -> Vec<Row> {
    let mut rows = Vec::new();
    let baseline = results.baseline.as_ref();
    for scenario in scenarios {
        match scenario {
            Scenario::Baseline => rows.push(match baseline {
                Some(b) => Row::new(
                    "1. PostgreSQL alone: single deletes (cascading to items)",
                    rate(b.run.rate),
                    "reference (contract: 17–21k/s on 2 cores)",
                    Verdict::Info,
                ),
                None => Row::missing("1. PostgreSQL alone", "reference", "run failed"),
            }),
            Scenario::Grpc => rows.push(share_row(
                "2. gRPC DeleteBatches end to end",
                results.grpc.as_ref(),
                baseline,
                GRPC_SHARE_MIN,
            )),
            Scenario::Rest | Scenario::Soap => {
                let door = if *scenario == Scenario::Rest {
                    Door::Rest
                } else {
                    Door::Soap
                };
                rows.extend(door_rows(results, door));
            }
            Scenario::Bulk => rows.push(match &results.bulk {
                Some(bulk) => Row::new(
                    format!(
                        "5. 10,000 ids in one DeleteBatches vs raw SQL (median of {})",
                        bulk.grpc.len()
                    ),
                    format!(
                        "{} vs {} = {:.2}×",
                        millis(median(&bulk.grpc)),
                        millis(median(&bulk.sql)),
                        bulk.ratio()
                    ),
                    format!("≤ {BULK_RATIO_MAX}×"),
                    Verdict::at_most(bulk.ratio(), BULK_RATIO_MAX),
                ),
                None => Row::missing(
                    "5. 10,000 ids in one call vs raw SQL",
                    "≤ 1.25×",
                    "run failed",
                ),
            }),
            Scenario::Latency => {
                for door in [Door::Rest, Door::Soap] {
                    let measure = format!("6. {} latency at 50 % of its peak", door.name());
                    let target = format!("p99 ≤ {}", millis(P99_MAX));
                    rows.push(match results.latency(door) {
                        Some(l) => Row::new(
                            format!("{measure} ({})", rate(l.target_rate)),
                            format!(
                                "p50 {}, **p99 {}**, max {}",
                                millis(l.run.latency.p50),
                                millis(l.run.latency.p99),
                                millis(l.run.latency.max)
                            ),
                            target,
                            Verdict::at_most(
                                l.run.latency.p99.as_secs_f64(),
                                P99_MAX.as_secs_f64(),
                            ),
                        ),
                        None => Row::missing(measure, target, "run failed"),
                    });
                }
            }
        }
    }
    rows
}

/// Throughput, translator CPU and memory of one door.
fn door_rows(results: &Results, door: Door) -> Vec<Row> {
    let name = door.name();
    let (cpu_max, cpu_target, memory_max, memory_target) = match door {
        Door::Rest => (
            REST_CPU_MAX_MICROS,
            "≤ 16.7 µs (⅓ of a stock gateway's 50 µs)",
            REST_MEMORY_MAX_MIB,
            "single-digit MiB (peak < 10 MiB)",
        ),
        Door::Soap => (
            SOAP_CPU_MAX_MICROS,
            "≤ 20 µs (1/10 of a Node bridge's 200 µs)",
            SOAP_MEMORY_MAX_MIB,
            "low tens of MiB (peak ≤ 30 MiB)",
        ),
    };
    let run = results.door(door);
    let mut rows = vec![share_row(
        &format!("3. {name} door end to end"),
        run,
        results.baseline.as_ref(),
        DOOR_SHARE_MIN,
    )];
    let cpu_measure = format!("4. {name} translator CPU per request");
    rows.push(match run.and_then(|r| r.run.translator_cpu) {
        Some(cpu) => Row::new(
            cpu_measure,
            micros(cpu),
            cpu_target,
            Verdict::at_most(cpu, cpu_max),
        ),
        None => Row::missing(cpu_measure, cpu_target, "run failed"),
    });
    let memory_measure = format!("4. {name} translator memory after the run");
    rows.push(match run.and_then(|r| r.translator_memory) {
        Some(m) => Row::new(
            memory_measure,
            format!(
                "VmRSS {:.1} MiB, VmHWM (peak) {:.1} MiB",
                mib(m.rss_kib),
                mib(m.hwm_kib)
            ),
            memory_target,
            if door == Door::Rest {
                Verdict::below(mib(m.hwm_kib), memory_max)
            } else {
                Verdict::at_most(mib(m.hwm_kib), memory_max)
            },
        ),
        None => Row::missing(memory_measure, memory_target, "run failed"),
    });
    rows
}

/// The batch-service CPU per delete of each end-to-end run, for information.
fn service_cpu_row(results: &Results) -> Option<Row> {
    let parts: Vec<String> = [
        ("gRPC", &results.grpc),
        ("REST", &results.rest),
        ("SOAP", &results.soap),
    ]
    .into_iter()
    .filter_map(|(name, run)| {
        let cpu = run.as_ref()?.run.service_cpu?;
        Some(format!("{} ({name} run)", micros(cpu)))
    })
    .collect();
    (!parts.is_empty()).then(|| {
        Row::new(
            "4. batch-service CPU per delete",
            parts.join(", "),
            "—",
            Verdict::Info,
        )
    })
}

/// How the run was set up, for the header.
#[derive(Debug, Clone)]
pub(crate) struct RunInfo {
    pub(crate) machine: Machine,
    pub(crate) postgres_version: String,
    pub(crate) started: chrono::DateTime<chrono::Utc>,
    pub(crate) elapsed: Duration,
    /// `/proc/loadavg` when the run ended.
    pub(crate) load_average_end: String,
    pub(crate) command: String,
    pub(crate) concurrency: usize,
    pub(crate) warmup: Duration,
    pub(crate) duration: Duration,
    pub(crate) grpc_channels: usize,
    pub(crate) items_per_batch: u32,
    pub(crate) scenarios: Vec<Scenario>,
}

fn header(out: &mut String, info: &RunInfo) -> std::fmt::Result {
    let m = &info.machine;
    writeln!(out, "# batch-bench report\n")?;
    writeln!(
        out,
        "Run {} (took {:.0} s) on commit {}: `{}`.\n",
        info.started.format("%Y-%m-%d %H:%M UTC"),
        info.elapsed.as_secs_f64(),
        m.commit,
        info.command
    )?;
    writeln!(
        out,
        "- Machine: {} CPUs (nproc), {}, {} RAM, Linux {}, PostgreSQL {}; load average {} at the start, {} at the end.",
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
         translators** (and with anything else running on the machine: the `other` column \
         below). Every figure includes the cost of generating the load; the CPU columns say \
         how much that was.",
        m.cpus
    )?;
    let scenarios: Vec<&str> = info.scenarios.iter().map(|s| s.name()).collect();
    writeln!(
        out,
        "- Each load run: {} concurrent clients, {:.0} s warm-up, then {:.0} s measured, on a \
         fresh set of batches with {} items each (tables truncated, bulk-inserted, vacuumed, \
         checkpointed). gRPC clients share {} HTTP/2 channel(s); HTTP clients each keep one \
         HTTP/1.1 connection alive. Scenarios: {}.\n",
        info.concurrency,
        info.warmup.as_secs_f64(),
        info.duration.as_secs_f64(),
        info.items_per_batch,
        info.grpc_channels,
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

fn runs_table(out: &mut String, results: &Results) -> std::fmt::Result {
    writeln!(out, "## Load runs\n")?;
    writeln!(
        out,
        "CPU columns are CPU time per successful delete in the measured window (from \
         `/proc/<pid>/stat`; PostgreSQL = the backends of the run's database and the \
         server's background processes; other = the rest of the machine's busy time, \
         e.g. other users of a shared machine or server); idle is the share of the \
         machine's CPU time left idle.\n"
    )?;
    writeln!(
        out,
        "| run | deletes | errors | rate | p50 | p99 | max | load generator | translator | batch-service | PostgreSQL | other | idle |"
    )?;
    writeln!(out, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")?;
    let opt = |value: Option<f64>| value.map_or_else(|| "—".to_owned(), micros);
    for run in results.runs() {
        let cpu = run.cpu.as_ref();
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            run.label,
            thousands(run.ok),
            thousands(run.errors),
            rate(run.rate),
            millis(run.latency.p50),
            millis(run.latency.p99),
            millis(run.latency.max),
            opt(cpu.map(|c| c.bench)),
            opt(run.translator_cpu),
            opt(run.service_cpu),
            opt(cpu.map(|c| c.postgres)),
            opt(cpu.map(|c| c.other)),
            cpu.map_or_else(
                || "—".to_owned(),
                |c| format!("{:.0} %", c.idle_share * 100.0)
            ),
        )?;
    }
    writeln!(out)
}

fn notes(out: &mut String, results: &Results) -> std::fmt::Result {
    writeln!(out, "## Notes\n")?;
    for (scenario, error) in &results.failures {
        writeln!(out, "- **{} failed**: {error}", scenario.name())?;
    }
    for run in results.runs() {
        if let Some(mismatch) = &run.mismatch {
            writeln!(out, "- **{}**: {mismatch}.", run.label)?;
        }
        if let Some(error) = &run.first_error {
            writeln!(
                out,
                "- {}: {} failed requests; the first: {error}",
                run.label,
                thousands(run.errors)
            )?;
        }
    }
    for latency in [&results.rest_latency, &results.soap_latency]
        .into_iter()
        .flatten()
    {
        if latency.not_sent > 0 {
            writeln!(
                out,
                "- {}: {} requests were never sent: the run fell more than 10 s behind.",
                latency.run.label,
                thousands(latency.not_sent)
            )?;
        }
    }
    if let Some(bulk) = &results.bulk {
        writeln!(
            out,
            "- 10,000-id deletes: gRPC {:?}, SQL {:?} (ms, per repetition); batch-service used \
             {} of CPU per repetition.",
            bulk.grpc.iter().map(|d| d.as_millis()).collect::<Vec<_>>(),
            bulk.sql.iter().map(|d| d.as_millis()).collect::<Vec<_>>(),
            millis(bulk.service_cpu)
        )?;
    }
    writeln!(
        out,
        "- Baseline statement (prepared, one per connection): `{}`. The service does more \
         per delete: authentication (cached), one statement that locks, checks, deletes and \
         writes the audit row, and its logging and metrics.",
        crate::clients::DELETE_ONE
    )?;
    writeln!(
        out,
        "- Every run checks that the rows deleted equal the deletes answered as done (SOAP \
         deletes with allow-missing, so its success alone proves nothing); a difference is \
         listed above. Latency in the open-loop runs is counted from when each request was \
         due, not from when it was sent. batch-service runs with its default settings \
         (DB_POOL_SIZE etc. are passed through from the environment)."
    )
}

/// The whole report.
pub(crate) fn render(info: &RunInfo, results: &Results) -> String {
    let mut rows = target_rows(results, &info.scenarios);
    if let Some(row) = service_cpu_row(results) {
        // With the other CPU figures: before the 10,000-id and latency rows.
        let at = rows
            .iter()
            .position(|r| r.measure.starts_with("5.") || r.measure.starts_with("6."))
            .unwrap_or(rows.len());
        rows.insert(at, row);
    }
    let mut out = String::new();
    let written = header(&mut out, info)
        .and_then(|()| targets_table(&mut out, &rows))
        .and_then(|()| runs_table(&mut out, results))
        .and_then(|()| notes(&mut out, results));
    written.expect("writing to a String cannot fail");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throughput(label: &str, rate: f64) -> Throughput {
        Throughput {
            run: RunRow {
                label: label.to_owned(),
                ok: (rate * 10.0) as u64,
                errors: 0,
                first_error: None,
                rate,
                latency: Percentiles::default(),
                cpu: None,
                service_cpu: Some(40.0),
                translator_cpu: Some(12.0),
                mismatch: None,
            },
            translator_memory: Some(Memory {
                rss_kib: 6 * 1024,
                hwm_kib: 12 * 1024,
            }),
        }
    }

    #[test]
    fn shares_are_judged_against_the_baseline() {
        let baseline = throughput("sql", 20_000.0);
        let row = share_row(
            "gRPC",
            Some(&throughput("grpc", 17_000.0)),
            Some(&baseline),
            0.85,
        );
        assert_eq!(row.verdict, Verdict::Pass);
        assert!(row.result.contains("85.0 %"), "{}", row.result);
        let row = share_row(
            "gRPC",
            Some(&throughput("grpc", 16_999.0)),
            Some(&baseline),
            0.85,
        );
        assert_eq!(row.verdict, Verdict::Miss);
        let row = share_row("gRPC", Some(&throughput("grpc", 1.0)), None, 0.85);
        assert_eq!(row.verdict, Verdict::Missing);
    }

    #[test]
    fn memory_targets_read_the_peak() {
        let results = Results {
            rest: Some(throughput("rest", 10.0)),
            ..Results::default()
        };
        let rows = door_rows(&results, Door::Rest);
        let memory = rows.iter().find(|r| r.measure.contains("memory")).unwrap();
        // VmRSS 6 MiB would pass; the 12 MiB peak does not.
        assert_eq!(memory.verdict, Verdict::Miss);
        let cpu = rows.iter().find(|r| r.measure.contains("CPU")).unwrap();
        assert_eq!(cpu.verdict, Verdict::Pass);
    }

    #[test]
    fn medians_and_numbers_read_well() {
        let ms = Duration::from_millis;
        assert_eq!(median(&[ms(30), ms(10), ms(20)]), ms(20));
        assert_eq!(median(&[ms(10), ms(20)]), ms(15));
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
        assert_eq!(millis(Duration::from_micros(1_234)), "1.23 ms");
    }

    #[test]
    fn the_report_names_every_scenario_and_failure() {
        let info = RunInfo {
            machine: Machine::detect(),
            postgres_version: "17".to_owned(),
            started: chrono::Utc::now(),
            elapsed: Duration::from_secs(60),
            load_average_end: "2.00 1.00 0.50".to_owned(),
            command: "make bench".to_owned(),
            concurrency: 32,
            warmup: Duration::from_secs(2),
            duration: Duration::from_secs(10),
            grpc_channels: 4,
            items_per_batch: 3,
            scenarios: Scenario::ALL.to_vec(),
        };
        let results = Results {
            baseline: Some(throughput("sql", 20_000.0)),
            grpc: Some(throughput("grpc", 18_000.0)),
            rest: Some(throughput("rest", 14_000.0)),
            failures: vec![(Scenario::Soap, "soap-translator exited".to_owned())],
            ..Results::default()
        };
        let report = render(&info, &results);
        assert!(report.contains("shares these"));
        assert!(
            report.contains("| 2. gRPC DeleteBatches end to end | 18,000/s = 90.0 % of baseline")
        );
        assert!(report.contains("3. SOAP door end to end | — (run failed)"));
        assert!(report.contains("**soap failed**: soap-translator exited"));
        assert!(report.contains("40.0 µs (gRPC run), 40.0 µs (REST run)"));
    }
}
