//! The contract's "How fast" targets and the table that sets each figure beside its
//! target with PASS or MISS. A figure that could not be taken says why, and is never
//! counted as a pass.

use std::time::Duration;

use super::format::{mib, micros, millis, or_dash, rate, ratio};
use crate::clients::{Door, Route};
use crate::cpu::{CpuPerRequest, Memory};
use crate::results::{Results, SweepPoint};
use crate::stats::median_duration;

/// gRPC end to end, as a ratio of PostgreSQL alone in the same round.
const GRPC_RATIO_MIN: f64 = 1.0;
/// Each door end to end, as a ratio of PostgreSQL alone in the same round.
const DOOR_RATIO_MIN: f64 = 0.85;
/// p99 at half of each route's peak, open loop.
const P99_MAX: Duration = Duration::from_millis(3);
/// 10,000 ids in one call against the same delete as one raw SQL transaction.
const BULK_RATIO_MAX: f64 = 1.1;
/// CPU per request, µs.
const REST_TRANSLATOR_CPU_MAX: f64 = 35.0;
const SOAP_TRANSLATOR_CPU_MAX: f64 = 40.0;
const SERVICE_CPU_MAX: f64 = 40.0;
/// PostgreSQL CPU per deleted batch, µs.
const POSTGRES_CPU_MAX: f64 = 40.0;
/// "Single-digit MiB": each translator's peak stays under 10 MiB.
const TRANSLATOR_MEMORY_BELOW_MIB: f64 = 10.0;
/// The service's peak under load.
const SERVICE_MEMORY_MAX_MIB: f64 = 32.0;
/// From starting the service to its first successful delete.
const FIRST_DELETE_MAX: Duration = Duration::from_millis(50);
/// "Throughput that does not fall from 32 to 128 clients": the most clients' rate over
/// the 32 clients' rate. 5 % is allowed for run-to-run noise of a single sweep point.
const MORE_CLIENTS_RATIO_MIN: f64 = 0.95;
/// The number of clients the contract compares the most clients' throughput with.
const REFERENCE_CLIENTS: usize = 32;
/// "Flat cost per delete from 100,000 to 2,000,000 batches": the largest table's CPU per
/// delete (batch-service + PostgreSQL) over the smallest's. 15 % is allowed for noise
/// and for the one more B-tree level a 20× larger index may need.
const TABLE_GROWTH_MAX: f64 = 1.15;

/// How a figure compares with its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
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

    pub(crate) fn word(self) -> &'static str {
        match self {
            Self::Pass => "**PASS**",
            Self::Miss => "**MISS**",
            Self::Info => "info",
            Self::Missing => "n/a",
        }
    }
}

/// One line of the targets table.
pub(crate) struct Row {
    pub(crate) measure: String,
    pub(crate) result: String,
    pub(crate) target: String,
    pub(crate) verdict: Verdict,
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

    /// A figure that is missing because its run failed, was not selected or needed
    /// another that did not run.
    fn missing(measure: impl Into<String>, target: impl Into<String>) -> Self {
        Self::new(
            measure,
            "— (not measured; see Notes)".to_owned(),
            target,
            Verdict::Missing,
        )
    }
}

/// The throughput ratio of `route` to the baseline.
fn ratio_row(results: &Results, route: Route, clients: usize, min: f64) -> Row {
    let measure = format!("{}, {clients} clients", route.label());
    let target = format!("≥ {}", ratio(min));
    let Some(median_ratio) = results.median_ratio(route) else {
        return Row::missing(measure, target);
    };
    let rates = results.rates(route);
    let baselines = results.rates(Route::Sql);
    let per_round: Vec<String> = crate::stats::per_round_ratios(&rates, &baselines)
        .into_iter()
        .map(ratio)
        .collect();
    Row::new(
        measure,
        format!(
            "**{}** of PostgreSQL alone ({} median; rounds: {})",
            ratio(median_ratio),
            rate(results.median_rate(route).unwrap_or_default()),
            per_round.join(", ")
        ),
        target,
        Verdict::at_least(median_ratio, min),
    )
}

/// A CPU figure of one party across the runs that have it, judged on the worst.
fn cpu_row(
    results: &Results,
    measure: &str,
    routes: &[Route],
    party: fn(&CpuPerRequest) -> Option<f64>,
    max: f64,
) -> Row {
    let target = format!("≤ {}", micros(max));
    let figures: Vec<(Route, f64)> = routes
        .iter()
        .filter_map(|route| Some((*route, party(&results.median_cpu(*route)?)?)))
        .collect();
    let Some(worst) = figures.iter().map(|(_, v)| *v).max_by(f64::total_cmp) else {
        return Row::missing(measure, target);
    };
    let parts: Vec<String> = figures
        .iter()
        .map(|(route, value)| format!("{} ({} run)", micros(*value), route.name()))
        .collect();
    Row::new(
        measure,
        parts.join(", "),
        target,
        Verdict::at_most(worst, max),
    )
}

fn memory_row(measure: &str, memory: Option<Memory>, max_mib: f64, strictly_below: bool) -> Row {
    let target = if strictly_below {
        format!("VmHWM < {max_mib:.0} MiB (single digit)")
    } else {
        format!("VmHWM ≤ {max_mib:.0} MiB")
    };
    match memory {
        None => Row::missing(measure, target),
        Some(m) => {
            let peak = mib(m.hwm_kib);
            Row::new(
                measure,
                format!(
                    "VmHWM {peak:.1} MiB (VmRSS {:.1} MiB after the last round)",
                    mib(m.rss_kib)
                ),
                target,
                if strictly_below {
                    Verdict::below(peak, max_mib)
                } else {
                    Verdict::at_most(peak, max_mib)
                },
            )
        }
    }
}

/// The sweep point of `route` with `pick`'s key, e.g. the most clients.
fn point(
    points: &[SweepPoint],
    route: Route,
    key: impl Fn(&SweepPoint) -> bool,
) -> Option<&SweepPoint> {
    points.iter().find(|p| p.run.route == route && key(p))
}

fn concurrency_row(results: &Results) -> Row {
    let measure =
        format!("Concurrency sweep: gRPC throughput at the most clients vs {REFERENCE_CLIENTS}");
    let target = format!(
        "does not fall (≥ {} of {REFERENCE_CLIENTS} clients')",
        ratio(MORE_CLIENTS_RATIO_MIN)
    );
    let points = &results.concurrency_sweep;
    let most = points.iter().map(|p| p.run.clients).max();
    let reference = point(points, Route::Grpc, |p| p.run.clients == REFERENCE_CLIENTS);
    let (Some(most), Some(reference)) = (most, reference) else {
        return Row::missing(measure, target);
    };
    let Some(at_most) = point(points, Route::Grpc, |p| p.run.clients == most) else {
        return Row::missing(measure, target);
    };
    let grown = at_most.run.rate / reference.run.rate.max(f64::EPSILON);
    Row::new(
        format!("{measure} ({most} clients)"),
        format!(
            "{} at {most} vs {} at {REFERENCE_CLIENTS} = {}",
            rate(at_most.run.rate),
            rate(reference.run.rate),
            ratio(grown)
        ),
        target,
        Verdict::at_least(grown, MORE_CLIENTS_RATIO_MIN),
    )
}

/// CPU per delete of batch-service and PostgreSQL together.
pub(crate) fn cost_per_delete(point: &SweepPoint) -> Option<f64> {
    let cpu = point.run.cpu.as_ref()?;
    Some(cpu.service.unwrap_or_default() + cpu.postgres)
}

fn table_size_row(results: &Results) -> Row {
    let measure =
        "Table-size sweep: gRPC CPU per delete (service + PostgreSQL), largest vs smallest table";
    let target = format!("flat (≤ {})", ratio(TABLE_GROWTH_MAX));
    let grpc: Vec<&SweepPoint> = results
        .table_size_sweep
        .iter()
        .filter(|p| p.run.route == Route::Grpc)
        .collect();
    let smallest = grpc.iter().min_by_key(|p| p.nominal_table);
    let largest = grpc.iter().max_by_key(|p| p.nominal_table);
    let (Some(small), Some(large)) = (smallest, largest) else {
        return Row::missing(measure, target);
    };
    let (Some(small_cost), Some(large_cost)) = (cost_per_delete(small), cost_per_delete(large))
    else {
        return Row::missing(measure, target);
    };
    if small.nominal_table == large.nominal_table {
        return Row::missing(measure, target);
    }
    let growth = large_cost / small_cost.max(f64::EPSILON);
    Row::new(
        measure,
        format!(
            "{} at {} batches vs {} at {} = {}",
            micros(large_cost),
            super::format::thousands(large.nominal_table as u64),
            micros(small_cost),
            super::format::thousands(small.nominal_table as u64),
            ratio(growth)
        ),
        target,
        Verdict::at_most(growth, TABLE_GROWTH_MAX),
    )
}

/// The targets table's rows, in the contract's order.
pub(crate) fn rows(results: &Results, rounds: usize, clients: usize) -> Vec<Row> {
    let rest = Route::Door(Door::Rest);
    let soap = Route::Door(Door::Soap);
    let mut rows = vec![match results.median_rate(Route::Sql) {
        Some(baseline) => Row::new(
            format!(
                "PostgreSQL alone: prepared single-row deletes, one per transaction, \
                 {clients} connections"
            ),
            format!(
                "{} (median of {rounds} round{})",
                rate(baseline),
                if rounds == 1 { "" } else { "s" }
            ),
            "the reference (1.0×)",
            Verdict::Info,
        ),
        None => Row::missing("PostgreSQL alone", "the reference"),
    }];
    rows.push(ratio_row(results, Route::Grpc, clients, GRPC_RATIO_MIN));
    rows.push(ratio_row(results, rest, clients, DOOR_RATIO_MIN));
    rows.push(ratio_row(results, soap, clients, DOOR_RATIO_MIN));
    for route in [Route::Grpc, rest, soap] {
        let measure = format!("p99 of {} at half of its peak, open loop", route.name());
        let target = format!("p99 ≤ {}", millis(P99_MAX));
        rows.push(match results.latency_of(route) {
            Some(l) => Row::new(
                format!("{measure} ({})", rate(l.target_rate)),
                format!(
                    "p50 {}, **p99 {}**, max {}",
                    millis(l.run.latency.p50),
                    millis(l.run.latency.p99),
                    millis(l.run.latency.max)
                ),
                target,
                Verdict::at_most(l.run.latency.p99.as_secs_f64(), P99_MAX.as_secs_f64()),
            ),
            None => Row::missing(measure, target),
        });
    }
    let bulk_measure =
        "One DeleteBatches of 10,000 ids vs the same delete as one raw SQL transaction";
    let bulk_target = format!("≤ {}", ratio(BULK_RATIO_MAX));
    rows.push(
        match results.bulk.as_ref().and_then(|b| Some((b, b.ratio()?))) {
            Some((bulk, bulk_ratio)) => Row::new(
                format!("{bulk_measure} (median of {})", bulk.grpc.len()),
                format!(
                    "{} vs {} = **{}**",
                    or_dash(median_duration(&bulk.grpc), millis),
                    or_dash(median_duration(&bulk.sql), millis),
                    ratio(bulk_ratio)
                ),
                bulk_target,
                Verdict::at_most(bulk_ratio, BULK_RATIO_MAX),
            ),
            None => Row::missing(bulk_measure, bulk_target),
        },
    );
    rows.push(cpu_row(
        results,
        "CPU per request: REST translator",
        &[rest],
        |c| c.rest_translator,
        REST_TRANSLATOR_CPU_MAX,
    ));
    rows.push(cpu_row(
        results,
        "CPU per request: SOAP translator",
        &[soap],
        |c| c.soap_translator,
        SOAP_TRANSLATOR_CPU_MAX,
    ));
    let service_routes = [Route::Grpc, rest, soap];
    rows.push(cpu_row(
        results,
        "CPU per request: batch-service (worst run counts)",
        &service_routes,
        |c| c.service,
        SERVICE_CPU_MAX,
    ));
    rows.push(cpu_row(
        results,
        "CPU per deleted batch: PostgreSQL, all backends (worst run counts)",
        &service_routes,
        |c| Some(c.postgres),
        POSTGRES_CPU_MAX,
    ));
    let memory = results.peak_memory();
    rows.push(memory_row(
        "Memory under load: REST translator",
        memory.rest_translator,
        TRANSLATOR_MEMORY_BELOW_MIB,
        true,
    ));
    rows.push(memory_row(
        "Memory under load: SOAP translator",
        memory.soap_translator,
        TRANSLATOR_MEMORY_BELOW_MIB,
        true,
    ));
    rows.push(memory_row(
        "Memory under load: batch-service",
        memory.service,
        SERVICE_MEMORY_MAX_MIB,
        false,
    ));
    let first_measure = "First delete served after batch-service starts";
    let first_target = format!("≤ {}", millis(FIRST_DELETE_MAX));
    rows.push(
        match results
            .first_delete
            .as_ref()
            .and_then(|f| Some((f, median_duration(&f.times)?)))
        {
            Some((first, time)) => Row::new(
                format!("{first_measure} (median of {} starts)", first.times.len()),
                format!(
                    "**{}** (each: {})",
                    millis(time),
                    first
                        .times
                        .iter()
                        .map(|t| millis(*t))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                first_target,
                Verdict::at_most(time.as_secs_f64(), FIRST_DELETE_MAX.as_secs_f64()),
            ),
            None => Row::missing(first_measure, first_target),
        },
    );
    rows.push(concurrency_row(results));
    rows.push(table_size_row(results));
    rows
}
