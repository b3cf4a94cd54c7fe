//! Grouped deletes: requests that queue up while the database is busy are decided by one
//! statement, and each is still decided on its own.
//!
//! To make a group form on purpose, a test holds a row lock on one batch in its own
//! transaction and sends a delete of that batch first: with one statement in flight,
//! that statement waits for the lock and every delete sent meanwhile queues up behind
//! it. Releasing the lock lets the queue go as the next group.

use std::time::Duration;

use batch_proto::v1::{self as pb};
use diesel_async::{AsyncPgConnection, SimpleAsyncConnection as _};
use test_support::{TestService, TestServiceOptions};
use tokio::task::JoinHandle;
use tonic::{Code, Status};

use crate::{Client, authed, expect_code, seed};

/// Fresh batches (two items each) get ids from here on.
const FIRST_ID: i64 = 900_001;
/// The batch whose row a test locks to hold the dispatcher busy.
const BLOCKER_ID: i64 = 899_999;

type Answer = Result<pb::DeleteBatchesResponse, Status>;

async fn grouping_service() -> TestService {
    grouping_service_with(1, 1).await
}

/// A service with `max_in_flight` statements at most, a further one starting only
/// once `min_requests_to_overlap` requests wait, and fresh batches to delete.
async fn grouping_service_with(
    max_in_flight: usize,
    min_requests_to_overlap: usize,
) -> TestService {
    let mut options = TestServiceOptions::default();
    options.limits.delete_grouping.max_in_flight = max_in_flight;
    options.limits.delete_grouping.min_requests_to_overlap = min_requests_to_overlap;
    let svc = TestService::start_with(options).await;
    svc.execute(&format!(
        "INSERT INTO batches (id, tenant_id, name) \
         SELECT g, (SELECT id FROM tenants WHERE name = 'development'), 'grouped ' || g \
         FROM generate_series({BLOCKER_ID}, {last}) g; \
         INSERT INTO batch_items (batch_id, custom_id) \
         SELECT b, 'item ' || i FROM generate_series({BLOCKER_ID}, {last}) b, \
         generate_series(1, 2) i",
        last = FIRST_ID + 200
    ))
    .await;
    svc
}

fn send(client: &Client, ids: Vec<i64>, allow_missing: bool) -> JoinHandle<Answer> {
    let mut client = client.clone();
    tokio::spawn(async move {
        client
            .delete_batches(authed(
                pb::DeleteBatchesRequest {
                    ids,
                    allow_missing,
                    force: false,
                },
                seed::API_KEY,
            ))
            .await
            .map(tonic::Response::into_inner)
    })
}

/// Holds the blocker's row lock until [`Blocker::release`]; the delete sent for it
/// waits on the lock, and the dispatcher with it.
struct Blocker {
    conn: AsyncPgConnection,
    delete: JoinHandle<Answer>,
}

impl Blocker {
    async fn hold(svc: &TestService, client: &Client) -> Self {
        let mut conn = svc.database().connect().await;
        conn.batch_execute(&format!(
            "BEGIN; SELECT 1 FROM batches WHERE id = {BLOCKER_ID} FOR UPDATE"
        ))
        .await
        .expect("lock the blocker");
        let delete = send(client, vec![BLOCKER_ID], false);
        // Wait until the service's statement is really waiting for our lock.
        for _ in 0..200 {
            let waiting = svc
                .query_i64(
                    "SELECT count(*) FROM pg_stat_activity \
                     WHERE application_name = 'batch-service' AND wait_event_type = 'Lock'",
                )
                .await;
            if waiting > 0 {
                return Self { conn, delete };
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the blocker's delete never waited for the lock");
    }

    async fn release(mut self) {
        self.conn.batch_execute("COMMIT").await.expect("unlock");
        let answer = self.delete.await.unwrap().expect("the blocker is deleted");
        assert_eq!(answer.deleted_ids, [BLOCKER_ID]);
    }
}

/// Time for requests sent from spawned tasks to reach the queue; only the order of
/// arrival depends on it, never an assertion about speed.
async fn let_requests_queue() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

/// (statements, requests) of the group-size histogram.
fn groups_seen() -> (u64, u64) {
    let text = telemetry::metrics::render();
    let value = |name: &str| -> u64 {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.trim().parse::<f64>().ok())
            .map_or(0, |v| v as u64)
    };
    (
        value("batch_delete_group_requests_count"),
        value("batch_delete_group_requests_sum"),
    )
}

async fn exists(svc: &TestService, id: i64) -> bool {
    svc.query_i64(&format!("SELECT count(*) FROM batches WHERE id = {id}"))
        .await
        == 1
}

#[tokio::test(flavor = "multi_thread")]
async fn a_running_batch_refuses_only_its_own_request_in_a_group() {
    let svc = grouping_service().await;
    let client = svc.client().await;
    let blocker = Blocker::hold(&svc, &client).await;

    let mut deletes: Vec<JoinHandle<Answer>> = (0..8)
        .map(|i| send(&client, vec![FIRST_ID + i], false))
        .collect();
    let refused = send(&client, vec![FIRST_ID + 8, seed::RUNNING_BATCH_ID], false);
    deletes.push(send(&client, vec![FIRST_ID + 9], false));
    let_requests_queue().await;
    blocker.release().await;

    for (i, delete) in deletes.into_iter().enumerate() {
        let answer = delete
            .await
            .unwrap()
            .expect("the others in the group go through");
        assert_eq!(answer.deleted_ids.len(), 1, "request {i}");
    }
    let status = expect_code(refused.await.unwrap(), Code::FailedPrecondition);
    assert!(
        status
            .message()
            .contains(&seed::RUNNING_BATCH_ID.to_string())
    );
    assert!(
        exists(&svc, FIRST_ID + 8).await,
        "the refused request deleted nothing"
    );
    assert!(exists(&svc, seed::RUNNING_BATCH_ID).await);
    assert_eq!(
        svc.query_i64("SELECT count(*) FROM batch_deletions").await,
        10,
        "one audit row per request that went through, the blocker's included"
    );
    let (statements, requests) = groups_seen();
    assert_eq!(requests, 11);
    assert!(
        statements < requests,
        "the queued requests ran as groups: {statements} statements"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_naming_the_same_id_are_decided_in_arrival_order() {
    let svc = grouping_service().await;
    let client = svc.client().await;
    let blocker = Blocker::hold(&svc, &client).await;

    let (x, y, z) = (FIRST_ID, FIRST_ID + 1, FIRST_ID + 2);
    let first = send(&client, vec![x, y], false);
    let_requests_queue().await;
    let second = send(&client, vec![y, z], false);
    let tolerant = send(&client, vec![y, FIRST_ID + 3], true);
    let_requests_queue().await;
    blocker.release().await;

    assert_eq!(first.await.unwrap().expect("first").deleted_ids, [x, y]);
    let status = expect_code(second.await.unwrap(), Code::NotFound);
    assert!(status.message().contains(&y.to_string()), "{status:?}");
    assert!(
        exists(&svc, z).await,
        "the second request is atomic: z stays"
    );
    let tolerant = tolerant.await.unwrap().expect("allow_missing");
    assert_eq!(tolerant.deleted_ids, [FIRST_ID + 3]);
    assert_eq!(
        svc.query_i64(&format!(
            "SELECT count(*) FROM batch_deletions WHERE {y} = ANY(batch_ids)"
        ))
        .await,
        1,
        "y was deleted once"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_group_statement_does_not_fail_requests_that_succeed_alone() {
    let svc = grouping_service().await;
    // A real failure inside PostgreSQL: a statement writing more than one audit row is
    // refused, so the grouped statement fails and each request alone succeeds.
    svc.execute(
        "CREATE FUNCTION refuse_groups() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN IF (SELECT count(*) FROM new_rows) > 1 THEN \
           RAISE EXCEPTION 'injected: more than one audit row'; END IF; RETURN NULL; END $$; \
         CREATE TRIGGER refuse_groups AFTER INSERT ON batch_deletions \
         REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION refuse_groups()",
    )
    .await;
    let client = svc.client().await;
    let blocker = Blocker::hold(&svc, &client).await;
    let deletes: Vec<_> = (0..6)
        .map(|i| send(&client, vec![FIRST_ID + i], false))
        .collect();
    let_requests_queue().await;
    blocker.release().await;

    for (i, delete) in deletes.into_iter().enumerate() {
        let answer = delete
            .await
            .unwrap()
            .expect("decided alone after the group failed");
        assert_eq!(answer.deleted_ids, [FIRST_ID + i as i64]);
    }
    assert_eq!(
        svc.query_i64("SELECT count(*) FROM batch_deletions").await,
        7
    );
    let (statements, _) = groups_seen();
    assert!(statements >= 2, "a group was tried");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_service_sends_each_request_straight_through() {
    let svc = grouping_service().await;
    let client = svc.client().await;
    // One after the other: nothing queues, so each request is a statement of its own
    // and nothing waits for company.
    for i in 0..20 {
        let answer = send(&client, vec![FIRST_ID + i], false)
            .await
            .unwrap()
            .expect("delete");
        assert_eq!(answer.deleted_ids, [FIRST_ID + i]);
    }
    assert_eq!(groups_seen(), (20, 20));
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_decides_everything_queued() {
    let mut svc = grouping_service().await;
    let client = svc.client().await;
    let blocker = Blocker::hold(&svc, &client).await;
    let deletes: Vec<_> = (0..40)
        .map(|i| send(&client, vec![FIRST_ID + i], false))
        .collect();
    let_requests_queue().await;

    // The server begins to drain while the queue is full; the lock goes a moment later.
    let release = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        blocker.release().await;
    };
    tokio::join!(svc.stop(), release);

    for (i, delete) in deletes.into_iter().enumerate() {
        let answer = delete
            .await
            .unwrap()
            .expect("answered before the server stopped");
        assert_eq!(answer.deleted_ids, [FIRST_ID + i as i64]);
    }
    assert_eq!(
        svc.query_i64(&format!(
            "SELECT count(*) FROM batches WHERE id BETWEEN {FIRST_ID} AND {}",
            FIRST_ID + 39
        ))
        .await,
        0
    );
    assert_eq!(
        svc.query_i64("SELECT count(*) FROM batch_deletions").await,
        41
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_statement_starts_beside_a_small_running_one() {
    // At most three requests would have to wait, but the running statement holds one:
    // waiting for three beside it would leave the database idle with few clients.
    let svc = grouping_service_with(2, 3).await;
    let client = svc.client().await;
    let blocker = Blocker::hold(&svc, &client).await;

    // Bounded, so that a request held back until the blocker goes fails the test
    // instead of waiting for it forever.
    let answer = tokio::time::timeout(
        Duration::from_secs(10),
        send(&client, vec![FIRST_ID], false),
    )
    .await
    .expect("not held back behind the blocker")
    .unwrap()
    .expect("decided beside the blocker");
    assert_eq!(answer.deleted_ids, [FIRST_ID]);
    assert_eq!(
        groups_seen(),
        (1, 1),
        "one statement of one, the blocker's still runs"
    );
    blocker.release().await;
}
