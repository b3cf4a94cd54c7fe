//! The scenarios, in the order the report lists them, and what they share while they
//! run: the arguments, the batch data and the started processes.

mod bulk;
mod latency;
mod throughput;

use std::net::SocketAddr;

use anyhow::Context as _;

use crate::cli::Args;
use crate::clients::Door;
use crate::database::{BatchData, Seeded};
use crate::load::Plan;
use crate::processes::{Needs, Running, Stack};
use crate::report::Results;

/// One measurement of the contract's "How fast" section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub(crate) enum Scenario {
    /// PostgreSQL alone: prepared single deletes over direct connections.
    Baseline,
    /// gRPC `DeleteBatches` end to end.
    Grpc,
    /// The REST door end to end, with the translator's CPU and memory.
    Rest,
    /// The SOAP door end to end, with the translator's CPU and memory.
    Soap,
    /// 10,000 ids in one `DeleteBatches` call against the same delete in raw SQL.
    Bulk,
    /// Latency through each door at half of its peak rate (open loop).
    Latency,
}

impl Scenario {
    pub(crate) const ALL: [Scenario; 6] = [
        Scenario::Baseline,
        Scenario::Grpc,
        Scenario::Rest,
        Scenario::Soap,
        Scenario::Bulk,
        Scenario::Latency,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Scenario::Baseline => "baseline",
            Scenario::Grpc => "grpc",
            Scenario::Rest => "rest",
            Scenario::Soap => "soap",
            Scenario::Bulk => "bulk",
            Scenario::Latency => "latency",
        }
    }

    /// The processes these scenarios need.
    pub(crate) fn needs(scenarios: &[Scenario]) -> Needs {
        let has = |s: Scenario| scenarios.contains(&s);
        let rest = has(Scenario::Rest);
        let soap = has(Scenario::Soap);
        Needs {
            service: rest || soap || has(Scenario::Grpc) || has(Scenario::Bulk),
            rest,
            soap,
        }
    }
}

/// What every scenario works with.
pub(crate) struct Context<'a> {
    pub(crate) args: &'a Args,
    pub(crate) database_url: &'a str,
    pub(crate) data: BatchData,
    pub(crate) stack: Stack,
    pub(crate) results: Results,
}

impl Context<'_> {
    fn plan(&self) -> Plan {
        Plan {
            warmup: self.args.warmup(),
            duration: self.args.duration(),
        }
    }

    fn service(&self) -> anyhow::Result<&Running> {
        self.stack
            .service
            .as_ref()
            .context("batch-service is not running")
    }

    fn service_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.service()?.addr)
    }

    fn door(&self, door: Door) -> anyhow::Result<&Running> {
        match door {
            Door::Rest => self.stack.rest.as_ref(),
            Door::Soap => self.stack.soap.as_ref(),
        }
        .with_context(|| format!("the {} translator is not running", door.name()))
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

    /// Runs one scenario and files its result (or its failure) in `results`.
    async fn run(&mut self, scenario: Scenario) -> anyhow::Result<()> {
        self.ensure_stack_running()?;
        match scenario {
            Scenario::Baseline => {
                self.results.baseline = Some(throughput::run(self, throughput::Route::Sql).await?)
            }
            Scenario::Grpc => {
                self.results.grpc = Some(throughput::run(self, throughput::Route::Grpc).await?)
            }
            Scenario::Rest => {
                let route = throughput::Route::Door(Door::Rest);
                self.results.rest = Some(throughput::run(self, route).await?)
            }
            Scenario::Soap => {
                let route = throughput::Route::Door(Door::Soap);
                self.results.soap = Some(throughput::run(self, route).await?)
            }
            Scenario::Bulk => self.results.bulk = Some(bulk::run(self).await?),
            Scenario::Latency => {
                // Each door on its own: one failing does not hide the other's figure.
                for door in [Door::Rest, Door::Soap] {
                    match latency::run(self, door).await {
                        Ok(latency) => self.results.set_latency(door, latency),
                        Err(error) => self
                            .results
                            .failures
                            .push((Scenario::Latency, format!("{}: {error:#}", door.name()))),
                    }
                }
            }
        }
        self.ensure_stack_running()
    }
}

/// Runs `scenarios` in order; a failing one is reported and the others still run.
pub(crate) async fn run_all(context: &mut Context<'_>, scenarios: &[Scenario]) {
    for &scenario in scenarios {
        eprintln!("batch-bench: running {}", scenario.name());
        let started = std::time::Instant::now();
        if let Err(error) = context.run(scenario).await {
            eprintln!("batch-bench: {} failed: {error:#}", scenario.name());
            context
                .results
                .failures
                .push((scenario, format!("{error:#}")));
        }
        eprintln!(
            "batch-bench: {} took {:.1} s",
            scenario.name(),
            started.elapsed().as_secs_f64()
        );
    }
}
