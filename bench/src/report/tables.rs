//! The detail tables under the targets: every round, the medians with the CPU per
//! request of every process, latency, both sweeps, and every single load run.

use std::fmt::{self, Write as _};

use super::format::{micros, millis, or_dash, rate, ratio, thousands};
use super::targets::cost_per_delete;
use crate::clients::Route;
use crate::cpu::CpuPerRequest;
use crate::results::{Results, RunRow, SweepPoint};

/// The routes of a round that ran at least once.
fn routes_run(results: &Results) -> Vec<Route> {
    Route::ROUND_ORDER
        .into_iter()
        .filter(|route| results.rounds.iter().any(|r| r.run.route == *route))
        .collect()
}

/// Rate of each route in each round, with its ratio to that round's baseline.
pub(crate) fn rounds(out: &mut String, results: &Results) -> fmt::Result {
    let routes = routes_run(results);
    if routes.is_empty() {
        return Ok(());
    }
    writeln!(out, "## Throughput by round\n")?;
    writeln!(
        out,
        "Deletes per second in the measured window; in brackets the ratio to the baseline \
         of the same round. The figures above are the medians of each column.\n"
    )?;
    let names: Vec<&str> = routes.iter().map(|r| r.name()).collect();
    writeln!(out, "| round | {} |", names.join(" | "))?;
    writeln!(out, "|---|{}", "--:|".repeat(routes.len()))?;
    let baselines = results.rates(Route::Sql);
    let rates: Vec<(Route, Vec<Option<f64>>)> = routes
        .iter()
        .map(|route| (*route, results.rates(*route)))
        .collect();
    for (round, baseline) in baselines.iter().enumerate() {
        let cells: Vec<String> = rates
            .iter()
            .map(|(route, rates)| match (rates[round], baseline, route) {
                (None, _, _) => "failed".to_owned(),
                (Some(r), _, Route::Sql) | (Some(r), None, _) => rate(r),
                (Some(r), Some(b), _) => {
                    format!("{} ({})", rate(r), ratio(r / b.max(f64::EPSILON)))
                }
            })
            .collect();
        writeln!(out, "| {} | {} |", round + 1, cells.join(" | "))?;
    }
    writeln!(out)
}

/// The CPU cells of a run: load generator, batch-service, REST and SOAP translators,
/// PostgreSQL, other, total, idle.
fn cpu_cells(cpu: Option<&CpuPerRequest>) -> String {
    let Some(c) = cpu else {
        return ["—"; 8].join(" | ");
    };
    let total = c.bench
        + c.service.unwrap_or_default()
        + c.rest_translator.unwrap_or_default()
        + c.soap_translator.unwrap_or_default()
        + c.postgres
        + c.other;
    [
        micros(c.bench),
        or_dash(c.service, micros),
        or_dash(c.rest_translator, micros),
        or_dash(c.soap_translator, micros),
        micros(c.postgres),
        micros(c.other),
        micros(total),
        format!("{:.0} %", c.idle_share * 100.0),
    ]
    .join(" | ")
}

const CPU_HEADER: &str = "load generator | batch-service | REST translator | SOAP translator | PostgreSQL | other | total | idle";
const CPU_ALIGN: &str = "--:|--:|--:|--:|--:|--:|--:|--:|";

/// The medians of each route over the rounds, with the CPU per request of every process.
pub(crate) fn medians(out: &mut String, results: &Results) -> fmt::Result {
    let routes = routes_run(results);
    if routes.is_empty() {
        return Ok(());
    }
    writeln!(out, "## Where the CPU goes (medians over rounds)\n")?;
    writeln!(
        out,
        "CPU time per successful delete in the measured window, from `/proc/<pid>/stat`, \
         for every process: PostgreSQL = the whole server summed (postmaster, every \
         backend, also those that connected during the window, and the background \
         processes); other = the rest of the machine's busy time \
         (other users of a shared machine, kernel work); idle = the share of the machine's \
         CPU left idle. A translator that is not on the route should show about 0.\n"
    )?;
    writeln!(out, "| route | rate | ratio | p50 | p99 | {CPU_HEADER} |")?;
    writeln!(out, "|---|--:|--:|--:|--:|{CPU_ALIGN}")?;
    for route in routes {
        let latency = results.median_latency(route);
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            route.name(),
            or_dash(results.median_rate(route), rate),
            if route == Route::Sql {
                "1.00×".to_owned()
            } else {
                or_dash(results.median_ratio(route), ratio)
            },
            or_dash(latency.map(|l| l.p50), millis),
            or_dash(latency.map(|l| l.p99), millis),
            cpu_cells(results.median_cpu(route).as_ref())
        )?;
    }
    writeln!(out)
}

/// The open-loop runs.
pub(crate) fn latency(out: &mut String, results: &Results) -> fmt::Result {
    if results.latency.is_empty() {
        return Ok(());
    }
    writeln!(out, "## Latency at half of peak (open loop)\n")?;
    writeln!(
        out,
        "Each route at half of its median peak rate, on a timetable fixed in advance; \
         latency counted from when each request was due, not from when it was sent, so a \
         stall also delays (and counts against) every request queued behind it.\n"
    )?;
    writeln!(
        out,
        "| route | scheduled | achieved | p50 | p99 | max | errors | not sent |"
    )?;
    writeln!(out, "|---|--:|--:|--:|--:|--:|--:|--:|")?;
    for l in &results.latency {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            l.run.route.name(),
            rate(l.target_rate),
            rate(l.run.rate),
            millis(l.run.latency.p50),
            millis(l.run.latency.p99),
            millis(l.run.latency.max),
            thousands(l.run.errors),
            thousands(l.not_sent)
        )?;
    }
    writeln!(out)
}

/// One sweep: each point's baseline and gRPC side by side.
fn sweep(out: &mut String, points: &[SweepPoint], by_clients: bool) -> fmt::Result {
    let key = if by_clients {
        "clients"
    } else {
        "table (at least)"
    };
    writeln!(
        out,
        "| {key} | batches at start (baseline / gRPC) | baseline rate | baseline PostgreSQL | \
         gRPC rate | ratio | gRPC p99 | gRPC batch-service | gRPC PostgreSQL | \
         gRPC service + PostgreSQL |"
    )?;
    writeln!(out, "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")?;
    let mut keys: Vec<(usize, i64)> = points
        .iter()
        .map(|p| (p.run.clients, p.nominal_table))
        .collect();
    keys.dedup();
    for (clients, table) in keys {
        let find = |route: Route| {
            points.iter().find(|p| {
                p.run.route == route && p.run.clients == clients && p.nominal_table == table
            })
        };
        let (sql, grpc) = (find(Route::Sql), find(Route::Grpc));
        let cpu = |p: Option<&SweepPoint>| p.and_then(|p| p.run.cpu.clone());
        let at_start =
            |p: Option<&SweepPoint>| or_dash(p, |p| thousands(p.run.table_batches.max(0) as u64));
        let point = if by_clients {
            clients.to_string()
        } else {
            thousands(table as u64)
        };
        writeln!(
            out,
            "| {point} | {} / {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            at_start(sql),
            at_start(grpc),
            or_dash(sql.map(|p| p.run.rate), rate),
            or_dash(cpu(sql).map(|c| c.postgres), micros),
            or_dash(grpc.map(|p| p.run.rate), rate),
            or_dash(
                sql.zip(grpc)
                    .map(|(s, g)| g.run.rate / s.run.rate.max(f64::EPSILON)),
                ratio
            ),
            or_dash(grpc.map(|p| p.run.latency.p99), millis),
            or_dash(cpu(grpc).and_then(|c| c.service), micros),
            or_dash(cpu(grpc).map(|c| c.postgres), micros),
            or_dash(grpc.and_then(cost_per_delete), micros),
        )?;
    }
    writeln!(out)
}

/// Both sweeps, each when it ran.
pub(crate) fn sweeps(out: &mut String, results: &Results, clients: usize) -> fmt::Result {
    if !results.concurrency_sweep.is_empty() {
        writeln!(out, "## Concurrency sweep\n")?;
        writeln!(
            out,
            "The main table; baseline then gRPC at each number of clients (closed loop). \
             CPU columns are µs per delete.\n"
        )?;
        sweep(out, &results.concurrency_sweep, true)?;
    }
    if !results.table_size_sweep.is_empty() {
        writeln!(out, "## Table-size sweep\n")?;
        writeln!(
            out,
            "The smallest table seeded anew, each larger one grown from it at its high end \
             (at least that many batches while a run deletes from it); baseline \
             then gRPC at {clients} clients. CPU columns are µs per delete.\n"
        )?;
        sweep(out, &results.table_size_sweep, false)?;
    }
    Ok(())
}

/// Every load run, in the order it ran.
pub(crate) fn all_runs(out: &mut String, results: &Results) -> fmt::Result {
    let mut runs: Vec<(String, &RunRow)> = Vec::new();
    runs.extend(
        results
            .rounds
            .iter()
            .map(|r| (format!("round {}", r.round + 1), &r.run)),
    );
    runs.extend(
        results
            .latency
            .iter()
            .map(|l| ("latency (open loop)".to_owned(), &l.run)),
    );
    runs.extend(
        results
            .concurrency_sweep
            .iter()
            .map(|p| ("concurrency sweep".to_owned(), &p.run)),
    );
    runs.extend(
        results
            .table_size_sweep
            .iter()
            .map(|p| ("table-size sweep".to_owned(), &p.run)),
    );
    if runs.is_empty() {
        return Ok(());
    }
    writeln!(out, "## Every load run\n")?;
    writeln!(
        out,
        "| run | route | clients | table | deletes | errors | rate | p50 | p99 | per statement: calls · time · in flight · over 3.2 ms | {CPU_HEADER} |"
    )?;
    writeln!(out, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|{CPU_ALIGN}")?;
    for (what, run) in runs {
        writeln!(
            out,
            "| {what} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            run.route.name(),
            run.clients,
            thousands(run.table_batches.max(0) as u64),
            thousands(run.ok),
            thousands(run.errors),
            rate(run.rate),
            millis(run.latency.p50),
            millis(run.latency.p99),
            run.grouping.map_or_else(
                || "—".to_owned(),
                |g| format!(
                    "{:.1} · {} · {:.1} · {:.1}%",
                    g.calls_per_statement,
                    millis(g.statement_time),
                    g.in_flight,
                    g.slow_share * 100.0
                )
            ),
            cpu_cells(run.cpu.as_ref())
        )?;
    }
    writeln!(out)
}
