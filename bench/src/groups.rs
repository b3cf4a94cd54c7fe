//! How the service grouped `DeleteBatches` calls during a run: calls per statement,
//! statement time, statements in flight and the share of slow statements, from its
//! `batch_delete_group_requests` and `batch_delete_group_seconds` histograms read
//! before and after.

use std::net::SocketAddr;
use std::time::Duration;

use crate::clients::HttpConnection;

/// The histograms' running totals at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct GroupTotals {
    /// Calls decided by grouped statements.
    requests: f64,
    /// Grouped statements run.
    statements: f64,
    /// Their time from start to answers, summed.
    seconds: f64,
    /// Those that took longer than [`SLOW_STATEMENT`].
    slow: f64,
}

/// A statement this long leaves no room for the contract's p99 of 3 ms: the upper bound
/// of the service's statement-time bucket just above 3 ms.
pub(crate) const SLOW_STATEMENT: Duration = Duration::from_micros(3_200);

/// The grouping between two readings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Grouping {
    pub(crate) calls_per_statement: f64,
    /// Mean time of one statement.
    pub(crate) statement_time: Duration,
    /// Statements running at once, on average over the window.
    pub(crate) in_flight: f64,
    /// The share of statements longer than [`SLOW_STATEMENT`], from 0 to 1.
    pub(crate) slow_share: f64,
}

impl GroupTotals {
    /// Reads the totals from the metrics endpoint at `metrics`; `None` when it cannot
    /// (the run's other figures do not depend on it).
    pub(crate) async fn read(metrics: SocketAddr) -> Option<Self> {
        let mut connection = HttpConnection::open(metrics).await.ok()?;
        let body = connection.get("/metrics").await.ok()?;
        Self::parse(std::str::from_utf8(&body).ok()?)
    }

    fn parse(exposition: &str) -> Option<Self> {
        let value = |metric: &str| {
            let name = format!("{metric} ");
            exposition
                .lines()
                .find_map(|line| line.strip_prefix(name.as_str()))
                .and_then(|value| value.trim().parse::<f64>().ok())
        };
        // The cumulative count of the bucket whose bound is SLOW_STATEMENT (the bound
        // is printed as a float, so it is matched with a tolerance).
        let slow_bound = SLOW_STATEMENT.as_secs_f64();
        let within_slow_bound = exposition.lines().find_map(|line| {
            let rest = line.strip_prefix("batch_delete_group_seconds_bucket{le=\"")?;
            let (bound, count) = rest.split_once("\"} ")?;
            let bound: f64 = bound.parse().ok()?;
            ((bound - slow_bound).abs() < slow_bound * 1e-6)
                .then(|| count.trim().parse::<f64>().ok())
                .flatten()
        })?;
        let timed = value("batch_delete_group_seconds_count")?;
        Some(Self {
            requests: value("batch_delete_group_requests_sum")?,
            statements: value("batch_delete_group_requests_count")?,
            seconds: value("batch_delete_group_seconds_sum")?,
            slow: timed - within_slow_bound,
        })
    }

    /// The grouping between `before` and `after`, `window` apart; `None` when no
    /// statement ran (the baseline, a door that never reached the service).
    pub(crate) fn between(
        before: Option<Self>,
        after: Option<Self>,
        window: Duration,
    ) -> Option<Grouping> {
        let (before, after) = (before?, after?);
        let statements = after.statements - before.statements;
        let seconds = after.seconds - before.seconds;
        (statements > 0.0 && !window.is_zero()).then(|| Grouping {
            calls_per_statement: (after.requests - before.requests) / statements,
            statement_time: Duration::from_secs_f64(seconds / statements),
            in_flight: seconds / window.as_secs_f64(),
            slow_share: (after.slow - before.slow) / statements,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_are_read_from_the_exposition_and_differenced() {
        let before = GroupTotals::parse(
            "# TYPE batch_delete_group_requests histogram\n\
             batch_delete_group_requests_sum 100.0\n\
             batch_delete_group_requests_count 40\n\
             batch_delete_group_requests_bucket{le=\"1.0\"} 30\n\
             batch_delete_group_seconds_sum 0.5\n\
             batch_delete_group_seconds_count 40\n\
             batch_delete_group_seconds_bucket{le=\"0.0016\"} 30\n\
             batch_delete_group_seconds_bucket{le=\"0.0032000000000000006\"} 38\n",
        );
        let after = GroupTotals::parse(
            "batch_delete_group_requests_sum 1100.0\nbatch_delete_group_requests_count 140\n\
             batch_delete_group_seconds_sum 0.7\nbatch_delete_group_seconds_count 140\n\
             batch_delete_group_seconds_bucket{le=\"0.0032\"} 133\n",
        );
        let window = Duration::from_millis(100);
        let grouping = GroupTotals::between(before, after, window).unwrap();
        assert_eq!(grouping.calls_per_statement, 10.0);
        assert_eq!(grouping.statement_time.as_micros(), 2_000);
        assert!((grouping.in_flight - 2.0).abs() < 1e-9);
        // 2 slow of 40 before, 7 of 140 after: 5 of the 100 statements in between.
        assert!((grouping.slow_share - 0.05).abs() < 1e-9);
        assert_eq!(GroupTotals::between(after, after, window), None);
        assert_eq!(GroupTotals::parse("other_metric_sum 1\n"), None);
    }
}
