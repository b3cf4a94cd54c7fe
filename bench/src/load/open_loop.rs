//! The open loop: requests at a fixed rate on a timetable fixed in advance, latency
//! measured from when each request was *due*, not from when it was sent. A closed loop
//! (or an open loop timing from the send) lets one slow answer hide every request that
//! queued behind it, because those are sent late and then look fast: coordinated
//! omission. Here a late request carries its wait into its latency.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::{LoadStats, Plan, Shared, Worker, collect, new_histogram, record};
use crate::database::Seeded;

/// How far an open-loop run may fall behind its schedule before it gives up.
const MAX_LAG: Duration = Duration::from_secs(10);

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

    /// The worker whose timetable holds request `index`.
    fn worker_of(&self, index: u64) -> usize {
        (index % self.workers) as usize
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

/// What wakes each worker when its next request is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pacing {
    /// A thread of its own sleeping on the operating system's timer, late by tens of
    /// microseconds. Tokio's timer rounds every deadline up to the next millisecond,
    /// which would send each request up to 1 ms late and count that as latency.
    Thread,
    /// Tokio's timer: for tests on paused time.
    #[cfg(test)]
    Tokio,
}

/// Sends the requests of `schedule`, each on its worker when due (or as soon as the
/// worker is free, if it is late), and measures latency from when it was due.
pub(crate) async fn open_loop<W: Worker>(
    workers: Vec<W>,
    ids: Seeded,
    schedule: Schedule,
    pacing: Pacing,
) -> anyhow::Result<OpenLoopStats> {
    let shared = std::sync::Arc::new(Shared::new(ids));
    let not_sent = std::sync::Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let give_up = start + schedule.due(schedule.total()) + MAX_LAG;
    let finished = std::sync::Arc::new(Mutex::new(start + schedule.measured_from()));
    let mut tasks = JoinSet::new();
    let mut wake_ups = Vec::with_capacity(workers.len());
    for mut worker in workers {
        let (shared, not_sent, finished) = (shared.clone(), not_sent.clone(), finished.clone());
        let (wake_up, mut due_requests) = mpsc::unbounded_channel::<u64>();
        wake_ups.push(wake_up);
        tasks.spawn(async move {
            let mut histogram = new_histogram();
            while let Some(index) = due_requests.recv().await {
                if shared.stopped() || Instant::now() > give_up {
                    not_sent.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                let Some(id) = shared.claim() else { break };
                let measured = schedule.measured(index);
                let result = worker.delete(id).await;
                if shared.tally(result, measured) && measured {
                    let now = Instant::now();
                    record(&mut histogram, now - (start + schedule.due(index)));
                    let mut last = finished.lock().unwrap_or_else(|e| e.into_inner());
                    *last = (*last).max(now);
                }
            }
            histogram
        });
    }
    let pacer = Pacer {
        schedule,
        wake_ups,
        shared: shared.clone(),
    };
    match pacing {
        Pacing::Thread => {
            let start = start.into_std();
            std::thread::Builder::new()
                .name("open-loop-pacer".into())
                .spawn(move || pacer.run_on_thread(start))?;
        }
        #[cfg(test)]
        Pacing::Tokio => {
            tokio::spawn(pacer.run_on_tokio(start));
        }
    }
    let latency = collect(tasks).await;
    // The schedule's requests are counted in advance: running out is a sizing bug.
    shared.verdict(false)?;
    let last = *finished.lock().unwrap_or_else(|e| e.into_inner());
    let window = last.saturating_duration_since(start + schedule.measured_from());
    Ok(OpenLoopStats {
        stats: LoadStats::from_shared(&shared, window, latency, ((), ())),
        not_sent: not_sent.load(Ordering::Relaxed),
    })
}

/// Hands each request of the schedule, when it is due, to the worker whose timetable
/// holds it. A worker still busy with an earlier request finds it waiting and sends it
/// late, its latency still counted from when it was due.
struct Pacer {
    schedule: Schedule,
    wake_ups: Vec<mpsc::UnboundedSender<u64>>,
    shared: std::sync::Arc<Shared>,
}

impl Pacer {
    fn run_on_thread(self, start: std::time::Instant) {
        for index in 0..self.schedule.total() {
            let due = start + self.schedule.due(index);
            std::thread::sleep(due.saturating_duration_since(std::time::Instant::now()));
            if !self.hand_over(index) {
                return;
            }
        }
    }

    #[cfg(test)]
    async fn run_on_tokio(self, start: Instant) {
        for index in 0..self.schedule.total() {
            tokio::time::sleep_until(start + self.schedule.due(index)).await;
            if !self.hand_over(index) {
                return;
            }
        }
    }

    /// Wakes the worker of request `index`; `false` once the run has stopped.
    fn hand_over(&self, index: u64) -> bool {
        let worker = self.schedule.worker_of(index);
        !self.shared.stopped() && self.wake_ups[worker].send(index).is_ok()
    }
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
        assert_eq!(schedule.worker_of(1), 1);
        assert_eq!(schedule.worker_of(9), 1);
        assert_eq!(schedule.due(9) - schedule.due(5), Duration::from_millis(4));
        assert_eq!(schedule.worker_of(2999), 3);
    }

    #[test]
    fn only_requests_after_the_warm_up_are_measured() {
        let schedule = Schedule::new(500.0, 32, plan(2, 10));
        assert!(!schedule.measured(999));
        assert!(schedule.measured(1000));
        assert_eq!(schedule.measured_from(), Duration::from_secs(2));
    }

    /// Answers in 1 ms, except the first request, which takes 100 ms.
    struct StallsOnce {
        stalled: bool,
    }

    impl Worker for StallsOnce {
        async fn delete(&mut self, _id: i64) -> anyhow::Result<()> {
            let pause = if self.stalled { 1 } else { 100 };
            self.stalled = true;
            tokio::time::sleep(Duration::from_millis(pause)).await;
            Ok(())
        }
    }

    #[tokio::test(start_paused = true)]
    async fn requests_queued_behind_a_stall_count_their_wait() {
        // One worker, a request every 10 ms for 1 s. The first answer takes 100 ms, so
        // the nine requests due meanwhile go out late. Timed from the send they would
        // take 1 ms each (one slow request in a hundred: p99 would hide it); timed from
        // when they were due they took 91, 82, ... 19, 10 ms.
        let schedule = Schedule::new(100.0, 1, plan(0, 1));
        let ids = Seeded {
            first: 1,
            last: 1_000,
        };
        let worker = StallsOnce { stalled: false };
        let outcome = open_loop(vec![worker], ids, schedule, Pacing::Tokio)
            .await
            .unwrap();
        let latency = &outcome.stats.latency;
        assert_eq!(latency.len(), 100);
        assert_eq!(outcome.not_sent, 0);
        assert!(latency.max() >= 100_000, "max {} µs", latency.max());
        let delayed = latency.count_between(10_000, u64::MAX);
        assert_eq!(delayed, 11, "requests of 10 ms or more");
        assert!(latency.value_at_quantile(0.95) >= 10_000);
        assert!(latency.value_at_quantile(0.5) < 2_000);
    }

    /// Notes when each of its requests went out.
    struct Records {
        sent: std::sync::Arc<Mutex<Vec<Instant>>>,
    }

    impl Worker for Records {
        async fn delete(&mut self, _id: i64) -> anyhow::Result<()> {
            self.sent.lock().unwrap().push(Instant::now());
            Ok(())
        }
    }

    #[tokio::test]
    async fn the_pacing_thread_sends_every_request_and_none_before_it_is_due() {
        let plan = Plan {
            warmup: Duration::ZERO,
            duration: Duration::from_millis(100),
        };
        let schedule = Schedule::new(1_000.0, 4, plan);
        let sent: Vec<_> = (0..4)
            .map(|_| std::sync::Arc::new(Mutex::new(Vec::new())))
            .collect();
        let workers = sent
            .iter()
            .map(|sent| Records { sent: sent.clone() })
            .collect();
        let ids = Seeded {
            first: 1,
            last: 1_000,
        };
        let before = Instant::now();
        let outcome = open_loop(workers, ids, schedule, Pacing::Thread)
            .await
            .unwrap();
        assert_eq!(outcome.stats.latency.len(), schedule.total());
        for (worker, sent) in sent.iter().enumerate() {
            let sent = sent.lock().unwrap();
            assert_eq!(sent.len() as u64, schedule.total() / 4);
            for (k, at) in sent.iter().enumerate() {
                let index = k as u64 * 4 + worker as u64;
                assert_eq!(schedule.worker_of(index), worker);
                assert!(
                    *at >= before + schedule.due(index),
                    "request {index} went early"
                );
            }
        }
    }
}
