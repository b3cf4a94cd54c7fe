//! `DeleteBatches`: every row of the contract's delete table.

use batch_proto::v1::{self as pb};
use test_support::{TestService, TestServiceOptions};
use tonic::Code;
use tonic_types::StatusExt as _;

use crate::{authed, bad_fields, expect_code, seed};

fn delete(ids: &[i64], allow_missing: bool) -> pb::DeleteBatchesRequest {
    pb::DeleteBatchesRequest {
        ids: ids.to_vec(),
        allow_missing,
        force: false,
    }
}

async fn exists(svc: &TestService, id: i64) -> bool {
    svc.query_i64(&format!("SELECT count(*) FROM batches WHERE id = {id}"))
        .await
        == 1
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_an_idle_batch_removes_it_and_everything_hanging_off_it() {
    let svc = TestService::start().await;
    let mut client = svc.client().await;
    let id = seed::IDLE_BATCH_ID;
    assert_eq!(
        svc.query_i64(&format!(
            "SELECT count(*) FROM batch_items WHERE batch_id = {id}"
        ))
        .await,
        2
    );

    let response = client
        .delete_batches(authed(delete(&[id], false), seed::API_KEY))
        .await
        .expect("delete succeeds")
        .into_inner();

    assert_eq!(response.deleted_ids, vec![id]);
    assert!(!exists(&svc, id).await);
    assert_eq!(
        svc.query_i64(&format!(
            "SELECT count(*) FROM batch_items WHERE batch_id = {id}"
        ))
        .await,
        0
    );
    let other_batches = svc.query_i64("SELECT count(*) FROM batches").await;
    assert_eq!(other_batches, 2, "only the named batch is deleted");
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_cascades_to_runs() {
    let svc = TestService::start().await;
    let mut client = svc.client().await;
    let id = seed::SUCCEEDED_BATCH_ID;
    assert_eq!(
        svc.query_i64(&format!(
            "SELECT count(*) FROM batch_runs WHERE batch_id = {id}"
        ))
        .await,
        1
    );
    client
        .delete_batches(authed(delete(&[id], false), seed::API_KEY))
        .await
        .expect("delete succeeds");
    assert_eq!(
        svc.query_i64(&format!(
            "SELECT count(*) FROM batch_runs WHERE batch_id = {id}"
        ))
        .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_running_batch_blocks_the_whole_request_and_is_named() {
    let svc = TestService::start().await;
    let mut client = svc.client().await;
    let ids = [
        seed::IDLE_BATCH_ID,
        seed::RUNNING_BATCH_ID,
        seed::SUCCEEDED_BATCH_ID,
    ];

    let status = expect_code(
        client
            .delete_batches(authed(delete(&ids, false), seed::API_KEY))
            .await,
        Code::FailedPrecondition,
    );

    let details = status.get_error_details();
    let violations = &details
        .precondition_failure()
        .expect("precondition details")
        .violations;
    let subjects: Vec<&str> = violations.iter().map(|v| v.subject.as_str()).collect();
    assert_eq!(subjects, vec![seed::RUNNING_BATCH_ID.to_string()]);
    for id in ids {
        assert!(
            exists(&svc, id).await,
            "batch {id} must survive: nothing is deleted"
        );
    }
    assert_eq!(
        svc.query_i64("SELECT count(*) FROM batch_deletions").await,
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_running_id_is_named() {
    let svc = TestService::start().await;
    let mut client = svc.client().await;
    let second = svc.query_i64("INSERT INTO batches (tenant_id, name, state) SELECT tenant_id, 'also running', 'running' FROM batches WHERE id = 123457 RETURNING id").await;
    let status = expect_code(
        client
            .delete_batches(authed(
                delete(&[seed::RUNNING_BATCH_ID, second], false),
                seed::API_KEY,
            ))
            .await,
        Code::FailedPrecondition,
    );
    let details = status.get_error_details();
    let mut subjects: Vec<String> = details
        .precondition_failure()
        .expect("details")
        .violations
        .iter()
        .map(|v| v.subject.clone())
        .collect();
    subjects.sort();
    let mut expected = vec![seed::RUNNING_BATCH_ID.to_string(), second.to_string()];
    expected.sort();
    assert_eq!(subjects, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_id_fails_the_request_unless_allowed() {
    let svc = TestService::start().await;
    let mut client = svc.client().await;
    let ids = [seed::IDLE_BATCH_ID, 999_999];

    let status = expect_code(
        client
            .delete_batches(authed(delete(&ids, false), seed::API_KEY))
            .await,
        Code::NotFound,
    );
    assert!(status.message().contains("999999"), "{status:?}");
    assert!(exists(&svc, seed::IDLE_BATCH_ID).await, "nothing deleted");

    let response = client
        .delete_batches(authed(delete(&ids, true), seed::API_KEY))
        .await
        .expect("allow_missing skips the missing id")
        .into_inner();
    assert_eq!(response.deleted_ids, vec![seed::IDLE_BATCH_ID]);
    assert!(!exists(&svc, seed::IDLE_BATCH_ID).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicates_count_once() {
    let svc = TestService::start().await;
    let mut client = svc.client().await;
    let id = seed::IDLE_BATCH_ID;
    let response = client
        .delete_batches(authed(delete(&[id, id, id], false), seed::API_KEY))
        .await
        .expect("duplicates are fine")
        .into_inner();
    assert_eq!(response.deleted_ids, vec![id]);
}

#[tokio::test(flavor = "multi_thread")]
async fn empty_negative_and_too_many_ids_are_invalid_arguments() {
    let options = TestServiceOptions {
        limits: batch_service::grpc::Limits {
            max_delete_ids: 3,
            ..Default::default()
        },
        ..TestServiceOptions::default()
    };
    let svc = TestService::start_with(options).await;
    let mut client = svc.client().await;

    let status = expect_code(
        client
            .delete_batches(authed(delete(&[], false), seed::API_KEY))
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(bad_fields(&status), vec!["ids"]);

    let status = expect_code(
        client
            .delete_batches(authed(delete(&[1, -4, 0], false), seed::API_KEY))
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(bad_fields(&status), vec!["ids[1]", "ids[2]"]);

    let status = expect_code(
        client
            .delete_batches(authed(delete(&[1, 2, 3, 4], false), seed::API_KEY))
            .await,
        Code::InvalidArgument,
    );
    assert!(status.message().contains("at most 3"), "{status:?}");
    // Duplicates count once against the limit too.
    client
        .delete_batches(authed(
            delete(&[seed::IDLE_BATCH_ID; 5], false),
            seed::API_KEY,
        ))
        .await
        .expect("five copies of one id are one id");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_delete_is_audited_and_the_record_outlives_the_batch() {
    let svc = TestService::start().await;
    let mut client = svc.client().await;
    let mut request = authed(
        delete(&[seed::IDLE_BATCH_ID, 42_424_242], true),
        seed::API_KEY,
    );
    request
        .metadata_mut()
        .insert("x-batch-door", "rest".parse().unwrap());
    request.metadata_mut().insert(
        "traceparent",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
            .parse()
            .unwrap(),
    );
    client
        .delete_batches(request)
        .await
        .expect("delete succeeds");

    assert_eq!(
        svc.query_i64("SELECT count(*) FROM batch_deletions").await,
        1
    );
    let audited = svc
        .query_i64(&format!(
            "SELECT count(*) FROM batch_deletions d JOIN credentials c ON c.id = d.credential_id \
             WHERE d.batch_ids = ARRAY[{}]::int8[] AND d.door = 'rest' \
             AND d.trace_id = '0af7651916cd43dd8448eb211c80319c' \
             AND d.tenant_id = c.tenant_id AND c.kind = 'api_key' \
             AND d.deleted_at > now() - interval '1 minute'",
            seed::IDLE_BATCH_ID
        ))
        .await;
    assert_eq!(
        audited, 1,
        "the audit names tenant, credential, ids, door, trace and time"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ten_thousand_ids_are_deleted_in_one_call() {
    let svc = TestService::start().await;
    let mut client = svc.client().await;
    svc.execute(
        "INSERT INTO batches (tenant_id, name) \
         SELECT tenant_id, 'bulk ' || g FROM batches, generate_series(1, 10000) g \
         WHERE batches.id = 123456",
    )
    .await;
    let first = svc
        .query_i64("SELECT min(id) FROM batches WHERE name LIKE 'bulk %'")
        .await;
    let ids: Vec<i64> = (first..first + 10_000).collect();
    let response = client
        .delete_batches(authed(delete(&ids, false), seed::API_KEY))
        .await
        .expect("the default limit admits 10,000 ids")
        .into_inner();
    assert_eq!(response.deleted_ids.len(), 10_000);
    assert_eq!(
        svc.query_i64("SELECT count(*) FROM batches WHERE name LIKE 'bulk %'")
            .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_group_of_deletes_is_one_statement_and_a_refusal_adds_one() {
    use std::sync::{Arc, Mutex};

    use batch_service::domain::{Action, BatchId, Refusal};
    use batch_service::storage::delete::{DeleteRequest, delete_group};
    use batch_service::storage::{Caller, TenantId};
    use diesel::connection::InstrumentationEvent;

    let db = test_support::TestDatabase::new().await;
    let mut conn = db.connect().await;
    batch_service::storage::seed::apply(&mut conn)
        .await
        .expect("seed");
    let tenant = svc_tenant(&db).await;
    let caller = Caller {
        tenant: TenantId(tenant),
        credential_id: 1,
    };

    let queries = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = Arc::clone(&queries);
    let instrumentation = move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            seen.lock().unwrap().push(query.to_string());
        }
    };
    diesel_async::AsyncConnection::set_instrumentation(&mut conn, instrumentation);
    let statements_run = || std::mem::take(&mut *queries.lock().unwrap());

    let id = |raw: i64| BatchId::new(raw).unwrap();
    let request = |ids: Vec<BatchId>, allow_missing: bool| {
        DeleteRequest::new(caller, ids, allow_missing, false, "grpc", String::new())
    };

    // Every request goes through: one statement, however many ids.
    let missing_ids = (1..=500).map(|i| id(seed::IDLE_BATCH_ID + i * 1000));
    let idle = request(missing_ids.chain([id(seed::IDLE_BATCH_ID)]).collect(), true);
    let succeeded = request(vec![id(seed::SUCCEEDED_BATCH_ID)], false);
    let outcomes = delete_group(&mut conn, &[&idle, &succeeded])
        .await
        .expect("delete");
    assert_eq!(
        outcomes,
        [
            Ok(vec![seed::IDLE_BATCH_ID]),
            Ok(vec![seed::SUCCEEDED_BATCH_ID])
        ]
    );
    let statements = statements_run();
    assert_eq!(statements.len(), 1, "one statement, got: {statements:#?}");

    // One request is refused: the first statement changes nothing, a second decides
    // each request, and the other request still goes through.
    let fresh = db
        .query_i64(&format!(
            "INSERT INTO batches (tenant_id, name, state) VALUES ({tenant}, 'fresh', 'new') RETURNING id"
        ))
        .await;
    let running = request(vec![id(seed::RUNNING_BATCH_ID)], false);
    let other = request(vec![id(fresh)], false);
    let outcomes = delete_group(&mut conn, &[&running, &other])
        .await
        .expect("delete");
    assert_eq!(
        outcomes,
        [
            Err(Refusal::Running {
                action: Action::Delete,
                ids: vec![seed::RUNNING_BATCH_ID]
            }),
            Ok(vec![fresh])
        ]
    );
    let statements = statements_run();
    assert_eq!(statements.len(), 2, "two statements, got: {statements:#?}");
    let remaining = |id: i64| format!("SELECT count(*) FROM batches WHERE id = {id}");
    assert_eq!(db.query_i64(&remaining(seed::RUNNING_BATCH_ID)).await, 1);
    assert_eq!(db.query_i64(&remaining(fresh)).await, 0);
}

async fn svc_tenant(db: &test_support::TestDatabase) -> i64 {
    use diesel::{ExpressionMethods as _, QueryDsl as _};
    use diesel_async::RunQueryDsl as _;
    batch_service::storage::schema::tenants::table
        .filter(batch_service::storage::schema::tenants::name.eq("development"))
        .select(batch_service::storage::schema::tenants::id)
        .first(&mut db.connect().await)
        .await
        .expect("the seed tenant")
}

/// The fast delete statements lock rows as their delete reaches them, so their claim
/// "rows are locked in id order" rests on the plan: the delete must scan the primary
/// key with the ids (which the index visits in ascending order), in the generic plan
/// the service's connections use, once the table is large enough for plans to matter
/// (a table of a few pages is read whole).
#[tokio::test(flavor = "multi_thread")]
async fn the_fast_deletes_reach_rows_through_the_primary_key() {
    use std::sync::{Arc, Mutex};

    use batch_service::domain::BatchId;
    use batch_service::storage::delete::{DeleteRequest, delete_group};
    use batch_service::storage::{Caller, TenantId};
    use diesel::connection::InstrumentationEvent;
    use diesel_async::SimpleAsyncConnection as _;

    let db = test_support::TestDatabase::seeded().await;
    let mut conn = db.connect().await;
    let tenant = svc_tenant(&db).await;
    conn.batch_execute(&format!(
        "INSERT INTO batches (tenant_id, name, state) \
         SELECT {tenant}, 'batch ' || n, 'new' FROM generate_series(1, 5000) AS n; \
         ANALYZE batches"
    ))
    .await
    .expect("fill the table");
    let caller = Caller {
        tenant: TenantId(tenant),
        credential_id: 1,
    };
    let queries = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = Arc::clone(&queries);
    diesel_async::AsyncConnection::set_instrumentation(
        &mut conn,
        move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::StartQuery { query, .. } = event {
                seen.lock().unwrap().push(query.to_string());
            }
        },
    );
    let request = |id: i64| {
        DeleteRequest::new(
            caller,
            [BatchId::new(id).unwrap()],
            true,
            false,
            "grpc",
            String::new(),
        )
    };
    let (lone, first, second) = (request(900_001), request(900_002), request(900_003));
    delete_group(&mut conn, &[&lone])
        .await
        .expect("lone delete");
    delete_group(&mut conn, &[&first, &second])
        .await
        .expect("group delete");
    let statements = queries.lock().unwrap().clone();
    assert_eq!(statements.len(), 2, "{statements:#?}");

    let cases = [
        (
            &statements[0],
            "int8, int8, bool, bool, text, text, int8[]",
            format!("{tenant}, 1, false, false, 'grpc', '', '{{1,2}}'"),
        ),
        (
            &statements[1],
            "int8[], int8[], bool[], bool[], text[], text[], int4[], int4[], int8[], int8[]",
            format!(
                "'{{{tenant},{tenant}}}', '{{1,1}}', '{{f,f}}', '{{f,f}}', '{{grpc,grpc}}', \
                 '{{\"\",\"\"}}', '{{1,1}}', '{{1,2}}', '{{1,2}}', '{{1,2}}'"
            ),
        ),
    ];
    for (statement, types, values) in cases {
        let plan = explain_generic(&db, statement, types, &values).await;
        let delete_at = plan
            .iter()
            .position(|line| line.contains("Delete on batches"))
            .unwrap_or_else(|| panic!("no delete in {plan:#?}"));
        assert!(
            plan[delete_at + 1].contains("Index Scan using batches_pkey on batches"),
            "the delete does not scan the primary key: {plan:#?}"
        );
    }
}

/// The lines of `EXPLAIN` for `statement`'s generic plan with `values`.
async fn explain_generic(
    db: &test_support::TestDatabase,
    statement: &str,
    types: &str,
    values: &str,
) -> Vec<String> {
    use diesel_async::{RunQueryDsl as _, SimpleAsyncConnection as _};
    #[derive(diesel::QueryableByName)]
    struct PlanLine {
        #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
        line: String,
    }
    let mut conn = db.connect().await;
    conn.batch_execute(&format!(
        "SET plan_cache_mode = force_generic_plan; PREPARE fast ({types}) AS {statement}"
    ))
    .await
    .expect("prepare");
    let lines: Vec<PlanLine> =
        diesel::sql_query(format!("EXPLAIN (COSTS OFF) EXECUTE fast ({values})"))
            .load(&mut conn)
            .await
            .expect("explain");
    lines.into_iter().map(|l| l.line).collect()
}
