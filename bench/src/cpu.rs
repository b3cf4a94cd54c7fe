//! CPU time and memory from `/proc`: of one process (`utime + stime` of
//! `/proc/<pid>/stat`), of the PostgreSQL processes serving the run, of this process,
//! and of the whole machine (`/proc/stat`), so that a run can say where its CPU went
//! per request.

use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{Context as _, bail};

/// Clock ticks per second of the `/proc` counters (`getconf CLK_TCK`, 100 on Linux).
fn ticks_per_second() -> u64 {
    static TICKS: OnceLock<u64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .and_then(|text| text.trim().parse().ok())
            .filter(|ticks| *ticks > 0)
            .unwrap_or(100)
    })
}

/// `ticks` of CPU time as a duration.
pub(crate) fn ticks_as_duration(ticks: u64) -> Duration {
    Duration::from_secs_f64(ticks as f64 / ticks_per_second() as f64)
}

/// `utime + stime` from the text of `/proc/<pid>/stat`. The command name (field 2) may
/// hold spaces and parentheses, so fields are counted from its closing parenthesis.
fn stat_ticks(stat: &str) -> anyhow::Result<u64> {
    let rest = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .context("no command name in stat")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, utime field 14, stime field 15.
    let field = |n: usize| -> anyhow::Result<u64> {
        fields
            .get(n - 3)
            .context("stat too short")?
            .parse()
            .context("stat field is not a number")
    };
    Ok(field(14)? + field(15)?)
}

/// The parent pid (field 4) from the text of `/proc/<pid>/stat`.
fn stat_parent(stat: &str) -> Option<u32> {
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// The parent of process `pid`.
pub(crate) fn parent_of(pid: u32) -> anyhow::Result<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("cannot read /proc/{pid}/stat"))?;
    stat_parent(&stat).context("no parent in stat")
}

/// CPU ticks of `root` and of each of its children, by pid: for the PostgreSQL server,
/// the postmaster and every backend and background process, including backends that
/// connected after the last look (a pool that grows during a run).
fn family_ticks(root: u32) -> Vec<(u32, u64)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let in_family = pid == root || stat_parent(&stat) == Some(root);
            Some((pid, stat_ticks(&stat).ok()?)).filter(|_| in_family)
        })
        .collect()
}

/// CPU ticks a process has used so far.
pub(crate) fn process_ticks(pid: u32) -> anyhow::Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("cannot read /proc/{pid}/stat"))?;
    stat_ticks(&stat)
}

/// Busy and idle ticks of the whole machine, summed over its CPUs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct MachineTicks {
    busy: u64,
    idle: u64,
}

/// The aggregate `cpu` line of `/proc/stat`: user nice system idle iowait irq softirq
/// steal (guest time is already inside user).
fn parse_machine(stat: &str) -> anyhow::Result<MachineTicks> {
    let line = stat
        .lines()
        .find(|line| line.starts_with("cpu "))
        .context("no cpu line in /proc/stat")?;
    let values: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(str::parse)
        .collect::<Result<_, _>>()
        .context("bad cpu line in /proc/stat")?;
    if values.len() < 8 {
        bail!("short cpu line in /proc/stat");
    }
    Ok(MachineTicks {
        busy: values[0] + values[1] + values[2] + values[5] + values[6] + values[7],
        idle: values[3] + values[4],
    })
}

fn machine_ticks() -> MachineTicks {
    std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|stat| parse_machine(&stat).ok())
        .unwrap_or_default()
}

/// The processes of the system under test whose CPU a run accounts for, each when it
/// runs: every run samples all of them, so that a process busy with something else
/// (a translator idle during a gRPC run should use nothing) is visible too.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Parties {
    pub(crate) service: Option<u32>,
    pub(crate) rest_translator: Option<u32>,
    pub(crate) soap_translator: Option<u32>,
}

impl Parties {
    fn pids(&self) -> [Option<u32>; 3] {
        [self.service, self.rest_translator, self.soap_translator]
    }
}

/// CPU counters at one instant: the parties (in the order of [`Parties::pids`]), the
/// PostgreSQL processes (pid and ticks), this process and the machine.
#[derive(Debug, Clone, Default)]
pub(crate) struct CpuSample {
    parties: [Option<u64>; 3],
    postgres: Vec<(u32, u64)>,
    bench: u64,
    machine: MachineTicks,
}

/// Reads the counters now: of the parties (one that is gone counts as 0) and of the
/// PostgreSQL server whose postmaster is `postmaster` (none when it is not on this
/// machine).
pub(crate) fn sample(parties: Parties, postmaster: Option<u32>) -> CpuSample {
    CpuSample {
        parties: parties
            .pids()
            .map(|pid| pid.map(|pid| process_ticks(pid).unwrap_or(0))),
        postgres: postmaster.map(family_ticks).unwrap_or_default(),
        bench: process_ticks(std::process::id()).unwrap_or(0),
        machine: machine_ticks(),
    }
}

/// CPU per request between two samples, in microseconds.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct CpuPerRequest {
    /// This process: the load generator.
    pub(crate) bench: f64,
    pub(crate) service: Option<f64>,
    pub(crate) rest_translator: Option<f64>,
    pub(crate) soap_translator: Option<f64>,
    /// The whole PostgreSQL server summed: postmaster, every backend (also those that
    /// connected during the window) and the background processes (WAL writer,
    /// checkpointer, ...).
    pub(crate) postgres: f64,
    /// Busy time of the machine not accounted for above (other users of the machine,
    /// the kernel's network work on behalf of nobody in particular).
    pub(crate) other: f64,
    /// Share of the machine's CPU time that was idle, 0 to 1.
    pub(crate) idle_share: f64,
}

impl CpuPerRequest {
    pub(crate) fn between(start: &CpuSample, end: &CpuSample, requests: u64) -> Self {
        let micros_per_tick = 1e6 / ticks_per_second() as f64;
        let per_request = |ticks: u64| ticks as f64 * micros_per_tick / requests.max(1) as f64;
        // A process that exited between the samples used none.
        let parties: [Option<u64>; 3] =
            std::array::from_fn(|i| Some(end.parties[i]?.saturating_sub(start.parties[i]?)));
        let bench = end.bench.saturating_sub(start.bench);
        // A process first seen at the end started during the window: all its time counts.
        let postgres: u64 = end
            .postgres
            .iter()
            .map(|(pid, end)| {
                let start = start.postgres.iter().find(|(p, _)| p == pid);
                end.saturating_sub(start.map_or(0, |(_, ticks)| *ticks))
            })
            .sum();
        let busy = end.machine.busy.saturating_sub(start.machine.busy);
        let idle = end.machine.idle.saturating_sub(start.machine.idle);
        let known = parties.iter().flatten().sum::<u64>() + bench + postgres;
        let [service, rest_translator, soap_translator] = parties.map(|t| t.map(per_request));
        Self {
            bench: per_request(bench),
            service,
            rest_translator,
            soap_translator,
            postgres: per_request(postgres),
            other: per_request(busy.saturating_sub(known)),
            idle_share: if busy + idle == 0 {
                0.0
            } else {
                idle as f64 / (busy + idle) as f64
            },
        }
    }
}

/// Resident memory of a process now (`VmRSS`) and at its peak (`VmHWM`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Memory {
    pub(crate) rss_kib: u64,
    pub(crate) hwm_kib: u64,
}

fn parse_memory(status: &str) -> anyhow::Result<Memory> {
    let field = |name: &str| -> anyhow::Result<u64> {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .with_context(|| format!("no {name} in status"))
    };
    Ok(Memory {
        rss_kib: field("VmRSS:")?,
        hwm_kib: field("VmHWM:")?,
    })
}

/// The memory of process `pid` from `/proc/<pid>/status`.
pub(crate) fn memory(pid: u32) -> anyhow::Result<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("cannot read /proc/{pid}/status"))?;
    parse_memory(&status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_the_command_name() {
        let stat = "4242 (tokio (worker) 1) S 1 4242 4242 0 -1 4194560 1000 0 0 0 \
                    250 75 0 0 20 0 3 0 100 1000 200 18446744073709551615";
        assert_eq!(stat_ticks(stat).unwrap(), 325);
        assert_eq!(stat_parent(stat), Some(1));
    }

    #[test]
    fn machine_busy_excludes_idle_and_iowait() {
        let stat = "cpu  100 5 50 1000 20 3 2 1 0 0\ncpu0 50 2 25 500 10 1 1 0 0 0\n";
        assert_eq!(
            parse_machine(stat).unwrap(),
            MachineTicks {
                busy: 161,
                idle: 1020
            }
        );
    }

    #[test]
    fn memory_comes_from_vmrss_and_vmhwm() {
        let status = "Name:\tsoap\nVmHWM:\t   12288 kB\nVmRSS:\t    8192 kB\n";
        assert_eq!(
            parse_memory(status).unwrap(),
            Memory {
                rss_kib: 8192,
                hwm_kib: 12288
            }
        );
    }

    #[test]
    fn unaccounted_busy_time_is_other() {
        let start = CpuSample {
            parties: [Some(10), None, None],
            bench: 5,
            postgres: vec![(7, 60), (8, 40)],
            machine: MachineTicks {
                busy: 1000,
                idle: 1000,
            },
        };
        let end = CpuSample {
            parties: [Some(30), None, None],
            bench: 15,
            postgres: vec![(7, 90), (8, 70), (9, 5)],
            machine: MachineTicks {
                busy: 1100,
                idle: 1100,
            },
        };
        let cpu = CpuPerRequest::between(&start, &end, 1);
        let tick = 1e6 / ticks_per_second() as f64;
        assert_eq!(cpu.service, Some(20.0 * tick));
        assert_eq!(cpu.rest_translator, None);
        // Backend 9 connected during the window: all of its 5 ticks count.
        assert_eq!(cpu.postgres, 65.0 * tick);
        assert_eq!(cpu.other, 5.0 * tick);
        assert_eq!(cpu.idle_share, 0.5);
    }
}
