//! `src/storage/schema.rs` is written by hand. This test keeps it honest: it runs the
//! migrations on a fresh database and compares what PostgreSQL's catalog says, table
//! by table and column by column (name, position, type, nullability, primary key),
//! with the `diesel::table!` blocks of that file. It does the comparison itself, so it
//! needs no diesel CLI.
//!
//! One deliberate difference from what the diesel CLI would print: arrays are declared
//! `Array<Text>`, not `Array<Nullable<Text>>`. PostgreSQL cannot declare array elements
//! NOT NULL; the service never writes a NULL element.

use std::collections::BTreeMap;

use batch_service::storage::migrations;
use diesel::QueryableByName;
use diesel::sql_types::{Array, Bool, Text};
use diesel_async::RunQueryDsl as _;
use test_support::{TestDatabase, TestService};

const HAND_WRITTEN_SCHEMA: &str = include_str!("../../src/storage/schema.rs");

/// One table as both sides describe it: primary key columns, then every column as
/// `name -> Type` in column order.
#[derive(Debug, Default, PartialEq, Eq)]
struct Table {
    primary_key: Vec<String>,
    columns: Vec<String>,
}

type Schema = BTreeMap<String, Table>;

/// The `diesel::table!` blocks of the hand-written schema.
fn parse_hand_written(text: &str) -> Schema {
    let mut schema = Schema::new();
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        if line != "diesel::table! {" {
            continue;
        }
        // `name (key, key) {`
        let header = lines
            .next()
            .expect("a table header after `diesel::table! {`");
        let (name, rest) = header.split_once(' ').expect("`name (keys) {`");
        let keys = rest
            .trim_start_matches('(')
            .trim_end_matches('{')
            .trim()
            .trim_end_matches(')');
        let mut table = Table {
            primary_key: keys.split(',').map(|k| k.trim().to_owned()).collect(),
            columns: Vec::new(),
        };
        for column in lines.by_ref().take_while(|l| *l != "}") {
            table
                .columns
                .push(column.trim_end_matches(',').trim().to_owned());
        }
        schema.insert(name.to_owned(), table);
    }
    schema
}

#[derive(QueryableByName)]
struct CatalogColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    type_name: String,
    #[diesel(sql_type = Bool)]
    not_null: bool,
}

#[derive(QueryableByName)]
struct CatalogKey {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Array<Text>)]
    columns: Vec<String>,
}

/// The diesel name of a PostgreSQL type (`pg_type.typname`); arrays are `_<element>`.
/// A type this schema does not use comes back as it is, so the comparison shows it.
fn diesel_type(typname: &str) -> String {
    if let Some(element) = typname.strip_prefix('_') {
        return format!("Array<{}>", diesel_type(element));
    }
    match typname {
        "int2" => "Int2",
        "int4" => "Int4",
        "int8" => "Int8",
        "text" => "Text",
        "bool" => "Bool",
        "bytea" => "Bytea",
        "jsonb" => "Jsonb",
        "timestamptz" => "Timestamptz",
        other => other,
    }
    .to_owned()
}

/// The tables of the migrated database, from `pg_catalog`.
async fn read_catalog(db: &TestDatabase) -> Schema {
    let mut conn = db.connect().await;
    let columns: Vec<CatalogColumn> = diesel::sql_query(
        "SELECT c.relname::text AS table_name, a.attname::text AS column_name, \
                t.typname::text AS type_name, a.attnotnull AS not_null \
         FROM pg_attribute a \
         JOIN pg_class c ON c.oid = a.attrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_type t ON t.oid = a.atttypid \
         WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 \
           AND NOT a.attisdropped AND c.relname <> '__diesel_schema_migrations' \
         ORDER BY c.relname, a.attnum",
    )
    .load(&mut conn)
    .await
    .expect("read the columns");
    let keys: Vec<CatalogKey> = diesel::sql_query(
        "SELECT c.relname::text AS table_name, \
                array_agg(a.attname::text ORDER BY array_position(i.indkey::int2[], a.attnum)) \
                    AS columns \
         FROM pg_index i \
         JOIN pg_class c ON c.oid = i.indrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY (i.indkey) \
         WHERE n.nspname = 'public' AND i.indisprimary \
           AND c.relname <> '__diesel_schema_migrations' \
         GROUP BY c.relname",
    )
    .load(&mut conn)
    .await
    .expect("read the primary keys");

    let mut schema = Schema::new();
    for column in columns {
        let ty = diesel_type(&column.type_name);
        let ty = if column.not_null {
            ty
        } else {
            format!("Nullable<{ty}>")
        };
        schema
            .entry(column.table_name)
            .or_default()
            .columns
            .push(format!("{} -> {ty}", column.column_name));
    }
    for key in keys {
        schema.entry(key.table_name).or_default().primary_key = key.columns;
    }
    schema
}

#[tokio::test(flavor = "multi_thread")]
async fn the_hand_written_schema_matches_the_migrations() {
    let db = TestDatabase::empty().await;
    migrations::run_pending(db.url()).await.expect("apply");
    let database = read_catalog(&db).await;
    let hand_written = parse_hand_written(HAND_WRITTEN_SCHEMA);
    assert!(!hand_written.is_empty(), "no tables found in schema.rs");
    assert_eq!(
        hand_written.keys().collect::<Vec<_>>(),
        database.keys().collect::<Vec<_>>(),
        "the tables of schema.rs (left) and of the migrations (right) differ"
    );
    for (name, table) in &hand_written {
        assert_eq!(
            table, &database[name],
            "table `{name}`: schema.rs (left) and the migrations (right) differ"
        );
    }
}

#[test]
fn the_parser_reads_keys_columns_and_nullability() {
    let schema = parse_hand_written(
        "diesel::table! {\n    pairs (a, b) {\n        a -> Int8,\n        b -> Nullable<Text>,\n    }\n}\n",
    );
    assert_eq!(
        schema["pairs"],
        Table {
            primary_key: vec!["a".into(), "b".into()],
            columns: vec!["a -> Int8".into(), "b -> Nullable<Text>".into()],
        }
    );
}

/// A row the code cannot read (here a schedule written by hand, with a kind the
/// service does not know) fails the read loudly instead of reading as a default.
#[tokio::test(flavor = "multi_thread")]
async fn a_row_the_code_cannot_read_is_an_internal_error() {
    use batch_proto::v1 as pb;
    use tonic::Code;

    use crate::{authed, expect_code, seed};

    let svc = TestService::start().await;
    let mut client = svc.client().await;
    // (Not `svc.execute`: diesel's `RunQueryDsl::execute` is in scope.)
    TestService::execute(
        &svc,
        &format!(
            "UPDATE batches SET schedule = '{{\"kind\": \"fortnightly\"}}' WHERE id = {}",
            seed::IDLE_BATCH_ID
        ),
    )
    .await;
    let read = client
        .get_batch(authed(
            pb::GetBatchRequest {
                id: seed::IDLE_BATCH_ID,
            },
            seed::API_KEY,
        ))
        .await;
    expect_code(read, Code::Internal);
}
