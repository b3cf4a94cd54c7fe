//! A private PostgreSQL cluster for tests that stop and restart the server, which the
//! shared `TEST_DATABASE_URL` server must never suffer. Made as
//! `scripts/dev-postgres.sh` makes its own: `initdb` in a fresh directory, trust
//! authentication, listening on `127.0.0.1:<free port>` only, run as the `postgres`
//! user when the tests run as root (`initdb` refuses root). Durability is traded for
//! speed (`fsync=off`): the cluster is thrown away with the value.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::processes::{binary, free_port};

/// How long `pg_ctl` may wait for the server to start or stop.
const PG_CTL_WAIT_SECONDS: &str = "60";

/// A private cluster; stopped (immediately) and deleted when dropped.
#[derive(Debug)]
pub struct PrivatePostgres {
    bindir: PathBuf,
    base: PathBuf,
    port: u16,
    as_postgres: bool,
}

/// The newest installed server's `bin/` (Debian layout), or `pg_config --bindir`.
fn find_bindir() -> PathBuf {
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dirs| {
            dirs.flatten()
                .map(|d| d.path().join("bin"))
                .filter(|bin| bin.join("initdb").exists())
                .collect()
        })
        .unwrap_or_default();
    candidates.sort_by_key(|bin| {
        bin.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    if let Some(bin) = candidates.pop() {
        return bin;
    }
    let output = Command::new("pg_config").arg("--bindir").output();
    if let Ok(output) = output
        && output.status.success()
    {
        let bin = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        if bin.join("initdb").exists() {
            return bin;
        }
    }
    panic!(
        "the PostgreSQL server binaries (initdb, pg_ctl) are missing: \
         `scripts/dev-postgres.sh start` installs them (as root), or install `postgresql`"
    )
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl PrivatePostgres {
    /// Creates a cluster and starts it.
    pub fn start() -> Self {
        let bindir = find_bindir();
        let as_postgres = is_root();
        // The `postgres` user must reach the directory: /var/tmp is open to all.
        let parent = if as_postgres {
            PathBuf::from("/var/tmp")
        } else {
            std::env::temp_dir()
        };
        let base = parent.join(format!("batch-faults-pg-{:016x}", rand_u64()));
        std::fs::create_dir_all(&base).expect("cannot create the cluster directory");
        let cluster = Self {
            bindir,
            base,
            port: free_port(),
            as_postgres,
        };
        if as_postgres {
            let chown = Command::new("chown")
                .args(["postgres:", &cluster.base.to_string_lossy()])
                .status()
                .expect("chown runs");
            assert!(chown.success(), "cannot hand the directory to postgres");
        }
        cluster.run_ok(
            "initdb",
            &[
                "-D",
                &cluster.data().to_string_lossy(),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
        );
        std::fs::create_dir_all(cluster.base.join("run")).expect("socket directory");
        if as_postgres {
            let _ = Command::new("chown")
                .args(["postgres:", &cluster.base.join("run").to_string_lossy()])
                .status();
        }
        cluster.start_server();
        cluster
    }

    fn data(&self) -> PathBuf {
        self.base.join("data")
    }

    /// `postgres://postgres@127.0.0.1:<port>/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    fn command(&self, tool: &str, args: &[&str]) -> Command {
        let program = self.bindir.join(tool);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        command.args(args).current_dir(&self.base);
        command
    }

    fn run_ok(&self, tool: &str, args: &[&str]) -> Output {
        let output = self
            .command(tool, args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {tool}: {e}"));
        assert!(
            output.status.success(),
            "{tool} {args:?} failed: {}{}\nserver log:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            self.log_tail()
        );
        output
    }

    fn log_path(&self) -> PathBuf {
        self.base.join("postgres.log")
    }

    /// The last lines of the server's log, for failure messages.
    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// Starts the server and waits until it accepts connections.
    pub fn start_server(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200 \
             -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            self.port,
            self.base.join("run").display()
        );
        self.run_ok(
            "pg_ctl",
            &[
                "-D",
                &self.data().to_string_lossy(),
                "-l",
                &self.log_path().to_string_lossy(),
                "-w",
                "-t",
                PG_CTL_WAIT_SECONDS,
                "-o",
                &options,
                "start",
            ],
        );
    }

    /// Stops the server in `mode` (`fast`: roll back and disconnect every session;
    /// `immediate`: as a crash) and waits until it is gone.
    pub fn stop_server(&self, mode: &str) {
        self.run_ok(
            "pg_ctl",
            &[
                "-D",
                &self.data().to_string_lossy(),
                "-m",
                mode,
                "-w",
                "-t",
                PG_CTL_WAIT_SECONDS,
                "stop",
            ],
        );
    }

    /// Creates database `name` (run as the admin over the socket-less TCP URL).
    pub fn create_database(&self, name: &str) -> String {
        self.run_ok(
            "psql",
            &[&self.url(), "-qAtc", &format!("CREATE DATABASE \"{name}\"")],
        );
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Whether a TCP connection to the server is accepted now.
    pub fn accepts_tcp(&self) -> bool {
        std::net::TcpStream::connect_timeout(
            &std::net::SocketAddr::from(([127, 0, 0, 1], self.port)),
            Duration::from_millis(200),
        )
        .is_ok()
    }

    /// Polls until a real session can be opened (at most `within`); returns when.
    pub fn wait_accepting(&self, within: Duration) -> Instant {
        let deadline = Instant::now() + within;
        loop {
            let ok = self
                .command(
                    "pg_isready",
                    &["-h", "127.0.0.1", "-p", &self.port.to_string()],
                )
                .output()
                .is_ok_and(|o| o.status.success());
            if ok {
                return Instant::now();
            }
            assert!(
                Instant::now() < deadline,
                "PostgreSQL did not accept connections within {within:?}:\n{}",
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// A migrated and seeded database on a private cluster (via the real binary's
/// `migrate` and `seed-dev` subcommands, as `make run` does).
pub fn migrate_and_seed(database_url: &str) {
    for subcommand in ["migrate", "seed-dev"] {
        let output = Command::new(binary("batch-service"))
            .arg(subcommand)
            .env("DATABASE_URL", database_url)
            .env("RUST_LOG", "warn")
            .output()
            .expect("batch-service runs");
        assert!(
            output.status.success(),
            "batch-service {subcommand} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    hasher.write_u32(std::process::id());
    hasher.finish()
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self
            .command(
                "pg_ctl",
                &[
                    "-D",
                    &self.data().to_string_lossy(),
                    "-m",
                    "immediate",
                    "stop",
                ],
            )
            .output();
        let _ = remove_tree(&self.base);
    }
}

fn remove_tree(path: &Path) -> std::io::Result<()> {
    std::fs::remove_dir_all(path)
}
