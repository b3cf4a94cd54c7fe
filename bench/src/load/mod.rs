//! Load generators over a set of [`Worker`]s, each bounded in time and in ids:
//!
//! - [`closed_loop`]: every worker deletes as fast as it can, for a warm-up and then a
//!   measured window (throughput, with the CPU counters sampled at the window's edges);
//! - [`open_loop::open_loop`]: requests at a fixed rate on a schedule fixed in advance, latency
//!   measured from when each request was due, so that a slow answer cannot hide the
//!   requests queued behind it (no coordinated omission).

use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

pub(crate) mod open_loop;

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

/// The error of a run that used up its ids too early to count: it was faster than it
/// was sized for, and may be run again with more.
#[derive(Debug)]
pub(crate) struct RanOut {
    pub(crate) deletes: u64,
}

impl std::fmt::Display for RanOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ran out of seeded ids after {} deletes: the run was faster than it was sized \
             for (raise --seed-rate)",
            self.deletes
        )
    }
}

impl std::error::Error for RanOut {}

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

    /// Fails the run if it ran out of patience with errors, or out of ids unless
    /// `may_run_out` (its figures then cover a shorter window, which is still long
    /// enough to count).
    fn verdict(&self, may_run_out: bool) -> anyhow::Result<()> {
        let ok = self.ok_total.load(Ordering::Relaxed);
        if self.ran_out() && !may_run_out {
            return Err(RanOut { deletes: ok }.into());
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

    fn ran_out(&self) -> bool {
        self.ran_out.load(Ordering::Relaxed)
    }

    /// The first id no worker took (claims past the end leave the counter beyond it).
    fn next_unclaimed(&self) -> i64 {
        self.next_id.load(Ordering::Relaxed).min(self.last_id + 1)
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
    /// The first id no worker took: the ids from here on are still fresh.
    pub(crate) next_unclaimed: i64,
    /// Whether the run stopped early because it used every id it was given.
    pub(crate) ran_out: bool,
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
            next_unclaimed: shared.next_unclaimed(),
            ran_out: shared.ran_out(),
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
    // Running out of ids cuts the window short; half of it still makes a figure (the
    // next run is sized from it), less does not.
    shared.verdict(window >= plan.duration / 2)?;
    Ok(LoadStats::from_shared(
        &shared,
        window,
        latency,
        (first, last),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_is_handed_out_once_and_running_out_stops_the_run() {
        let shared = Shared::new(Seeded { first: 5, last: 6 });
        assert_eq!(shared.claim(), Some(5));
        assert_eq!(shared.claim(), Some(6));
        assert!(!shared.stopped());
        assert_eq!(shared.claim(), None);
        assert!(shared.stopped());
        assert_eq!(shared.next_unclaimed(), 7);
        assert!(shared.verdict(false).is_err());
        assert!(shared.verdict(true).is_ok());
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
        assert!(shared.verdict(false).is_ok());
    }
}
