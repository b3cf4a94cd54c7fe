//! Real faults under load, against the real binaries (or, where no process boundary
//! matters, the service in process): PostgreSQL restarted, the service killed behind
//! its translators, overlapping deletes on an analysed table, a refusal naming 10,000
//! running ids, SIGTERM with deletes in flight.
//!
//! The contract (`CONTRACT.md`, "Failures"): callers see only "try again" (UNAVAILABLE,
//! 503, `ServiceUnavailableException`) and only while the fault lasts; nothing is lost
//! or half-applied; within a second of healing no request fails. Each test prints what
//! it saw (`FAULT ...` lines: errors by code, outage, recovery) for the record.

#![expect(
    unused_crate_dependencies,
    reason = "a test target sees every dependency and dev-dependency of its package; the library is where unused ones are caught"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use batch_proto::v1::batch_service_client::BatchServiceClient;
use batch_proto::v1::{
    Batch, BatchState, ClaimNextBatchRequest, CreateBatchRequest, DeleteBatchesRequest,
    ListBatchesRequest,
};
use rand::Rng as _;
use rand::seq::IndexedRandom as _;
use system_tests::clients::{
    Bounds, Ledger, authed, connect_db, grpc_channel, grpc_loop, half_applied, rest_loop,
};
use system_tests::load::{FaultWindow, Recorder, Verdict};
use system_tests::postgres::{PrivatePostgres, migrate_and_seed};
use system_tests::processes::{
    free_port, start_service, start_translator, wait_until_listening, wait_until_ok,
};
use test_support::{TestDatabase, TestService};
use tokio::task::JoinSet;
use tonic::Code;

/// Once the fault has healed, requests may fail for at most this long.
const RECOVERY_BOUND: Duration = Duration::from_secs(1);
/// Load before the fault, and after it has healed.
const WARM_UP: Duration = Duration::from_millis(800);
const COOL_DOWN: Duration = Duration::from_millis(2_500);
/// No loop runs longer than this, whatever happens.
const HARD_LIMIT: Duration = Duration::from_secs(40);
/// No client runs more create/delete cycles than this.
const MAX_CYCLES: usize = 2_000;

// ---------------------------------------------------------------------------------
// a. PostgreSQL restarted under load

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_restarted_under_load_is_unavailable_only_while_it_is_down() {
    let pg = Arc::new(
        tokio::task::spawn_blocking(PrivatePostgres::start)
            .await
            .expect("the cluster starts"),
    );
    let url = pg.url();
    {
        let url = url.clone();
        tokio::task::spawn_blocking(move || migrate_and_seed(&url))
            .await
            .expect("migrated and seeded");
    }
    let grpc_port = free_port();
    let service = start_service(&url, grpc_port);
    let (rest, rest_url) = start_translator("rest-translator", free_port(), grpc_port);
    wait_until_ok(&format!("{rest_url}/readyz")).await;

    let (recorder, ledger) = (Recorder::default(), Ledger::default());
    let bounds = Bounds::new(MAX_CYCLES, HARD_LIMIT);
    let mut clients = JoinSet::new();
    let channel = grpc_channel(&format!("127.0.0.1:{grpc_port}"));
    for n in 0..3 {
        clients.spawn(grpc_loop(
            channel.clone(),
            n,
            bounds.clone(),
            recorder.clone(),
            ledger.clone(),
        ));
        clients.spawn(rest_loop(
            rest_url.clone(),
            n,
            bounds.clone(),
            recorder.clone(),
            ledger.clone(),
        ));
    }
    tokio::time::sleep(WARM_UP).await;
    // Fill the service's pool: connections that sit idle through the restart must not
    // fail requests after it.
    let mut burst = JoinSet::new();
    for _ in 0..32 {
        let mut client = BatchServiceClient::new(channel.clone());
        burst.spawn(async move {
            client
                .list_batches(authed(ListBatchesRequest::default()))
                .await
                .is_ok()
        });
    }
    while burst.join_next().await.is_some() {}

    // The fault: a fast shutdown (every session disconnected), half a second down,
    // then up again.
    let began = Instant::now();
    let server = Arc::clone(&pg);
    let healed = tokio::task::spawn_blocking(move || {
        server.stop_server("fast");
        std::thread::sleep(Duration::from_millis(500));
        server.start_server();
        server.wait_accepting(Duration::from_secs(30))
    })
    .await
    .expect("PostgreSQL restarts");
    tokio::time::sleep(COOL_DOWN).await;
    bounds.stop_after(Duration::ZERO);
    while clients.join_next().await.is_some() {}

    let verdict = Verdict::judge(
        "postgres restart under gRPC+REST load",
        &recorder.outcomes(),
        FaultWindow { began, healed },
        RECOVERY_BOUND,
        &["grpc Unavailable", "rest 503"],
    );
    verdict.print();
    let problems = half_applied(&connect_db(&url).await, &ledger).await;
    eprintln!(
        "FAULT postgres restart: {} batches created, {} deleted OK, {} deletes failed, \
         {} half-applied",
        ledger.created().len(),
        ledger.deleted_ok().len(),
        ledger.delete_failed().len(),
        problems.len()
    );
    for problem in problems.iter().take(10) {
        eprintln!("  half-applied: {problem}");
    }
    if !verdict.violations.is_empty() {
        eprintln!(
            "service log (warnings, errors): {:#?}",
            service.problems(15)
        );
        eprintln!("REST log (warnings, errors): {:#?}", rest.problems(5));
    }
    assert!(
        verdict.violations.is_empty(),
        "broken promises: {:#?}",
        verdict.violations
    );
    assert!(problems.is_empty(), "half-applied: {problems:#?}");
    assert!(
        verdict.first_success_after_heal.is_some(),
        "nothing succeeded after PostgreSQL came back"
    );
    assert!(
        !ledger.deleted_ok().is_empty(),
        "the load deleted nothing at all"
    );
}

// ---------------------------------------------------------------------------------
// b. The service killed behind its translators

/// A SOAP client deleting ids that do not exist (allowed: SOAP deletes allow missing),
/// recording `Succeeded` or the `ExceptionType`.
async fn soap_loop(base: String, bounds: Bounds, recorder: Recorder) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("an HTTP client");
    let mut cycle = 0;
    while bounds.running(cycle) {
        cycle += 1;
        let envelope = format!(
            r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header><Credentials xmlns="http://www.superoffice.net/ws/crm/NetServer/Services86"><Ticket>7T:1234abcxyzExample==</Ticket></Credentials></s:Header><s:Body><DeleteBatchTask xmlns="http://www.superoffice.net/ws/crm/NetServer/Services86"><BatchTaskId>{}</BatchTaskId></DeleteBatchTask></s:Body></s:Envelope>"#,
            1_900_000_000 + cycle
        );
        let started = Instant::now();
        let answer = http
            .post(format!("{base}/Remote/Services86/Batch.svc"))
            .header("content-type", "text/xml; charset=utf-8")
            .header(
                "soapaction",
                "\"http://www.superoffice.net/ws/crm/NetServer/Services86/Batch/DeleteBatchTask\"",
            )
            .body(envelope)
            .send()
            .await;
        let error = match answer {
            Err(error) => Some(format!("soap transport {error}")),
            Ok(response) => {
                let status = response.status().as_u16();
                let body = response.text().await.unwrap_or_default();
                let exception = body
                    .split_once("<ExceptionType>")
                    .and_then(|(_, rest)| rest.split_once("</ExceptionType>"))
                    .map(|(kind, _)| kind.to_owned());
                match (status, exception) {
                    (200, None) if body.contains(">true</Succeeded>") => None,
                    (200, Some(kind)) => Some(format!("soap {kind}")),
                    (status, _) => Some(format!("soap HTTP {status}")),
                }
            }
        };
        recorder.record("soap DeleteBatchTask", started, error);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_service_killed_behind_its_translators_is_503_until_it_is_back() {
    let db = TestDatabase::seeded().await;
    let grpc_port = free_port();
    let service = start_service(db.url(), grpc_port);
    let (_rest, rest_url) = start_translator("rest-translator", free_port(), grpc_port);
    let (_soap, soap_url) = start_translator("soap-translator", free_port(), grpc_port);
    wait_until_ok(&format!("{rest_url}/readyz")).await;
    wait_until_ok(&format!("{soap_url}/readyz")).await;

    let (recorder, ledger) = (Recorder::default(), Ledger::default());
    let bounds = Bounds::new(MAX_CYCLES, HARD_LIMIT);
    let mut clients = JoinSet::new();
    for n in 0..3 {
        clients.spawn(rest_loop(
            rest_url.clone(),
            n,
            bounds.clone(),
            recorder.clone(),
            ledger.clone(),
        ));
    }
    clients.spawn(soap_loop(
        soap_url.clone(),
        bounds.clone(),
        recorder.clone(),
    ));
    tokio::time::sleep(WARM_UP).await;

    let began = Instant::now();
    tokio::task::spawn_blocking(move || service.kill())
        .await
        .expect("SIGKILL");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let service = start_service(db.url(), grpc_port);
    let healed = wait_until_listening(grpc_port, Duration::from_secs(20)).await;
    tokio::time::sleep(COOL_DOWN).await;
    bounds.stop_after(Duration::ZERO);
    while clients.join_next().await.is_some() {}

    let outcomes = recorder.outcomes();
    let verdict = Verdict::judge(
        "service SIGKILLed behind REST and SOAP",
        &outcomes,
        FaultWindow { began, healed },
        RECOVERY_BOUND,
        &["rest 503", "soap ServiceUnavailableException"],
    );
    verdict.print();
    let slowest_failure = outcomes
        .iter()
        .filter(|o| o.error.is_some())
        .map(|o| o.ended.duration_since(o.started))
        .max();
    eprintln!("FAULT service SIGKILL: slowest failed answer {slowest_failure:?}");
    let problems = half_applied(&connect_db(db.url()).await, &ledger).await;
    if !verdict.violations.is_empty() {
        eprintln!(
            "service log (warnings, errors): {:#?}",
            service.problems(15)
        );
    }
    assert!(
        verdict.violations.is_empty(),
        "broken promises: {:#?}",
        verdict.violations
    );
    assert!(problems.is_empty(), "half-applied: {problems:#?}");
    assert!(
        !verdict.errors_by_code.is_empty(),
        "no request met the dead service: the fault was not exercised"
    );
    assert!(
        verdict.first_success_after_heal.is_some(),
        "nothing succeeded after the service came back"
    );
}

// ---------------------------------------------------------------------------------
// c. Overlapping deletes on an analysed table

/// Rows in the table: enough for PostgreSQL to plan with statistics.
const TABLE_ROWS: usize = 3_000;
const DELETE_CLIENTS: usize = 16;
const ROUNDS: usize = 15;
/// Each round's requests draw from one window of this many ids, so they overlap.
const WINDOW: usize = 60;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn overlapping_deletes_from_many_clients_never_deadlock_or_fail() {
    let svc = TestService::start().await;
    svc.execute(&format!(
        "INSERT INTO batches (tenant_id, name) \
           SELECT t.id, 'overlap ' || g FROM tenants t, generate_series(1, {TABLE_ROWS}) g \
           WHERE t.name = 'development'; \
         INSERT INTO batch_items (batch_id, custom_id) \
           SELECT b.id, 'item ' || k FROM batches b, generate_series(1, 2) k \
           WHERE b.name LIKE 'overlap %'; \
         ANALYZE batches; ANALYZE batch_items;"
    ))
    .await;
    let db = connect_db(svc.database_url()).await;
    let ids: Vec<i64> = db
        .query(
            "SELECT id FROM batches WHERE name LIKE 'overlap %' ORDER BY id",
            &[],
        )
        .await
        .expect("ids")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(ids.len(), TABLE_ROWS);
    let ids = Arc::new(ids);

    let started = Instant::now();
    // Every round starts together, so the round's requests meet in the database.
    let barrier = Arc::new(tokio::sync::Barrier::new(DELETE_CLIENTS));
    let mut clients = JoinSet::new();
    for _ in 0..DELETE_CLIENTS {
        let channel = svc.channel().await;
        let ids = Arc::clone(&ids);
        let barrier = Arc::clone(&barrier);
        clients.spawn(async move {
            let mut client = BatchServiceClient::new(channel);
            let mut answers = Vec::new();
            for round in 0..ROUNDS {
                barrier.wait().await;
                let window = &ids[round * WINDOW..(round + 1) * WINDOW];
                let request: Vec<i64> = {
                    let mut rng = rand::rng();
                    let k = rng.random_range(2..=20);
                    window.choose_multiple(&mut rng, k).copied().collect()
                };
                let at = Instant::now();
                let answer = client
                    .delete_batches(authed(DeleteBatchesRequest {
                        ids: request.clone(),
                        allow_missing: true,
                        force: false,
                    }))
                    .await
                    .map(|r| r.into_inner().deleted_ids)
                    .map_err(|s| (s.code(), s.message().chars().take(200).collect::<String>()));
                answers.push((request, answer, at.elapsed()));
            }
            answers
        });
    }
    let mut answers = Vec::new();
    while let Some(done) = clients.join_next().await {
        answers.extend(done.expect("a client"));
    }
    let elapsed = started.elapsed();

    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    let mut examples = Vec::new();
    let mut deleted_by_responses: Vec<Vec<i64>> = Vec::new();
    let mut requested: BTreeSet<i64> = BTreeSet::new();
    let mut slowest = Duration::ZERO;
    for (request, answer, took) in &answers {
        requested.extend(request);
        slowest = slowest.max(*took);
        match answer {
            Ok(deleted) => deleted_by_responses.push(deleted.clone()),
            Err((code, message)) => {
                *errors.entry(format!("grpc {code:?}")).or_default() += 1;
                if examples.len() < 3 {
                    examples.push(format!("{code:?}: {message}"));
                }
            }
        }
    }
    // Counted by PostgreSQL as each backend reports (may lag by a moment).
    let deadlocks: i64 = db
        .query_one(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()",
            &[],
        )
        .await
        .expect("stats")
        .get(0);
    eprintln!(
        "FAULT overlapping deletes: {} requests from {DELETE_CLIENTS} clients on {TABLE_ROWS} \
         analysed rows in {elapsed:?}; errors by code {errors:?} (e.g. {examples:?}); \
         slowest answer {slowest:?}; deadlocks PostgreSQL detected so far: {deadlocks}",
        answers.len()
    );
    assert!(errors.is_empty(), "errors: {errors:?}, e.g. {examples:#?}");

    // Each id deleted exactly once across all successful responses.
    let mut seen = BTreeSet::new();
    let twice: Vec<i64> = deleted_by_responses
        .iter()
        .flatten()
        .filter(|id| !seen.insert(**id))
        .copied()
        .collect();
    assert!(twice.is_empty(), "deleted by two requests: {twice:?}");
    assert_eq!(seen, requested, "every requested id was deleted by someone");
    let requested_vec: Vec<i64> = requested.iter().copied().collect();
    let left: i64 = db
        .query_one(
            "SELECT count(*) FROM batches WHERE id = ANY($1)",
            &[&requested_vec],
        )
        .await
        .expect("count")
        .get(0);
    assert_eq!(left, 0, "requested ids still there");
    let untouched: i64 = db
        .query_one(
            "SELECT count(*) FROM batches WHERE name LIKE 'overlap %'",
            &[],
        )
        .await
        .expect("count")
        .get(0);
    assert_eq!(untouched as usize, TABLE_ROWS - requested.len());
    // One audit row per request, naming exactly what it deleted.
    let mut audit: Vec<Vec<i64>> = db
        .query("SELECT batch_ids FROM batch_deletions", &[])
        .await
        .expect("audit")
        .iter()
        .map(|r| r.get(0))
        .collect();
    audit.sort();
    deleted_by_responses.sort();
    assert_eq!(
        audit, deleted_by_responses,
        "the audit rows are the responses"
    );
}

// ---------------------------------------------------------------------------------
// d. A refusal naming 10,000 running ids

const RUNNING: usize = 10_000;
/// Of which this many are made RUNNING through gRPC (CreateBatch, ClaimNextBatch).
const THROUGH_LIFECYCLE: usize = 100;
/// What grpc-go and grpcio accept as a header list by default.
const CLIENT_MAX_HEADER_LIST: u32 = 8 * 1024;
const ERROR_METADATA_LIMIT: usize = 4 * 1024;

/// The bytes `grpc-message` takes on the wire: percent-encoded as gRPC does (every byte
/// outside printable ASCII, and `%`, becomes three).
fn grpc_message_wire_len(message: &str) -> usize {
    message
        .bytes()
        .map(|b| {
            if (0x20..=0x7e).contains(&b) && b != b'%' {
                1
            } else {
                3
            }
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refusal_naming_10000_running_ids_reaches_a_client_with_default_limits() {
    let svc = TestService::start().await;
    let setup = Instant::now();
    // A hundred go through the lifecycle (created queued, claimed by a worker)...
    let mut client = BatchServiceClient::new(svc.channel().await);
    let mut ids = Vec::new();
    for n in 0..THROUGH_LIFECYCLE {
        let batch = client
            .create_batch(authed(CreateBatchRequest {
                batch: Some(Batch {
                    name: format!("running {n}"),
                    ..Batch::default()
                }),
                start: true,
            }))
            .await
            .expect("created and queued")
            .into_inner();
        ids.push(batch.id);
    }
    for _ in 0..THROUGH_LIFECYCLE {
        let claimed = client
            .claim_next_batch(authed(ClaimNextBatchRequest {
                worker: "fault test".to_owned(),
            }))
            .await
            .expect("claimed")
            .into_inner();
        assert!(claimed.batch.is_some(), "a queued batch to claim");
    }
    // ...and the rest are written as a claim leaves them (20,000 calls would take
    // minutes on a small machine): RUNNING, started once, with an open run.
    let db = connect_db(svc.database_url()).await;
    let bulk: Vec<i64> = db
        .query(
            &format!(
                "WITH b AS (INSERT INTO batches \
                   (tenant_id, name, state, queued_at, last_started_at, start_count) \
                   SELECT t.id, 'running ' || g, 'running', now(), now(), 1 \
                   FROM tenants t, generate_series(1, {}) g \
                   WHERE t.name = 'development' RETURNING id) \
                 INSERT INTO batch_runs (batch_id, worker) \
                 SELECT id, 'fault test' FROM b RETURNING batch_id",
                RUNNING - THROUGH_LIFECYCLE
            ),
            &[],
        )
        .await
        .expect("running batches")
        .iter()
        .map(|r| r.get(0))
        .collect();
    ids.extend(bulk);
    assert_eq!(ids.len(), RUNNING);
    let running = svc
        .query_i64("SELECT count(*) FROM batches WHERE state = 'running'")
        .await;
    // The seed has one running batch of its own.
    assert_eq!(running as usize, RUNNING + 1, "{running} running");
    let setup = setup.elapsed();

    // A client with the header-list limit common gRPC clients have.
    let channel = tonic::transport::Endpoint::from_shared(svc.url())
        .expect("url")
        .http2_max_header_list_size(CLIENT_MAX_HEADER_LIST)
        .connect()
        .await
        .expect("connected");
    let mut client = BatchServiceClient::new(channel);
    let asked = Instant::now();
    let answer = client
        .delete_batches(authed(DeleteBatchesRequest {
            ids: ids.clone(),
            allow_missing: false,
            force: false,
        }))
        .await;
    let took = asked.elapsed();
    let status = answer.expect_err("a delete naming running batches is refused");
    let message_bytes = grpc_message_wire_len(status.message());
    let details_bytes = status.details().len().div_ceil(3) * 4;
    eprintln!(
        "FAULT 10,000-id refusal: setup {setup:?}; answered {:?} in {took:?}; error metadata \
         {} bytes (grpc-message {message_bytes}, grpc-status-details-bin {details_bytes}); \
         message starts {:?}",
        status.code(),
        message_bytes + details_bytes,
        status.message().chars().take(160).collect::<String>()
    );
    assert_eq!(
        status.code(),
        Code::FailedPrecondition,
        "{:?}",
        status.message().chars().take(300).collect::<String>()
    );
    assert!(
        message_bytes + details_bytes < ERROR_METADATA_LIMIT,
        "error metadata of {} bytes",
        message_bytes + details_bytes
    );
    // Nothing was deleted.
    let still = svc
        .query_i64("SELECT count(*) FROM batches WHERE state = 'running'")
        .await;
    assert_eq!(still, running);
    let mut list = BatchServiceClient::new(svc.channel().await);
    let listed = list
        .list_batches(authed(ListBatchesRequest {
            states: vec![BatchState::Running as i32],
            page_size: 1,
            ..ListBatchesRequest::default()
        }))
        .await
        .expect("listed")
        .into_inner();
    assert_eq!(listed.total_size, running);
}

// ---------------------------------------------------------------------------------
// e. SIGTERM with deletes in flight

const IN_FLIGHT: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_with_deletes_in_flight_answers_and_applies_every_one_then_exits_0() {
    let db = TestDatabase::seeded().await;
    let pg = connect_db(db.url()).await;
    let ids: Vec<i64> = pg
        .query(
            &format!(
                "INSERT INTO batches (tenant_id, name) \
                 SELECT t.id, 'in flight ' || g FROM tenants t, generate_series(1, {IN_FLIGHT}) g \
                 WHERE t.name = 'development' RETURNING id"
            ),
            &[],
        )
        .await
        .expect("batches")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let grpc_port = free_port();
    let service = start_service(db.url(), grpc_port);
    wait_until_listening(grpc_port, Duration::from_secs(20)).await;
    let channel = grpc_channel(&format!("127.0.0.1:{grpc_port}"));

    // Hold the rows, so that every delete is in flight (waiting on the lock) when the
    // signal comes.
    let locker = connect_db(db.url()).await;
    locker.batch_execute("BEGIN").await.expect("begin");
    locker
        .query(
            "SELECT id FROM batches WHERE id = ANY($1) FOR UPDATE",
            &[&ids],
        )
        .await
        .expect("locked");
    let mut deletes = JoinSet::new();
    for id in ids.clone() {
        let mut client = BatchServiceClient::new(channel.clone());
        deletes.spawn(async move {
            let answer = client
                .delete_batches(authed(DeleteBatchesRequest {
                    ids: vec![id],
                    allow_missing: false,
                    force: false,
                }))
                .await;
            (id, answer.map(|r| r.into_inner().deleted_ids))
        });
    }
    // Wait until the service's statements wait on the lock.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let waiting: i64 = pg
            .query_one(
                "SELECT count(*) FROM pg_stat_activity \
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
                &[],
            )
            .await
            .expect("activity")
            .get(0);
        if waiting > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "no delete reached the database");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(deletes.len(), IN_FLIGHT);
    let finished_early = IN_FLIGHT - deletes.len();

    let signalled = Instant::now();
    let exit = tokio::task::spawn_blocking(move || service.terminate(Duration::from_secs(30)));
    tokio::time::sleep(Duration::from_millis(300)).await;
    locker.batch_execute("COMMIT").await.expect("released");

    let mut ok = 0;
    let mut failures = Vec::new();
    while let Some(done) = deletes.join_next().await {
        let (id, answer) = done.expect("a delete");
        match answer {
            Ok(deleted) if deleted == vec![id] => ok += 1,
            Ok(deleted) => failures.push(format!("{id}: deleted {deleted:?}")),
            Err(status) => failures.push(format!("{id}: {:?} {}", status.code(), status.message())),
        }
    }
    let exit = exit.await.expect("the service exits");
    let exit_after = signalled.elapsed();
    eprintln!(
        "FAULT SIGTERM with {IN_FLIGHT} deletes in flight ({finished_early} finished before \
         the signal): {ok} answered OK, failures {failures:?}; exit {exit} after {exit_after:?}"
    );
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(exit.code(), Some(0), "exit status {exit}");
    let left: i64 = pg
        .query_one("SELECT count(*) FROM batches WHERE id = ANY($1)", &[&ids])
        .await
        .expect("count")
        .get(0);
    assert_eq!(left, 0, "every delete applied");
    let audit: Vec<Vec<i64>> = pg
        .query(
            "SELECT batch_ids FROM batch_deletions WHERE batch_ids && $1 ORDER BY batch_ids",
            &[&ids],
        )
        .await
        .expect("audit")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut expected: Vec<Vec<i64>> = ids.iter().map(|id| vec![*id]).collect();
    expected.sort();
    assert_eq!(audit, expected, "one audit row per delete");
}
