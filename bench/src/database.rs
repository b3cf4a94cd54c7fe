//! The run's own database: created on the admin server, migrated and seeded with the
//! development tenant by the service's own subcommands (see [`crate::processes`]),
//! filled with batches in bulk inserts (handed out by [`crate::pool`]), dropped at the
//! end.

use std::path::Path;

use anyhow::{Context as _, bail, ensure};
use tokio_postgres::{Client, NoTls};

/// The tenant `batch-service seed-dev` creates, with api_key `demo`.
const TENANT: &str = "development";

/// `url` with its database name replaced by `database`.
pub(crate) fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let prefix = match base[authority_start..].find('/') {
        Some(i) => &base[..authority_start + i],
        None => base,
    };
    format!("{prefix}/{database}{query}")
}

/// The admin URL: the one given, or the private server of `scripts/dev-postgres.sh`.
pub(crate) async fn admin_url(given: Option<String>) -> anyhow::Result<String> {
    if let Some(url) = given {
        return Ok(url);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/dev-postgres.sh");
    let output = tokio::process::Command::new(&script)
        .arg("start")
        .stderr(std::process::Stdio::inherit())
        .output()
        .await
        .with_context(|| format!("cannot run {}", script.display()))?;
    ensure!(
        output.status.success(),
        "{} start failed ({}); set BENCH_DATABASE_URL instead",
        script.display(),
        output.status
    );
    Ok(String::from_utf8(output.stdout)?.trim().to_owned())
}

/// Opens one connection (its driver runs on a task of its own).
pub(crate) async fn connect(url: &str) -> anyhow::Result<Client> {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .context("cannot connect to PostgreSQL")?;
    tokio::spawn(async move {
        // Ends when the client is dropped; an error then has nobody left to tell.
        let _ = connection.await;
    });
    Ok(client)
}

/// A database created for this run.
#[derive(Debug)]
pub(crate) struct RunDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl RunDatabase {
    /// Creates `batch_bench_<time>_<pid>`.
    pub(crate) async fn create(admin_url: String) -> anyhow::Result<Self> {
        let name = format!(
            "batch_bench_{}_{}",
            chrono::Utc::now().format("%Y%m%d%H%M%S"),
            std::process::id()
        );
        connect(&admin_url)
            .await?
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .await
            .with_context(|| format!("cannot create database {name}"))?;
        let url = with_database(&admin_url, &name);
        Ok(Self {
            admin_url,
            name,
            url,
        })
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Drops the database, whoever is still connected.
    pub(crate) async fn drop_now(self) -> anyhow::Result<()> {
        connect(&self.admin_url)
            .await?
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ))
            .await
            .with_context(|| format!("cannot drop database {}", self.name))
    }
}

/// A contiguous range of freshly seeded batch ids, `first..=last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seeded {
    pub(crate) first: i64,
    pub(crate) last: i64,
}

impl Seeded {
    pub(crate) fn count(&self) -> i64 {
        self.last - self.first + 1
    }
}

const SEED: &str = "\
WITH new_batches AS (
    INSERT INTO batches (tenant_id, name, state)
    SELECT $1, 'bench ' || n, 'new' FROM generate_series(1, $2::bigint) AS n
    RETURNING id),
new_items AS (
    INSERT INTO batch_items (batch_id, custom_id, parameters)
    SELECT b.id, 'item ' || i, '{\"q\": \"benchmark\"}'::jsonb
    FROM new_batches AS b, generate_series(1, $3::int) AS i)
SELECT min(id), max(id), count(*) FROM new_batches";

/// Batch data of the development tenant, through one administrative connection.
pub(crate) struct BatchData {
    client: Client,
    tenant_id: i64,
    items_per_batch: i32,
}

impl BatchData {
    pub(crate) async fn open(url: &str, items_per_batch: u32) -> anyhow::Result<Self> {
        let client = connect(url).await?;
        let tenant_id = client
            .query_opt("SELECT id FROM tenants WHERE name = $1", &[&TENANT])
            .await?
            .context("no development tenant: did seed-dev run?")?
            .get(0);
        Ok(Self {
            client,
            tenant_id,
            items_per_batch: i32::try_from(items_per_batch).context("too many items")?,
        })
    }

    pub(crate) fn tenant_id(&self) -> i64 {
        self.tenant_id
    }

    /// Empties the batch tables and the delete audit.
    pub(crate) async fn empty(&self) -> anyhow::Result<()> {
        self.client
            .batch_execute(
                "TRUNCATE results, result_sets, batch_items, batch_runs, batch_deletions, batches",
            )
            .await
            .context("cannot empty the batch tables")
    }

    /// Inserts `batches` batches with their items in one statement; their ids are one
    /// contiguous range (nothing else inserts batches while the bench runs).
    pub(crate) async fn append(&self, batches: i64) -> anyhow::Result<Seeded> {
        // The rows are consistent by construction, so their foreign-key triggers (three
        // per batch) are skipped when the role may (superuser): seeding a large table
        // then takes far less of the run. Without it seeding is slower, not different.
        let skip_triggers = self
            .client
            .batch_execute("SET session_replication_role = replica")
            .await
            .is_ok();
        let inserted = self
            .client
            .query_one(SEED, &[&self.tenant_id, &batches, &self.items_per_batch])
            .await
            .context("cannot seed batches");
        if skip_triggers {
            self.client
                .batch_execute("RESET session_replication_role")
                .await?;
        }
        let row = inserted?;
        let (first, last, count): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
        let seeded = Seeded { first, last };
        if count != batches || seeded.count() != count {
            bail!("seeded ids are not one contiguous range ({first}..={last}, {count} rows)");
        }
        Ok(seeded)
    }

    /// Vacuums (removing the rows the previous run deleted) and checkpoints, so that a
    /// run neither pays for the previous one's leftovers, nor meets autovacuum or a
    /// checkpoint it did not cause.
    pub(crate) async fn settle(&self) -> anyhow::Result<()> {
        self.client
            .batch_execute("VACUUM (ANALYZE) batches, batch_items, batch_deletions")
            .await
            .context("cannot vacuum")?;
        // Needs superuser (or pg_checkpoint); without it the run is merely noisier.
        let _ = self.client.batch_execute("CHECKPOINT").await;
        Ok(())
    }

    /// How many of `seeded` are still there.
    pub(crate) async fn remaining(&self, seeded: Seeded) -> anyhow::Result<i64> {
        Ok(self
            .client
            .query_one(
                "SELECT count(*) FROM batches WHERE id BETWEEN $1 AND $2",
                &[&seeded.first, &seeded.last],
            )
            .await?
            .get(0))
    }

    /// The pid of the server's postmaster, the parent of this connection's backend, when
    /// the server runs on this machine (its CPU is then read from `/proc`).
    pub(crate) async fn postmaster_pid(&self) -> anyhow::Result<u32> {
        let backend: i32 = self
            .client
            .query_one("SELECT pg_backend_pid()", &[])
            .await?
            .get(0);
        crate::cpu::parent_of(u32::try_from(backend)?)
    }

    /// `SHOW server_version`.
    pub(crate) async fn server_version(&self) -> anyhow::Result<String> {
        Ok(self
            .client
            .query_one("SHOW server_version", &[])
            .await?
            .get(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_name_is_replaced() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:55432/postgres", "run"),
            "postgres://postgres@127.0.0.1:55432/run"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "run"),
            "postgres://u:p@h/run?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "run"),
            "postgres://h:5432/run"
        );
    }
}
