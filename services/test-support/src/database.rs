//! Private test databases.

use std::sync::OnceLock;

use batch_service::storage::migrations;
use diesel_async::{AsyncConnection as _, AsyncPgConnection, SimpleAsyncConnection as _};
use sha2::{Digest as _, Sha256};

/// Serialises template creation across test processes on one server.
const TEMPLATE_LOCK_KEY: i64 = 0x6261_7463_685f_7470; // "batch_tp"

/// A database of its own for one test, dropped with this value.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    url: String,
    admin_url: String,
}

fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| {
        panic!(
            "TEST_DATABASE_URL is not set: run the tests with `make test`, which starts a \
             private PostgreSQL, or point it at a server you own \
             (e.g. postgres://postgres@127.0.0.1:5432/postgres)"
        )
    })
}

/// `url` with its database name replaced.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let prefix = match base.rfind('/') {
        Some(i) if i > "postgres://".len() => &base[..i],
        _ => base,
    };
    format!("{prefix}/{database}{query}")
}

/// The template's name carries a digest of `migrations/`, so an edited migration
/// never meets a stale template.
fn template_name() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
        let mut files = Vec::new();
        collect_files(&dir, &mut files);
        files.sort();
        let mut hasher = Sha256::new();
        for file in files {
            hasher.update(file.to_string_lossy().as_bytes());
            hasher.update(std::fs::read(&file).unwrap_or_default());
        }
        format!("batch_template_{}", &hex::encode(hasher.finalize())[..12])
    })
}

fn collect_files(dir: &std::path::Path, into: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, into);
        } else {
            into.push(path);
        }
    }
}

async fn admin_connection() -> AsyncPgConnection {
    AsyncPgConnection::establish(&admin_url())
        .await
        .expect("cannot connect to TEST_DATABASE_URL")
}

/// Creates and migrates the template once per server (other processes wait on a lock).
async fn ensure_template() {
    let admin = admin_url();
    let name = template_name();
    let mut conn = admin_connection().await;
    conn.batch_execute(&format!("SELECT pg_advisory_lock({TEMPLATE_LOCK_KEY})"))
        .await
        .expect("cannot take the template lock");
    let exists = database_exists(&mut conn, name).await;
    if !exists {
        let building = format!("{name}_building");
        conn.batch_execute(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
            .await
            .expect("cannot drop a half-built template");
        conn.batch_execute(&format!("CREATE DATABASE {building}"))
            .await
            .expect("cannot create the template database");
        migrations::run_pending(&with_database(&admin, &building))
            .await
            .expect("cannot migrate the template database");
        // Renaming last makes the template appear complete or not at all.
        conn.batch_execute(&format!(
            "ALTER DATABASE {building} RENAME TO {name}; \
             ALTER DATABASE {name} WITH IS_TEMPLATE true"
        ))
        .await
        .expect("cannot publish the template database");
    }
    conn.batch_execute(&format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK_KEY})"))
        .await
        .expect("cannot release the template lock");
}

async fn database_exists(conn: &mut AsyncPgConnection, name: &str) -> bool {
    use diesel_async::RunQueryDsl as _;
    diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
        "EXISTS (SELECT 1 FROM pg_database WHERE datname = '{name}')"
    )))
    .get_result::<bool>(conn)
    .await
    .expect("cannot look up databases")
}

impl TestDatabase {
    /// A new, migrated, empty database.
    pub async fn new() -> Self {
        ensure_template().await;
        let admin = admin_url();
        let name = format!("batch_test_{:016x}", rand::random::<u64>());
        let mut conn = admin_connection().await;
        conn.batch_execute(&format!(
            "CREATE DATABASE {name} TEMPLATE {} STRATEGY FILE_COPY",
            template_name()
        ))
        .await
        .expect("cannot create a test database from the template");
        Self {
            url: with_database(&admin, &name),
            name,
            admin_url: admin,
        }
    }

    /// A new, migrated database with the development seed.
    pub async fn seeded() -> Self {
        let db = Self::new().await;
        batch_service::storage::seed::apply(&mut db.connect().await)
            .await
            .expect("cannot apply the development seed");
        db
    }

    /// A new database that is created but not migrated (for migration tests).
    pub async fn empty() -> Self {
        let admin = admin_url();
        let name = format!("batch_test_{:016x}", rand::random::<u64>());
        admin_connection()
            .await
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("cannot create an empty test database");
        Self {
            url: with_database(&admin, &name),
            name,
            admin_url: admin,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub async fn connect(&self) -> AsyncPgConnection {
        AsyncPgConnection::establish(&self.url)
            .await
            .expect("cannot connect to the test database")
    }

    /// Runs `sql` and returns the first column of the first
    /// row as an integer: a `SELECT` (e.g. a count), or an `INSERT`/`UPDATE`/`DELETE`
    /// with a one-column `RETURNING` (0 when it returned no row).
    pub async fn query_i64(&self, sql: &str) -> i64 {
        use diesel::QueryableByName;
        use diesel_async::RunQueryDsl as _;
        #[derive(QueryableByName)]
        struct Value {
            #[diesel(sql_type = diesel::sql_types::Int8)]
            value: i64,
        }
        let is_select = sql
            .trim_start()
            .get(..6)
            .is_some_and(|w| w.eq_ignore_ascii_case("select"));
        // A data-modifying statement may only be a top-level WITH item.
        let wrapped = if is_select {
            format!("SELECT COALESCE(({sql})::int8, 0) AS value")
        } else {
            format!(
                "WITH q AS ({sql}) SELECT COALESCE((SELECT * FROM q LIMIT 1)::int8, 0) AS value"
            )
        };
        diesel::sql_query(wrapped)
            .get_result::<Value>(&mut self.connect().await)
            .await
            .unwrap_or_else(|e| panic!("query failed: {sql}: {e}"))
            .value
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs outside any runtime guarantee; a thread with its own runtime works
        // whether or not the test's runtime is still alive.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut conn = AsyncPgConnection::establish(&admin).await.ok()?;
                conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(()))) {
            eprintln!("warning: could not drop test database {}", self.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            with_database("postgres://u@h:1/postgres", "x"),
            "postgres://u@h:1/x"
        );
        assert_eq!(
            with_database("postgres://u@h:1/postgres?sslmode=disable", "x"),
            "postgres://u@h:1/x?sslmode=disable"
        );
    }
}
