//! How the service grouped `DeleteBatches` calls during a run: calls per statement,
//! statement time and statements in flight, from its `batch_delete_group_requests` and
//! `batch_delete_group_seconds` histograms read before and after.

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
}

/// The grouping between two readings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Grouping {
    pub(crate) calls_per_statement: f64,
    /// Mean time of one statement.
    pub(crate) statement_time: Duration,
    /// Statements running at once, on average over the window.
    pub(crate) in_flight: f64,
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
        Some(Self {
            requests: value("batch_delete_group_requests_sum")?,
            statements: value("batch_delete_group_requests_count")?,
            seconds: value("batch_delete_group_seconds_sum")?,
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
             batch_delete_group_seconds_count 40\n",
        );
        let after = GroupTotals::parse(
            "batch_delete_group_requests_sum 1100.0\nbatch_delete_group_requests_count 140\n\
             batch_delete_group_seconds_sum 0.7\n",
        );
        let window = Duration::from_millis(100);
        let grouping = GroupTotals::between(before, after, window).unwrap();
        assert_eq!(grouping.calls_per_statement, 10.0);
        assert_eq!(grouping.statement_time.as_micros(), 2_000);
        assert!((grouping.in_flight - 2.0).abs() < 1e-9);
        assert_eq!(GroupTotals::between(after, after, window), None);
        assert_eq!(GroupTotals::parse("other_metric_sum 1\n"), None);
    }
}
