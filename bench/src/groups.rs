//! How many `DeleteBatches` calls the service decided per grouped statement during a
//! run, from its `batch_delete_group_requests` histogram read before and after.

use std::net::SocketAddr;

use crate::clients::HttpConnection;

const HISTOGRAM: &str = "batch_delete_group_requests";

/// The histogram's running totals at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct GroupTotals {
    /// Calls decided by grouped statements.
    requests: f64,
    /// Grouped statements run.
    statements: f64,
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
        let value = |suffix: &str| {
            let name = format!("{HISTOGRAM}_{suffix} ");
            exposition
                .lines()
                .find_map(|line| line.strip_prefix(name.as_str()))
                .and_then(|value| value.trim().parse::<f64>().ok())
        };
        Some(Self {
            requests: value("sum")?,
            statements: value("count")?,
        })
    }

    /// Calls per statement between `before` and `after`; `None` when no statement ran
    /// (the baseline, a door that never reached the service).
    pub(crate) fn requests_per_group(before: Option<Self>, after: Option<Self>) -> Option<f64> {
        let (before, after) = (before?, after?);
        let statements = after.statements - before.statements;
        (statements > 0.0).then(|| (after.requests - before.requests) / statements)
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
             batch_delete_group_requests_bucket{le=\"1.0\"} 30\n",
        );
        let after = GroupTotals::parse(
            "batch_delete_group_requests_sum 1100.0\nbatch_delete_group_requests_count 140\n",
        );
        assert_eq!(GroupTotals::requests_per_group(before, after), Some(10.0));
        assert_eq!(GroupTotals::requests_per_group(after, after), None);
        assert_eq!(GroupTotals::parse("other_metric_sum 1\n"), None);
    }
}
