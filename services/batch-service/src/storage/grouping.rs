//! Grouping concurrent deletes: `DeleteBatches` calls that arrive while the database is
//! busy run together as one statement, one round trip and one commit
//! ([`super::delete::delete_group`]), and each caller still gets its own answer.
//!
//! How a group forms: one dispatcher task takes requests in arrival order. When no
//! statement is running, it takes the waiting requests, up to `max_requests` requests
//! and `max_ids` ids, and starts them as one statement. While statements run, it starts
//! another (up to `max_in_flight`) only once `min_requests_to_overlap` requests wait,
//! or as many as the smallest running statement holds if that is fewer; fewer wait for
//! a running statement to finish. So an idle service sends a request straight through
//! (no timer), and under load the queue that builds up while the database works
//! becomes the next group, not much smaller than the one that keeps the database busy.
//!
//! Two requests naming the same id never share a group: the later one starts the next
//! group, so the earlier one reaches the database first and gets the id, and the later
//! one finds it missing (NOT_FOUND, unless `allow_missing`). Rows are locked in id
//! order, so overlapping groups wait for each other and never deadlock.
//!
//! Every caller is answered after the commit of its statement. If a group statement
//! fails in a way that PostgreSQL itself reported (so nothing was changed), each
//! request of the group runs again alone, so that no request fails for another's sake.
//! After a lost connection nobody can know whether the commit happened, so the whole
//! group is answered UNAVAILABLE. A request whose caller has gone (cancelled) before
//! its group formed is dropped unrun.
//!
//! Shutdown: callers wait for their answers and the server waits for its callers, so
//! everything queued is decided before the server stops; the dispatcher ends once the
//! last handle is dropped.

use std::collections::{HashSet, VecDeque};
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};

use super::Database;
use super::delete::{DeleteOutcome, DeleteRequest, delete_group};
use super::error::{StorageError, Unavailable};

/// Default for [`GroupingSettings::max_requests`].
pub const DEFAULT_GROUP_MAX_REQUESTS: usize = 64;
/// Default for [`GroupingSettings::max_in_flight`].
pub const DEFAULT_GROUPS_IN_FLIGHT: usize = 2;
/// Default for [`GroupingSettings::min_requests_to_overlap`].
pub const DEFAULT_MIN_REQUESTS_TO_OVERLAP: usize = 8;
/// Requests that may wait for a group before callers wait to enqueue.
const QUEUE_CAPACITY: usize = 4_096;

/// How large groups grow and how many run at once.
#[derive(Debug, Clone, Copy)]
pub struct GroupingSettings {
    /// Most requests in one statement (1 turns grouping off).
    pub max_requests: usize,
    /// Most ids in one statement; a request with more runs alone.
    pub max_ids: usize,
    /// Most group statements running at once (each holds a database connection).
    pub max_in_flight: usize,
    /// While a statement runs, another one starts only once this many requests wait,
    /// or as many as the smallest running statement holds if that is fewer; fewer wait
    /// for the running statements to finish and then go as one group (1 starts one at
    /// once). An idle service never waits.
    pub min_requests_to_overlap: usize,
}

impl Default for GroupingSettings {
    fn default() -> Self {
        Self {
            max_requests: DEFAULT_GROUP_MAX_REQUESTS,
            max_ids: 10_000,
            max_in_flight: DEFAULT_GROUPS_IN_FLIGHT,
            min_requests_to_overlap: DEFAULT_MIN_REQUESTS_TO_OVERLAP,
        }
    }
}

type Answer = Result<DeleteOutcome, StorageError>;

struct Job {
    request: DeleteRequest,
    answer: oneshot::Sender<Answer>,
}

/// The way into the dispatcher; cheap to clone.
#[derive(Debug, Clone)]
pub struct DeleteQueue {
    jobs: mpsc::Sender<Job>,
}

impl DeleteQueue {
    /// Starts the dispatcher on the current tokio runtime.
    pub fn start(database: Database, settings: GroupingSettings) -> Self {
        let (jobs, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let settings = GroupingSettings {
            max_requests: settings.max_requests.max(1),
            max_ids: settings.max_ids.max(1),
            max_in_flight: settings.max_in_flight.max(1),
            min_requests_to_overlap: settings.min_requests_to_overlap.max(1),
        };
        tokio::spawn(dispatch(database, settings, receiver));
        Self { jobs }
    }

    /// Decides `request`, alone or in a group, and answers after its commit.
    #[tracing::instrument(name = "DELETE batches", skip_all, fields(otel.kind = "client", db.system.name = "postgresql", db.operation.name = "DELETE", db.collection.name = "batches", batch.count = request.ids().len()))]
    pub async fn delete(&self, request: DeleteRequest) -> Answer {
        let (answer, answered) = oneshot::channel();
        let shutting_down = || StorageError::Unavailable(Unavailable::ShuttingDown);
        self.jobs
            .send(Job { request, answer })
            .await
            .map_err(|_| shutting_down())?;
        answered.await.map_err(|_| shutting_down())?
    }
}

async fn dispatch(database: Database, settings: GroupingSettings, mut jobs: mpsc::Receiver<Job>) {
    let (finished, mut statement_finished) = mpsc::unbounded_channel::<usize>();
    let mut waiting: VecDeque<Job> = VecDeque::new();
    // The number of requests of each running statement.
    let mut running: Vec<usize> = Vec::with_capacity(settings.max_in_flight);
    let mut open = true;
    loop {
        while running.len() < settings.max_in_flight
            && !waiting.is_empty()
            && waiting.len() >= overlap_threshold(&running, &settings)
        {
            let group = form_group(&mut waiting, &settings);
            if !group.is_empty() {
                running.push(group.len());
                tokio::spawn(run_group(database.clone(), group, finished.clone()));
            }
        }
        if !open && waiting.is_empty() && running.is_empty() {
            return;
        }
        tokio::select! {
            job = jobs.recv(), if open && waiting.len() < QUEUE_CAPACITY => match job {
                Some(job) => {
                    waiting.push_back(job);
                    while waiting.len() < QUEUE_CAPACITY {
                        let Ok(job) = jobs.try_recv() else { break };
                        waiting.push_back(job);
                    }
                }
                None => open = false,
            },
            Some(size) = statement_finished.recv() => {
                if let Some(at) = running.iter().position(|&r| r == size) {
                    running.swap_remove(at);
                }
            }
        }
    }
}

/// How many requests must wait before one more statement starts: none when nothing
/// runs; otherwise `min_requests_to_overlap`, or as many as the smallest running
/// statement holds if that is fewer (with few clients, groups stay small, and waiting
/// for more than a running statement holds would leave the database half idle).
fn overlap_threshold(running: &[usize], settings: &GroupingSettings) -> usize {
    match running.iter().min() {
        None => 1,
        Some(&smallest) => settings.min_requests_to_overlap.min(smallest),
    }
}

/// The requests at the front of `waiting`, within the bounds and without shared ids;
/// the request that would break a bound stays first in line. Callers that have gone
/// are dropped unrun.
fn form_group(waiting: &mut VecDeque<Job>, settings: &GroupingSettings) -> Vec<Job> {
    let mut group: Vec<Job> = Vec::new();
    let mut ids = 0;
    // Built only once a second request joins: most groups under light load are one.
    let mut seen: Option<HashSet<i64>> = None;
    while group.len() < settings.max_requests {
        let Some(job) = waiting.front() else { break };
        if job.answer.is_closed() {
            waiting.pop_front();
            continue;
        }
        if let Some(first) = group.first() {
            let seen = seen.get_or_insert_with(|| first.request.ids().iter().copied().collect());
            let overlaps = job.request.ids().iter().any(|id| seen.contains(id));
            if overlaps || ids + job.request.ids().len() > settings.max_ids {
                break;
            }
            seen.extend(job.request.ids().iter().copied());
        }
        ids += job.request.ids().len();
        group.extend(waiting.pop_front());
    }
    group
}

async fn run_group(database: Database, group: Vec<Job>, finished: mpsc::UnboundedSender<usize>) {
    // Tells the dispatcher when this statement's connection is free again, however
    // the statement ended.
    let _finished = FinishedGuard(finished, group.len());
    let started = Instant::now();
    let requests: Vec<&DeleteRequest> = group.iter().map(|job| &job.request).collect();
    let result = database
        .write(async |conn| delete_group(conn, &requests).await)
        .await;
    crate::metrics::record_delete_group(group.len(), started.elapsed());
    match result {
        Ok(outcomes) => {
            for (job, outcome) in group.into_iter().zip(outcomes) {
                // A caller that has gone away is not an error: its delete stands.
                let _ = job.answer.send(Ok(outcome));
            }
        }
        Err(error) if group.len() > 1 && error.was_refused_by_database() => {
            tracing::warn!(%error, group.size = group.len(), "a group delete failed; deciding each request alone");
            for job in group {
                let alone = database
                    .write(async |conn| delete_group(conn, &[&job.request]).await)
                    .await
                    .and_then(|outcomes| {
                        outcomes.into_iter().next().ok_or_else(|| {
                            StorageError::Unexpected("the delete statement returned no row".into())
                        })
                    });
                let _ = job.answer.send(alone);
            }
        }
        Err(error) => {
            for job in group {
                let _ = job.answer.send(Err(error.clone()));
            }
        }
    }
}

/// Signals the end of a statement of so many requests when dropped, also when its
/// task panics.
struct FinishedGuard(mpsc::UnboundedSender<usize>, usize);

impl Drop for FinishedGuard {
    fn drop(&mut self) {
        let _ = self.0.send(self.1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(min_requests_to_overlap: usize) -> GroupingSettings {
        GroupingSettings {
            min_requests_to_overlap,
            ..GroupingSettings::default()
        }
    }

    #[test]
    fn nothing_waits_for_company_when_nothing_runs() {
        assert_eq!(overlap_threshold(&[], &settings(8)), 1);
    }

    #[test]
    fn beside_running_statements_the_threshold_is_the_setting_or_the_smallest_group() {
        assert_eq!(overlap_threshold(&[12], &settings(8)), 8);
        assert_eq!(overlap_threshold(&[12, 30], &settings(8)), 8);
        assert_eq!(overlap_threshold(&[3], &settings(8)), 3);
        assert_eq!(overlap_threshold(&[20, 2], &settings(8)), 2);
        assert_eq!(overlap_threshold(&[20], &settings(1)), 1);
    }
}
