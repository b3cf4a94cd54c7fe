//! The migrations apply to an empty database, revert completely, and apply again.

use batch_service::storage::migrations;
use test_support::TestDatabase;

async fn table_count(db: &TestDatabase) -> i64 {
    use diesel::QueryableByName;
    use diesel_async::RunQueryDsl as _;
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::Int8)]
        n: i64,
    }
    diesel::sql_query("SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'")
        .get_result::<Count>(&mut db.connect().await)
        .await
        .expect("count tables")
        .n
}

#[tokio::test(flavor = "multi_thread")]
async fn migrations_apply_revert_and_apply_again() {
    let db = TestDatabase::empty().await;
    let applied = migrations::run_pending(db.url()).await.expect("apply");
    assert!(!applied.is_empty());
    assert_eq!(table_count(&db).await, 9);
    assert!(
        migrations::run_pending(db.url())
            .await
            .expect("re-run")
            .is_empty(),
        "nothing pending twice"
    );

    let reverted = migrations::revert_all(db.url()).await.expect("revert");
    assert_eq!(reverted.len(), applied.len());
    assert_eq!(table_count(&db).await, 0);

    assert_eq!(
        migrations::run_pending(db.url())
            .await
            .expect("apply again"),
        applied
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_migrators_take_turns() {
    let db = TestDatabase::empty().await;
    let (a, b) = tokio::join!(
        migrations::run_pending(db.url()),
        migrations::run_pending(db.url())
    );
    let (a, b) = (a.expect("first migrator"), b.expect("second migrator"));
    assert!(
        a.is_empty() != b.is_empty(),
        "exactly one of them applies: {a:?} / {b:?}"
    );
}

#[test]
fn migrations_also_work_from_a_current_thread_runtime() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let db = TestDatabase::empty().await;
        assert!(
            !migrations::run_pending(db.url())
                .await
                .expect("apply")
                .is_empty()
        );
    });
}
