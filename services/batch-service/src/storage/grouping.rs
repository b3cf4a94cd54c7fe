//! Grouping concurrent deletes: `DeleteBatches` calls that arrive while the database is
//! busy run together as one statement, one round trip and one commit
//! ([`super::delete::delete_group`]), and each caller still gets its own answer.
//!
//! How a group forms: one dispatcher task takes requests in arrival order. When fewer
//! than `max_in_flight` group statements are running, it takes the next request and
//! every request already waiting behind it, up to `max_requests` requests and
//! `max_ids` ids, and starts them as one statement. So an idle service sends a request
//! straight through (no timer), and under load the queue that builds up while the
//! database works becomes the next group.
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

use std::collections::HashSet;
use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

use super::Database;
use super::delete::{DeleteOutcome, DeleteRequest, delete_group};
use super::error::{StorageError, Unavailable};

/// Default for [`GroupingSettings::max_requests`].
pub const DEFAULT_GROUP_MAX_REQUESTS: usize = 64;
/// Default for [`GroupingSettings::max_in_flight`].
pub const DEFAULT_GROUPS_IN_FLIGHT: usize = 2;
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
}

impl Default for GroupingSettings {
    fn default() -> Self {
        Self {
            max_requests: DEFAULT_GROUP_MAX_REQUESTS,
            max_ids: 10_000,
            max_in_flight: DEFAULT_GROUPS_IN_FLIGHT,
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
    let in_flight = Arc::new(Semaphore::new(settings.max_in_flight));
    let mut next: Option<Job> = None;
    loop {
        let Ok(permit) = Arc::clone(&in_flight).acquire_owned().await else {
            return;
        };
        let first = match next.take() {
            Some(job) => job,
            None => match jobs.recv().await {
                Some(job) => job,
                None => return,
            },
        };
        let group = form_group(first, &mut jobs, &settings, &mut next);
        if !group.is_empty() {
            tokio::spawn(run_group(database.clone(), group, permit));
        }
    }
}

/// `first` and the requests waiting behind it, within the bounds and without shared
/// ids; the request that would break a bound is left in `next`.
fn form_group(
    first: Job,
    jobs: &mut mpsc::Receiver<Job>,
    settings: &GroupingSettings,
    next: &mut Option<Job>,
) -> Vec<Job> {
    let mut group = Vec::new();
    let mut ids = 0;
    if !first.answer.is_closed() {
        ids = first.request.ids().len();
        group.push(first);
    }
    // Built only once a second request joins: most groups under light load are one.
    let mut seen: Option<HashSet<i64>> = None;
    while group.len() < settings.max_requests {
        let Ok(job) = jobs.try_recv() else { break };
        if job.answer.is_closed() {
            continue;
        }
        let seen = seen.get_or_insert_with(|| {
            group
                .iter()
                .flat_map(|job: &Job| job.request.ids().iter().copied())
                .collect()
        });
        let overlaps = job.request.ids().iter().any(|id| seen.contains(id));
        if overlaps || (!group.is_empty() && ids + job.request.ids().len() > settings.max_ids) {
            *next = Some(job);
            break;
        }
        ids += job.request.ids().len();
        seen.extend(job.request.ids().iter().copied());
        group.push(job);
    }
    group
}

async fn run_group(database: Database, group: Vec<Job>, _in_flight: OwnedSemaphorePermit) {
    crate::metrics::record_delete_group(group.len());
    let requests: Vec<&DeleteRequest> = group.iter().map(|job| &job.request).collect();
    let result = database
        .write(async |conn| delete_group(conn, &requests).await)
        .await;
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
