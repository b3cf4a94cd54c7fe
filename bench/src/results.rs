//! What a run measured, scenario by scenario, and the figures the report derives from
//! it: medians over the interleaved rounds and ratios to the baseline of each round.

use std::time::Duration;

use hdrhistogram::Histogram;

use crate::clients::Route;
use crate::cpu::{CpuPerRequest, Memory};
use crate::groups::Grouping;
use crate::load::LoadStats;
use crate::scenarios::Scenario;
use crate::stats::{median, median_duration, median_ratio};

/// Median, 99th percentile and maximum of a latency histogram.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Percentiles {
    pub(crate) p50: Duration,
    pub(crate) p99: Duration,
    pub(crate) max: Duration,
}

impl Percentiles {
    /// From a histogram of microseconds.
    pub(crate) fn of(histogram: &Histogram<u64>) -> Self {
        Self {
            p50: Duration::from_micros(histogram.value_at_quantile(0.50)),
            p99: Duration::from_micros(histogram.value_at_quantile(0.99)),
            max: Duration::from_micros(histogram.max()),
        }
    }
}

/// The memory of the started processes after a run; VmHWM is the peak since start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct StackMemory {
    pub(crate) service: Option<Memory>,
    pub(crate) rest_translator: Option<Memory>,
    pub(crate) soap_translator: Option<Memory>,
}

/// One load run.
#[derive(Debug, Clone)]
pub(crate) struct RunRow {
    pub(crate) route: Route,
    pub(crate) clients: usize,
    /// Fresh batches in the table when the run started (it deletes some of them).
    pub(crate) table_batches: i64,
    /// Successful deletes in the measured window.
    pub(crate) ok: u64,
    /// Failed requests in the whole run.
    pub(crate) errors: u64,
    pub(crate) first_error: Option<String>,
    /// Successful deletes per second in the measured window.
    pub(crate) rate: f64,
    /// How long the measured window lasted.
    pub(crate) window: Duration,
    /// Whether the run used up its ids and stopped before the window's planned end.
    pub(crate) ran_out: bool,
    pub(crate) latency: Percentiles,
    pub(crate) cpu: Option<CpuPerRequest>,
    /// How the service grouped the run's `DeleteBatches` calls.
    pub(crate) grouping: Option<Grouping>,
    /// Memory of the started processes after the run.
    pub(crate) memory: StackMemory,
    /// Set when the rows that went differ from the deletes answered as done.
    pub(crate) mismatch: Option<String>,
}

impl RunRow {
    pub(crate) fn new<S>(route: Route, clients: usize, stats: &LoadStats<S>) -> Self {
        Self {
            route,
            clients,
            table_batches: 0,
            ok: stats.ok,
            errors: stats.errors,
            first_error: stats.first_error.clone(),
            rate: stats.rate(),
            window: stats.window,
            ran_out: stats.ran_out,
            latency: Percentiles::of(&stats.latency),
            cpu: None,
            grouping: None,
            memory: StackMemory::default(),
            mismatch: None,
        }
    }
}

/// A throughput run of one round.
#[derive(Debug, Clone)]
pub(crate) struct RoundRun {
    /// Counted from 0.
    pub(crate) round: usize,
    pub(crate) run: RunRow,
}

/// An open-loop run at half of a route's peak.
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

impl Bulk {
    pub(crate) fn ratio(&self) -> Option<f64> {
        let grpc = median_duration(&self.grpc)?.as_secs_f64();
        let sql = median_duration(&self.sql)?.as_secs_f64();
        (sql > 0.0).then(|| grpc / sql)
    }
}

/// Time from starting a fresh batch-service to its first successful delete.
#[derive(Debug, Clone, Default)]
pub(crate) struct FirstDelete {
    /// One per start.
    pub(crate) times: Vec<Duration>,
    /// DeleteBatches attempts (or connection attempts) before the first OK, per start.
    pub(crate) attempts: Vec<u32>,
}

/// One point of a sweep.
#[derive(Debug, Clone)]
pub(crate) struct SweepPoint {
    /// The table size the point was set up for (the concurrency sweep's is the main
    /// table's floor).
    pub(crate) nominal_table: i64,
    pub(crate) run: RunRow,
}

/// Everything a run measured, and what failed.
#[derive(Debug, Default)]
pub(crate) struct Results {
    /// How many rounds of throughput runs were planned.
    pub(crate) rounds_planned: usize,
    /// The throughput runs, in the order they ran.
    pub(crate) rounds: Vec<RoundRun>,
    pub(crate) latency: Vec<Latency>,
    pub(crate) bulk: Option<Bulk>,
    pub(crate) first_delete: Option<FirstDelete>,
    pub(crate) concurrency_sweep: Vec<SweepPoint>,
    pub(crate) table_size_sweep: Vec<SweepPoint>,
    pub(crate) failures: Vec<(Scenario, String)>,
}

/// The field-by-field median of CPU figures; a party absent from any of them is absent.
fn median_cpu(figures: &[&CpuPerRequest]) -> Option<CpuPerRequest> {
    if figures.is_empty() {
        return None;
    }
    let of = |field: fn(&CpuPerRequest) -> f64| {
        median(&figures.iter().map(|c| field(c)).collect::<Vec<_>>()).unwrap_or_default()
    };
    let of_party = |field: fn(&CpuPerRequest) -> Option<f64>| {
        let values: Option<Vec<f64>> = figures.iter().map(|c| field(c)).collect();
        median(&values?)
    };
    Some(CpuPerRequest {
        bench: of(|c| c.bench),
        service: of_party(|c| c.service),
        rest_translator: of_party(|c| c.rest_translator),
        soap_translator: of_party(|c| c.soap_translator),
        postgres: of(|c| c.postgres),
        other: of(|c| c.other),
        idle_share: of(|c| c.idle_share),
    })
}

impl Results {
    /// The runs of `route` over the rounds.
    fn runs_of(&self, route: Route) -> impl Iterator<Item = &RunRow> {
        self.rounds
            .iter()
            .filter(move |r| r.run.route == route)
            .map(|r| &r.run)
    }

    /// Each round's rate of `route`, `None` for a round where it failed.
    pub(crate) fn rates(&self, route: Route) -> Vec<Option<f64>> {
        (0..self.rounds_planned)
            .map(|round| {
                self.rounds
                    .iter()
                    .find(|r| r.round == round && r.run.route == route)
                    .map(|r| r.run.rate)
            })
            .collect()
    }

    /// The median rate of `route` over the rounds: its peak for the latency runs.
    pub(crate) fn median_rate(&self, route: Route) -> Option<f64> {
        median(&self.rates(route).into_iter().flatten().collect::<Vec<_>>())
    }

    /// The median over rounds of `route`'s rate divided by the same round's baseline.
    pub(crate) fn median_ratio(&self, route: Route) -> Option<f64> {
        median_ratio(&self.rates(route), &self.rates(Route::Sql))
    }

    /// The median CPU per request of `route` over the rounds.
    pub(crate) fn median_cpu(&self, route: Route) -> Option<CpuPerRequest> {
        median_cpu(
            &self
                .runs_of(route)
                .filter_map(|r| r.cpu.as_ref())
                .collect::<Vec<_>>(),
        )
    }

    /// The median latency percentiles of `route` over the rounds (closed loop).
    pub(crate) fn median_latency(&self, route: Route) -> Option<Percentiles> {
        let runs: Vec<&RunRow> = self.runs_of(route).collect();
        let of = |field: fn(&Percentiles) -> Duration| {
            median_duration(&runs.iter().map(|r| field(&r.latency)).collect::<Vec<_>>())
        };
        Some(Percentiles {
            p50: of(|p| p.p50)?,
            p99: of(|p| p.p99)?,
            max: of(|p| p.max)?,
        })
    }

    /// The peak memory (largest VmHWM) of each process over the throughput rounds:
    /// the memory "under load" at 32 clients.
    pub(crate) fn peak_memory(&self) -> StackMemory {
        let peak = |field: fn(&StackMemory) -> Option<Memory>| {
            self.rounds
                .iter()
                .filter_map(|r| field(&r.run.memory))
                .max_by_key(|m| m.hwm_kib)
        };
        StackMemory {
            service: peak(|m| m.service),
            rest_translator: peak(|m| m.rest_translator),
            soap_translator: peak(|m| m.soap_translator),
        }
    }

    /// The fastest rate any run has shown so far: what an unmeasured route is sized by.
    pub(crate) fn fastest_rate(&self) -> Option<f64> {
        self.rounds
            .iter()
            .map(|r| r.run.rate)
            .chain(self.concurrency_sweep.iter().map(|p| p.run.rate))
            .chain(self.table_size_sweep.iter().map(|p| p.run.rate))
            .max_by(f64::total_cmp)
    }

    /// The fastest rate `route` has shown so far, in any scenario.
    pub(crate) fn fastest_rate_of(&self, route: Route) -> Option<f64> {
        self.rounds
            .iter()
            .map(|r| &r.run)
            .chain(self.concurrency_sweep.iter().map(|p| &p.run))
            .chain(self.table_size_sweep.iter().map(|p| &p.run))
            .filter(|run| run.route == route)
            .map(|run| run.rate)
            .max_by(f64::total_cmp)
    }

    pub(crate) fn latency_of(&self, route: Route) -> Option<&Latency> {
        self.latency.iter().find(|l| l.run.route == route)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::Door;

    fn run(route: Route, rate: f64, service_cpu: f64) -> RunRow {
        RunRow {
            route,
            clients: 32,
            table_batches: 500_000,
            ok: (rate * 10.0) as u64,
            errors: 0,
            first_error: None,
            rate,
            window: Duration::from_secs(10),
            ran_out: false,
            latency: Percentiles::default(),
            grouping: None,
            cpu: Some(CpuPerRequest {
                service: Some(service_cpu),
                postgres: 50.0,
                ..CpuPerRequest::default()
            }),
            memory: StackMemory::default(),
            mismatch: None,
        }
    }

    #[test]
    fn figures_are_medians_over_rounds_and_ratios_per_round() {
        let mut results = Results {
            rounds_planned: 3,
            ..Results::default()
        };
        let rest = Route::Door(Door::Rest);
        for (round, (baseline, grpc, rest_rate)) in [
            (10_000.0, 9_000.0, 8_000.0),
            (5_000.0, 5_000.0, 4_000.0),
            (10_000.0, 12_000.0, 9_000.0),
        ]
        .into_iter()
        .enumerate()
        {
            for (route, rate) in [
                (Route::Sql, baseline),
                (Route::Grpc, grpc),
                (rest, rest_rate),
            ] {
                let run = run(route, rate, rate / 1_000.0);
                results.rounds.push(RoundRun { round, run });
            }
        }
        assert_eq!(results.median_rate(Route::Grpc), Some(9_000.0));
        // Ratios 0.9, 1.0, 1.2: the median is 1.0 (the ratio of medians would be 0.9).
        assert_eq!(results.median_ratio(Route::Grpc), Some(1.0));
        assert_eq!(results.median_ratio(rest), Some(0.8));
        let cpu = results.median_cpu(Route::Grpc).unwrap();
        assert_eq!(cpu.service, Some(9.0));
        assert_eq!(cpu.rest_translator, None);
        assert_eq!(results.fastest_rate(), Some(12_000.0));
        assert_eq!(results.fastest_rate_of(rest), Some(9_000.0));
    }

    #[test]
    fn a_failed_round_leaves_a_gap_not_a_shift() {
        let mut results = Results {
            rounds_planned: 2,
            ..Results::default()
        };
        results.rounds.push(RoundRun {
            round: 1,
            run: run(Route::Grpc, 7.0, 1.0),
        });
        assert_eq!(results.rates(Route::Grpc), [None, Some(7.0)]);
        assert_eq!(results.median_ratio(Route::Grpc), None);
    }

    #[test]
    fn bulk_ratio_is_of_medians() {
        let ms = Duration::from_millis;
        let bulk = Bulk {
            grpc: vec![ms(110), ms(500), ms(100)],
            sql: vec![ms(100), ms(90), ms(100)],
            service_cpu: Duration::ZERO,
        };
        assert!((bulk.ratio().unwrap() - 1.1).abs() < 1e-9);
    }
}
