//! The system under test as child processes: `batch-service` (migrated and seeded by
//! its own subcommands first) and the two translators, each on free ports of
//! 127.0.0.1, logging to a file, waited for until it answers, stopped at the end.
//! Children are also killed when dropped, so an error on the way cannot leave one behind.

use std::future::Future;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context as _, bail, ensure};
use batch_proto::v1::GetBatchRequest;
use batch_proto::v1::batch_service_client::BatchServiceClient;
use tokio::process::{Child, Command};
use tokio::time::Instant;
use tonic::Code;

use crate::cli::Args;
use crate::clients::{HttpConnection, grpc_channels};
use crate::cpu::Parties;
use crate::results::StackMemory;

/// How long a process may take to answer after it was started.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a process may take to exit after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// How long `migrate` or `seed-dev` may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// Where the three binaries are: given, or next to this one (the same target dir).
#[derive(Debug, Clone)]
pub(crate) struct Binaries {
    pub(crate) service: PathBuf,
    pub(crate) rest: PathBuf,
    pub(crate) soap: PathBuf,
}

impl Binaries {
    pub(crate) fn locate(args: &Args) -> anyhow::Result<Self> {
        let here = std::env::current_exe().context("cannot find this binary")?;
        let dir = here.parent().context("this binary has no directory")?;
        let pick =
            |given: &Option<PathBuf>, name: &str| given.clone().unwrap_or_else(|| dir.join(name));
        Ok(Self {
            service: pick(&args.batch_service_bin, "batch-service"),
            rest: pick(&args.rest_translator_bin, "rest-translator"),
            soap: pick(&args.soap_translator_bin, "soap-translator"),
        })
    }
}

/// A free port on 127.0.0.1 (free when asked; the process binds it moments later).
fn free_addr() -> anyhow::Result<SocketAddr> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

fn log_file(log_dir: &Path, name: &str) -> anyhow::Result<(std::fs::File, PathBuf)> {
    std::fs::create_dir_all(log_dir)
        .with_context(|| format!("cannot create {}", log_dir.display()))?;
    let path = log_dir.join(format!("{name}.log"));
    let file = std::fs::File::create(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    Ok((file, path))
}

/// The command line of `program`, with the environment the stack's processes share:
/// no telemetry export, output to `log`.
fn command(program: &Path, env: &[(&str, String)], log: &std::fs::File) -> anyhow::Result<Command> {
    ensure!(
        program.exists(),
        "{} does not exist: build it (make bench does) or name it with its *_BIN variable",
        program.display()
    );
    let mut command = Command::new(program);
    command
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log.try_clone()?)
        .kill_on_drop(true);
    Ok(command)
}

/// Runs `program args` to its end, e.g. `batch-service migrate`.
async fn run_to_end(
    program: &Path,
    args: &[&str],
    env: &[(&str, String)],
    log_dir: &Path,
) -> anyhow::Result<()> {
    let name = format!("batch-service-{}", args.join("-"));
    let (log, path) = log_file(log_dir, &name)?;
    let mut child = command(program, env, &log)?.args(args).spawn()?;
    let status = tokio::time::timeout(COMMAND_TIMEOUT, child.wait())
        .await
        .with_context(|| format!("{name} took longer than {COMMAND_TIMEOUT:?}"))??;
    ensure!(
        status.success(),
        "{name} failed ({status}); see {}",
        path.display()
    );
    Ok(())
}

/// One started process.
pub(crate) struct Process {
    name: &'static str,
    child: Child,
    pid: u32,
    log: PathBuf,
}

impl Process {
    fn spawn(
        name: &'static str,
        program: &Path,
        env: &[(&str, String)],
        log_dir: &Path,
    ) -> anyhow::Result<Self> {
        let (log, path) = log_file(log_dir, name)?;
        let child = command(program, env, &log)?
            .spawn()
            .with_context(|| format!("cannot start {}", program.display()))?;
        let pid = child.id().context("the child has no pid")?;
        Ok(Self {
            name,
            child,
            pid,
            log: path,
        })
    }

    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }

    /// Fails if the process has exited.
    pub(crate) fn ensure_running(&mut self) -> anyhow::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!(
                "{} exited ({status}); see {}",
                self.name,
                self.log.display()
            );
        }
        Ok(())
    }

    /// Calls `probe` until it succeeds, the process exits or [`READY_TIMEOUT`] passes.
    async fn wait_ready<F, Fut>(&mut self, mut probe: F) -> anyhow::Result<()>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = anyhow::Result<()>>,
    {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            self.ensure_running()?;
            let error = match probe().await {
                Ok(()) => return Ok(()),
                Err(error) => error,
            };
            if Instant::now() > deadline {
                return Err(error.context(format!(
                    "{} not ready after {READY_TIMEOUT:?}; see {}",
                    self.name,
                    self.log.display()
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// SIGTERM, then SIGKILL if it does not exit in time.
    pub(crate) async fn stop(mut self) -> anyhow::Result<()> {
        if self.child.try_wait()?.is_some() {
            return Ok(());
        }
        // `kill` the command: signals need unsafe code or another dependency otherwise.
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()
            .await;
        if tokio::time::timeout(STOP_TIMEOUT, self.child.wait())
            .await
            .is_err()
        {
            self.child.kill().await?;
            bail!("{} ignored SIGTERM and was killed", self.name);
        }
        Ok(())
    }
}

/// Which processes a run needs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Needs {
    pub(crate) service: bool,
    pub(crate) rest: bool,
    pub(crate) soap: bool,
}

/// A started process, the address it serves and its metrics endpoint.
pub(crate) struct Running {
    pub(crate) process: Process,
    pub(crate) addr: SocketAddr,
    pub(crate) metrics: SocketAddr,
}

/// The started processes.
#[derive(Default)]
pub(crate) struct Stack {
    pub(crate) service: Option<Running>,
    pub(crate) rest: Option<Running>,
    pub(crate) soap: Option<Running>,
}

/// Asks the service for a batch: any answer but "unavailable" means it serves.
async fn probe_grpc(addr: SocketAddr) -> anyhow::Result<()> {
    let channel = grpc_channels(addr, 1).await?.remove(0);
    let mut request = tonic::Request::new(GetBatchRequest { id: 1 });
    request.metadata_mut().insert(
        batch_proto::metadata::AUTHORIZATION,
        tonic::metadata::AsciiMetadataValue::from_static("Bearer demo"),
    );
    match BatchServiceClient::new(channel).get_batch(request).await {
        Ok(_) => Ok(()),
        Err(status) if status.code() == Code::NotFound => Ok(()),
        Err(status) => bail!("GetBatch answered {status}"),
    }
}

async fn probe_http(addr: SocketAddr) -> anyhow::Result<()> {
    HttpConnection::open(addr).await?.get_ok("/readyz").await
}

/// Starts a translator in front of `upstream` and waits until its `/readyz` answers.
async fn start_door(
    name: &'static str,
    program: &Path,
    listen_var: &str,
    upstream: &str,
    log_dir: &Path,
) -> anyhow::Result<Running> {
    let addr = free_addr()?;
    let metrics = free_addr()?;
    let env = [
        (listen_var, addr.to_string()),
        ("BATCH_SERVICE_URL", upstream.to_owned()),
        ("METRICS_LISTEN_ADDR", metrics.to_string()),
    ];
    let mut process = Process::spawn(name, program, &env, log_dir)?;
    process.wait_ready(|| probe_http(addr)).await?;
    Ok(Running {
        process,
        addr,
        metrics,
    })
}

/// Starts a batch-service over `database_url` on a free port, without waiting for it.
pub(crate) fn spawn_service(
    name: &'static str,
    program: &Path,
    database_url: &str,
    log_dir: &Path,
) -> anyhow::Result<Running> {
    let addr = free_addr()?;
    let metrics = free_addr()?;
    let env = [
        ("DATABASE_URL", database_url.to_owned()),
        ("GRPC_LISTEN_ADDR", addr.to_string()),
        ("METRICS_LISTEN_ADDR", metrics.to_string()),
    ];
    let process = Process::spawn(name, program, &env, log_dir)?;
    Ok(Running {
        process,
        addr,
        metrics,
    })
}

impl Stack {
    /// Migrates and seeds `database_url`, then starts what `needs` says.
    pub(crate) async fn start(
        needs: Needs,
        bins: &Binaries,
        database_url: &str,
        log_dir: &Path,
    ) -> anyhow::Result<Self> {
        let db_env = [("DATABASE_URL", database_url.to_owned())];
        run_to_end(&bins.service, &["migrate"], &db_env, log_dir).await?;
        run_to_end(&bins.service, &["seed-dev"], &db_env, log_dir).await?;
        let mut stack = Stack::default();
        if !(needs.service || needs.rest || needs.soap) {
            return Ok(stack);
        }
        let mut service = spawn_service("batch-service", &bins.service, database_url, log_dir)?;
        let grpc_addr = service.addr;
        service.process.wait_ready(|| probe_grpc(grpc_addr)).await?;
        stack.service = Some(service);
        let upstream = format!("http://{grpc_addr}");
        if needs.rest {
            let rest = start_door(
                "rest-translator",
                &bins.rest,
                "REST_LISTEN_ADDR",
                &upstream,
                log_dir,
            );
            stack.rest = Some(rest.await?);
        }
        if needs.soap {
            let soap = start_door(
                "soap-translator",
                &bins.soap,
                "SOAP_LISTEN_ADDR",
                &upstream,
                log_dir,
            );
            stack.soap = Some(soap.await?);
        }
        Ok(stack)
    }

    /// The started processes whose CPU a run accounts for.
    pub(crate) fn parties(&self) -> Parties {
        let pid = |running: &Option<Running>| running.as_ref().map(|r| r.process.pid());
        Parties {
            service: pid(&self.service),
            rest_translator: pid(&self.rest),
            soap_translator: pid(&self.soap),
        }
    }

    /// The memory of every started process now.
    pub(crate) fn memory(&self) -> anyhow::Result<StackMemory> {
        let of = |running: &Option<Running>| {
            running
                .as_ref()
                .map(|r| crate::cpu::memory(r.process.pid()))
                .transpose()
        };
        Ok(StackMemory {
            service: of(&self.service)?,
            rest_translator: of(&self.rest)?,
            soap_translator: of(&self.soap)?,
        })
    }

    /// Stops every process; reports the first that did not stop cleanly.
    pub(crate) async fn stop(self) -> anyhow::Result<()> {
        let mut first_error = None;
        // Doors first, so that the service is not stopped under them.
        for running in [self.rest, self.soap, self.service].into_iter().flatten() {
            if let Err(error) = running.process.stop().await {
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}
