//! The scenarios and what they share while they run: the arguments, the batch data and
//! its pool of fresh ids, and the started processes. [`run_all`] runs them in the
//! report's order: the throughput cases interleaved in rounds first (their peaks feed
//! the latency runs), then latency, the 10,000-id delete, time to first delete, and the
//! two sweeps last (the table-size sweep reseeds the table).

mod bulk;
mod first_delete;
mod latency;
mod sweeps;
mod throughput;

use std::time::Instant;

use anyhow::Context as _;

use crate::cli::Args;
use crate::clients::{Door, Endpoints, Route};
use crate::database::{BatchData, Seeded};
use crate::load::Plan;
use crate::pool::IdPool;
use crate::processes::{Binaries, Needs, Running, Stack};
use crate::results::{Results, RoundRun};
use crate::stats::interleaved;

/// One measurement of the contract's "How fast" section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub(crate) enum Scenario {
    /// PostgreSQL alone: prepared single-row deletes, one per transaction.
    Baseline,
    /// gRPC `DeleteBatches` end to end, one id per call.
    Grpc,
    /// The REST door end to end.
    Rest,
    /// The SOAP door end to end.
    Soap,
    /// Latency of gRPC and each door at half of its peak (open loop).
    Latency,
    /// 10,000 ids in one `DeleteBatches` call against the same delete in raw SQL.
    Bulk,
    /// Time from starting batch-service to its first successful delete.
    FirstDelete,
    /// Sweep: 1, 8, 32, 128 clients, baseline and gRPC.
    Concurrency,
    /// Sweep: 100,000, 500,000 and 2,000,000 batches, baseline and gRPC.
    TableSize,
}

impl Scenario {
    pub(crate) const ALL: [Scenario; 9] = [
        Scenario::Baseline,
        Scenario::Grpc,
        Scenario::Rest,
        Scenario::Soap,
        Scenario::Latency,
        Scenario::Bulk,
        Scenario::FirstDelete,
        Scenario::Concurrency,
        Scenario::TableSize,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Scenario::Baseline => "baseline",
            Scenario::Grpc => "grpc",
            Scenario::Rest => "rest",
            Scenario::Soap => "soap",
            Scenario::Latency => "latency",
            Scenario::Bulk => "bulk",
            Scenario::FirstDelete => "first-delete",
            Scenario::Concurrency => "concurrency",
            Scenario::TableSize => "table-size",
        }
    }

    /// The throughput case of a round this scenario is, if it is one.
    pub(crate) fn route(self) -> Option<Route> {
        match self {
            Scenario::Baseline => Some(Route::Sql),
            Scenario::Grpc => Some(Route::Grpc),
            Scenario::Rest => Some(Route::Door(Door::Rest)),
            Scenario::Soap => Some(Route::Door(Door::Soap)),
            _ => None,
        }
    }

    /// The processes these scenarios need.
    pub(crate) fn needs(scenarios: &[Scenario]) -> Needs {
        let has = |s: Scenario| scenarios.contains(&s);
        let rest = has(Scenario::Rest);
        let soap = has(Scenario::Soap);
        Needs {
            service: scenarios.iter().any(|s| *s != Scenario::Baseline),
            rest,
            soap,
        }
    }
}

/// What every scenario works with.
pub(crate) struct Context<'a> {
    pub(crate) args: &'a Args,
    pub(crate) database_url: &'a str,
    pub(crate) binaries: &'a Binaries,
    pub(crate) data: BatchData,
    pub(crate) pool: IdPool,
    pub(crate) stack: Stack,
    pub(crate) results: Results,
}

impl Context<'_> {
    /// The plan of the throughput rounds and the latency runs.
    fn plan(&self) -> Plan {
        Plan {
            warmup: self.args.warmup(),
            duration: self.args.duration(),
        }
    }

    /// The shorter plan of each sweep point.
    fn sweep_plan(&self) -> Plan {
        Plan {
            warmup: self.args.sweep_warmup(),
            duration: self.args.sweep_duration(),
        }
    }

    fn service(&self) -> anyhow::Result<&Running> {
        self.stack
            .service
            .as_ref()
            .context("batch-service is not running")
    }

    fn endpoints(&self) -> Endpoints<'_> {
        let addr = |running: &Option<Running>| running.as_ref().map(|r| r.addr);
        Endpoints {
            database_url: self.database_url,
            tenant_id: self.data.tenant_id(),
            service: addr(&self.stack.service),
            rest: addr(&self.stack.rest),
            soap: addr(&self.stack.soap),
            grpc_channels: self.args.grpc_channels,
        }
    }

    /// Compares the rows that went with the deletes that were answered as done: `None`
    /// when they agree, else what differs (SOAP, which deletes with allow-missing,
    /// could otherwise report success for nothing).
    async fn check_deleted(
        &self,
        seeded: Seeded,
        succeeded: u64,
    ) -> anyhow::Result<Option<String>> {
        let gone = seeded.count() - self.data.remaining(seeded).await?;
        Ok((u64::try_from(gone).ok() != Some(succeeded))
            .then(|| format!("{succeeded} deletes were answered as done but {gone} rows went")))
    }

    /// Fails if a started process has died.
    fn ensure_stack_running(&mut self) -> anyhow::Result<()> {
        let stack = &mut self.stack;
        for running in [&mut stack.service, &mut stack.rest, &mut stack.soap]
            .into_iter()
            .flatten()
        {
            running.process.ensure_running()?;
        }
        Ok(())
    }

    /// Files `error` under `scenario`.
    fn failed(&mut self, scenario: Scenario, error: &anyhow::Error) {
        eprintln!("batch-bench: {} failed: {error:#}", scenario.name());
        self.results.failures.push((scenario, format!("{error:#}")));
    }

    /// The throughput cases of `scenarios`, interleaved over `--rounds` rounds.
    async fn rounds(&mut self, scenarios: &[Scenario]) {
        let cases: Vec<Scenario> = scenarios
            .iter()
            .copied()
            .filter(|s| s.route().is_some())
            .collect();
        self.results.rounds_planned = self.args.rounds;
        for (round, scenario) in interleaved(&cases, self.args.rounds) {
            let Some(route) = scenario.route() else {
                continue;
            };
            eprintln!(
                "batch-bench: round {}/{}: {}",
                round + 1,
                self.args.rounds,
                scenario.name()
            );
            let clients = self.args.concurrency;
            let plan = self.plan();
            let outcome = match self.ensure_stack_running() {
                Ok(()) => throughput::run(self, route, clients, plan).await,
                Err(error) => Err(error),
            };
            match outcome {
                Ok(run) => self.results.rounds.push(RoundRun { round, run }),
                Err(error) => self.failed(scenario, &error.context(format!("round {}", round + 1))),
            }
        }
    }

    /// Latency of gRPC and of each door whose peak was measured.
    async fn latency(&mut self, scenarios: &[Scenario]) {
        let routes = [Scenario::Grpc, Scenario::Rest, Scenario::Soap]
            .into_iter()
            .filter(|s| scenarios.contains(s))
            .filter_map(Scenario::route);
        for route in routes {
            // Each route on its own: one failing does not hide the others' figures.
            match latency::run(self, route).await {
                Ok(latency) => self.results.latency.push(latency),
                Err(error) => {
                    let error = error.context(route.name());
                    self.failed(Scenario::Latency, &error)
                }
            }
        }
    }

    /// Runs one scenario that is not a round; files its result in `results`.
    async fn run(&mut self, scenario: Scenario, all: &[Scenario]) -> anyhow::Result<()> {
        self.ensure_stack_running()?;
        match scenario {
            Scenario::Latency => self.latency(all).await,
            Scenario::Bulk => self.results.bulk = Some(bulk::run(self).await?),
            Scenario::FirstDelete => {
                self.results.first_delete = Some(first_delete::run(self).await?)
            }
            Scenario::Concurrency => sweeps::concurrency(self).await?,
            Scenario::TableSize => sweeps::table_size(self).await?,
            Scenario::Baseline | Scenario::Grpc | Scenario::Rest | Scenario::Soap => {}
        }
        self.ensure_stack_running()
    }
}

/// Runs `scenarios` (sorted in [`Scenario::ALL`]'s order): the rounds, then the rest;
/// a failing one is reported and the others still run.
pub(crate) async fn run_all(context: &mut Context<'_>, scenarios: &[Scenario]) {
    let started = Instant::now();
    context.rounds(scenarios).await;
    if scenarios.iter().any(|s| s.route().is_some()) {
        eprintln!(
            "batch-bench: rounds took {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    for &scenario in scenarios.iter().filter(|s| s.route().is_none()) {
        eprintln!("batch-bench: running {}", scenario.name());
        let started = Instant::now();
        if let Err(error) = context.run(scenario, scenarios).await {
            context.failed(scenario, &error);
        }
        eprintln!(
            "batch-bench: {} took {:.1} s",
            scenario.name(),
            started.elapsed().as_secs_f64()
        );
    }
}
