//! Load generators over a set of [`Worker`]s, each bounded in time and in ids:
//!
//! - [`closed_loop`]: every worker deletes as fast as it can, for a warm-up and then a
//!   measured window (throughput, with the CPU counters sampled at the window's edges);
//! - [`open_loop`]: requests at a fixed rate on a schedule fixed in advance, latency
//!   measured from when each request was due, so that a slow answer cannot hide the
//!   requests queued behind it (no coordinated omission).

use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::bail;
use hdrhistogram::Histogram;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::database::Seeded;

/// Deletes one batch by some route.
pub(crate) trait Worker: Send + 'static {
    /// `Ok` only when batch `id` was deleted.
    fn delete(&mut self, id: i64) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// Most failed requests a run tolerates before it stops.
const MAX_ERRORS: u64 = 1_000;
/// How long workers may take to finish their last request once a run is over.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);
/// How far an open-loop run may fall behind its schedule before it gives up.
const MAX_LAG: Duration = Duration::from_secs(10);
/// Largest latency recorded, in microseconds (larger ones are clamped).
const HISTOGRAM_MAX_MICROS: u64 = 60_000_000;

/// A warm-up, then a measured window.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    pub(crate) warmup: Duration,
    pub(crate) duration: Duration,
}

impl Plan {
    pub(crate) fn total(&self) -> Duration {
        self.warmup + self.duration
    }
}

/// A latency histogram in microseconds.
pub(crate) fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HISTOGRAM_MAX_MICROS, 3).expect("valid histogram bounds")
}

fn record(histogram: &mut Histogram<u64>, latency: Duration) {
    let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
    histogram.saturating_record(micros.clamp(1, HISTOGRAM_MAX_MICROS));
}

/// What the workers of one run share: the ids, the phase and the tally.
struct Shared {
    next_id: AtomicI64,
    last_id: i64,
    measuring: AtomicBool,
    stop: AtomicBool,
    ran_out: AtomicBool,
    ok_measured: AtomicU64,
    ok_total: AtomicU64,
    errors: AtomicU64,
    first_error: Mutex<Option<String>>,
}

impl Shared {
    fn new(ids: Seeded) -> Self {
        Self {
            next_id: AtomicI64::new(ids.first),
            last_id: ids.last,
            measuring: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            ran_out: AtomicBool::new(false),
            ok_measured: AtomicU64::new(0),
            ok_total: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            first_error: Mutex::new(None),
        }
    }

    /// The next unused id; `None` (and the run stops) when they are all used.
    fn claim(&self) -> Option<i64> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        if id > self.last_id {
            self.ran_out.store(true, Ordering::Relaxed);
            self.stop.store(true, Ordering::Relaxed);
            return None;
        }
        Some(id)
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Counts one result; `measured` says whether it falls in the measured window.
    fn tally(&self, result: anyhow::Result<()>, measured: bool) -> bool {
        match result {
            Ok(()) => {
                self.ok_total.fetch_add(1, Ordering::Relaxed);
                if measured {
                    self.ok_measured.fetch_add(1, Ordering::Relaxed);
                }
                true
            }
            Err(error) => {
                let errors = self.errors.fetch_add(1, Ordering::Relaxed) + 1;
                let mut first = self.first_error.lock().unwrap_or_else(|e| e.into_inner());
                first.get_or_insert_with(|| format!("{error:#}"));
                if errors >= MAX_ERRORS {
                    self.stop.store(true, Ordering::Relaxed);
                }
                false
            }
        }
    }

    /// Sleeps until `deadline`, or less if the run stops early.
    async fn wait_until(&self, deadline: Instant) {
        while !self.stopped() && Instant::now() < deadline {
            let step = deadline.saturating_duration_since(Instant::now());
            tokio::time::sleep(step.min(Duration::from_millis(50))).await;
        }
    }

    /// Fails the run if it ran out of ids or of patience with errors.
    fn verdict(&self) -> anyhow::Result<()> {
        let ok = self.ok_total.load(Ordering::Relaxed);
        if self.ran_out.load(Ordering::Relaxed) {
            bail!(
                "ran out of seeded ids after {ok} deletes: the run was faster than the seed \
                 was sized for (raise --seed-rate)"
            );
        }
        let errors = self.errors.load(Ordering::Relaxed);
        if errors >= MAX_ERRORS {
            bail!(
                "stopped after {errors} failed requests; the first: {}",
                self.first_error().unwrap_or_default()
            );
        }
        Ok(())
    }

    fn first_error(&self) -> Option<String> {
        self.first_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// Waits for the workers' histograms, aborting those that take too long.
async fn collect(mut tasks: JoinSet<Histogram<u64>>) -> Histogram<u64> {
    let mut merged = new_histogram();
    let deadline = Instant::now() + DRAIN_TIMEOUT;
    loop {
        match tokio::time::timeout_at(deadline, tasks.join_next()).await {
            Ok(Some(Ok(histogram))) => merged.add(histogram).expect("same bounds"),
            Ok(Some(Err(_))) => {} // a worker panicked or was aborted: its part is lost
            Ok(None) => return merged,
            Err(_) => {
                tasks.abort_all();
                return merged;
            }
        }
    }
}

/// The outcome of one run.
#[derive(Debug)]
pub(crate) struct LoadStats<S> {
    /// Deletes that succeeded in the measured window.
    pub(crate) ok: u64,
    /// Deletes that succeeded in the whole run, warm-up included.
    pub(crate) ok_total: u64,
    /// Failed requests in the whole run.
    pub(crate) errors: u64,
    pub(crate) first_error: Option<String>,
    /// How long the measured window really lasted.
    pub(crate) window: Duration,
    /// Latency of the measured successful requests, in microseconds.
    pub(crate) latency: Histogram<u64>,
    /// `sample()` at the start and at the end of the measured window.
    pub(crate) samples: (S, S),
}

impl<S> LoadStats<S> {
    /// Successful deletes per second in the measured window.
    pub(crate) fn rate(&self) -> f64 {
        self.ok as f64 / self.window.as_secs_f64().max(f64::EPSILON)
    }

    fn from_shared(
        shared: &Shared,
        window: Duration,
        latency: Histogram<u64>,
        samples: (S, S),
    ) -> Self {
        Self {
            ok: shared.ok_measured.load(Ordering::Relaxed),
            ok_total: shared.ok_total.load(Ordering::Relaxed),
            errors: shared.errors.load(Ordering::Relaxed),
            first_error: shared.first_error(),
            window,
            latency,
            samples,
        }
    }
}

/// Every worker deletes the next id as soon as its previous delete answered, for
/// `plan.warmup` and then `plan.duration`, using each id of `ids` at most once.
/// `sample` is called when the measured window opens and when it closes.
pub(crate) async fn closed_loop<W: Worker, S>(
    workers: Vec<W>,
    ids: Seeded,
    plan: Plan,
    mut sample: impl AsyncFnMut() -> S,
) -> anyhow::Result<LoadStats<S>> {
    let shared = std::sync::Arc::new(Shared::new(ids));
    let mut tasks = JoinSet::new();
    for mut worker in workers {
        let shared = shared.clone();
        tasks.spawn(async move {
            let mut histogram = new_histogram();
            while !shared.stopped() {
                let Some(id) = shared.claim() else { break };
                let sent = Instant::now();
                let result = worker.delete(id).await;
                let measured = shared.measuring.load(Ordering::Relaxed);
                if shared.tally(result, measured) && measured {
                    record(&mut histogram, sent.elapsed());
                }
            }
            histogram
        });
    }
    shared.wait_until(Instant::now() + plan.warmup).await;
    let first = sample().await;
    let opened = Instant::now();
    shared.measuring.store(true, Ordering::Relaxed);
    shared.wait_until(opened + plan.duration).await;
    shared.measuring.store(false, Ordering::Relaxed);
    let window = opened.elapsed();
    let last = sample().await;
    shared.stop.store(true, Ordering::Relaxed);
    let latency = collect(tasks).await;
    shared.verdict()?;
    Ok(LoadStats::from_shared(
        &shared,
        window,
        latency,
        (first, last),
    ))
}

/// A fixed-rate schedule spread over the workers: request `i` (counting over all
/// workers) is due `i / rate` seconds after the start and is sent by worker
/// `i % workers`, so each worker keeps its own evenly spaced timetable.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Schedule {
    rate: f64,
    workers: u64,
    total: u64,
    warmup_requests: u64,
}

impl Schedule {
    pub(crate) fn new(rate: f64, workers: usize, plan: Plan) -> Self {
        let rate = rate.max(1.0);
        Self {
            rate,
            workers: workers.max(1) as u64,
            total: (rate * plan.total().as_secs_f64()).ceil() as u64,
            warmup_requests: (rate * plan.warmup.as_secs_f64()).round() as u64,
        }
    }

    /// Requests in the whole schedule, warm-up included.
    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    /// The schedule-wide index of worker `worker`'s `k`-th request, if there is one.
    fn index(&self, worker: u64, k: u64) -> Option<u64> {
        let index = k * self.workers + worker;
        (index < self.total).then_some(index)
    }

    /// When request `index` is due, counted from the start.
    fn due(&self, index: u64) -> Duration {
        Duration::from_secs_f64(index as f64 / self.rate)
    }

    /// Whether request `index` is past the warm-up.
    fn measured(&self, index: u64) -> bool {
        index >= self.warmup_requests
    }

    /// When the measured part starts, counted from the start.
    fn measured_from(&self) -> Duration {
        self.due(self.warmup_requests)
    }
}

/// The outcome of an open-loop run.
#[derive(Debug)]
pub(crate) struct OpenLoopStats {
    pub(crate) stats: LoadStats<()>,
    /// Requests never sent because the run fell more than [`MAX_LAG`] behind.
    pub(crate) not_sent: u64,
}

/// Sends the requests of `schedule`, each on its worker when due (or as soon as the
/// worker is free, if it is late), and measures latency from when it was due.
pub(crate) async fn open_loop<W: Worker>(
    workers: Vec<W>,
    ids: Seeded,
    schedule: Schedule,
) -> anyhow::Result<OpenLoopStats> {
    let shared = std::sync::Arc::new(Shared::new(ids));
    let not_sent = std::sync::Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let give_up = start + schedule.due(schedule.total()) + MAX_LAG;
    let finished = std::sync::Arc::new(Mutex::new(start + schedule.measured_from()));
    let mut tasks = JoinSet::new();
    for (worker_index, mut worker) in workers.into_iter().enumerate() {
        let (shared, not_sent, finished) = (shared.clone(), not_sent.clone(), finished.clone());
        tasks.spawn(async move {
            let mut histogram = new_histogram();
            let mut k = 0;
            while let Some(index) = schedule.index(worker_index as u64, k) {
                k += 1;
                if shared.stopped() || Instant::now() > give_up {
                    not_sent.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                let due = start + schedule.due(index);
                tokio::time::sleep_until(due).await;
                let Some(id) = shared.claim() else { break };
                let measured = schedule.measured(index);
                let result = worker.delete(id).await;
                if shared.tally(result, measured) && measured {
                    let now = Instant::now();
                    record(&mut histogram, now - due);
                    let mut last = finished.lock().unwrap_or_else(|e| e.into_inner());
                    *last = (*last).max(now);
                }
            }
            histogram
        });
    }
    let latency = collect(tasks).await;
    shared.verdict()?;
    let last = *finished.lock().unwrap_or_else(|e| e.into_inner());
    let window = last.saturating_duration_since(start + schedule.measured_from());
    Ok(OpenLoopStats {
        stats: LoadStats::from_shared(&shared, window, latency, ((), ())),
        not_sent: not_sent.load(Ordering::Relaxed),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(warmup: u64, duration: u64) -> Plan {
        Plan {
            warmup: Duration::from_secs(warmup),
            duration: Duration::from_secs(duration),
        }
    }

    #[test]
    fn the_schedule_spreads_requests_evenly_over_workers() {
        let schedule = Schedule::new(1000.0, 4, plan(1, 2));
        assert_eq!(schedule.total(), 3000);
        // Worker 1's timetable: requests 1, 5, 9, ... each 4 ms apart.
        assert_eq!(schedule.index(1, 0), Some(1));
        assert_eq!(schedule.index(1, 2), Some(9));
        assert_eq!(schedule.due(9) - schedule.due(5), Duration::from_millis(4));
        assert_eq!(schedule.index(3, 749), Some(2999));
        assert_eq!(schedule.index(0, 750), None);
    }

    #[test]
    fn only_requests_after_the_warm_up_are_measured() {
        let schedule = Schedule::new(500.0, 32, plan(2, 10));
        assert!(!schedule.measured(999));
        assert!(schedule.measured(1000));
        assert_eq!(schedule.measured_from(), Duration::from_secs(2));
    }

    #[test]
    fn every_id_is_handed_out_once_and_running_out_stops_the_run() {
        let shared = Shared::new(Seeded { first: 5, last: 6 });
        assert_eq!(shared.claim(), Some(5));
        assert_eq!(shared.claim(), Some(6));
        assert!(!shared.stopped());
        assert_eq!(shared.claim(), None);
        assert!(shared.stopped());
        assert!(shared.verdict().is_err());
    }

    #[test]
    fn the_first_error_is_kept() {
        let shared = Shared::new(Seeded { first: 1, last: 10 });
        assert!(shared.tally(Ok(()), true));
        assert!(!shared.tally(Err(anyhow::anyhow!("first")), true));
        assert!(!shared.tally(Err(anyhow::anyhow!("second")), false));
        assert_eq!(shared.first_error().as_deref(), Some("first"));
        assert_eq!(shared.ok_measured.load(Ordering::Relaxed), 1);
        assert_eq!(shared.errors.load(Ordering::Relaxed), 2);
        assert!(shared.verdict().is_ok());
    }
}
