//! The service's own metrics, next to the shared RPC families of the `telemetry` crate:
//! deletes by outcome and door, and the database pool's use.

use std::sync::LazyLock;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};

use crate::storage::PgPool;

/// How a `DeleteBatches` call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteOutcome {
    Deleted,
    Running,
    Missing,
    /// Refused: a result set's webhook failed and `force` was not given.
    WebhookFailed,
    Invalid,
    Failed,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeleteLabels {
    door: &'static str,
    outcome: &'static str,
}

struct ServiceMetrics {
    deletes: Family<DeleteLabels, Counter>,
    deleted_batches: Counter,
    delete_group_requests: Histogram,
    delete_group_seconds: Histogram,
    pool_connections: Gauge,
    pool_idle: Gauge,
    pool_max: Gauge,
}

static METRICS: LazyLock<ServiceMetrics> = LazyLock::new(|| {
    let m = ServiceMetrics {
        deletes: Family::default(),
        deleted_batches: Counter::default(),
        delete_group_requests: Histogram::new(exponential_buckets(1.0, 2.0, 8)),
        // 100 µs to about 0.8 s.
        delete_group_seconds: Histogram::new(exponential_buckets(0.000_1, 2.0, 14)),
        pool_connections: Gauge::default(),
        pool_idle: Gauge::default(),
        pool_max: Gauge::default(),
    };
    telemetry::metrics::register(
        "batch_delete_requests",
        "DeleteBatches calls by door and outcome",
        m.deletes.clone(),
    );
    telemetry::metrics::register(
        "batch_deleted_batches",
        "Batches deleted",
        m.deleted_batches.clone(),
    );
    telemetry::metrics::register(
        "batch_delete_group_requests",
        "DeleteBatches calls decided by one grouped statement",
        m.delete_group_requests.clone(),
    );
    telemetry::metrics::register(
        "batch_delete_group_seconds",
        "Time from a grouped delete statement's start to its answers, connection wait included",
        m.delete_group_seconds.clone(),
    );
    telemetry::metrics::register(
        "db_pool_connections",
        "Open database connections",
        m.pool_connections.clone(),
    );
    telemetry::metrics::register(
        "db_pool_idle_connections",
        "Open database connections not in use",
        m.pool_idle.clone(),
    );
    telemetry::metrics::register(
        "db_pool_max_connections",
        "Most database connections the pool opens",
        m.pool_max.clone(),
    );
    m
});

/// Counts one `DeleteBatches` call (and, when it succeeded, the batches it deleted).
pub fn record_delete(door: &'static str, outcome: DeleteOutcome, deleted: usize) {
    let outcome = match outcome {
        DeleteOutcome::Deleted => "deleted",
        DeleteOutcome::Running => "running",
        DeleteOutcome::Missing => "missing",
        DeleteOutcome::WebhookFailed => "webhook_failed",
        DeleteOutcome::Invalid => "invalid",
        DeleteOutcome::Failed => "failed",
    };
    METRICS
        .deletes
        .get_or_create(&DeleteLabels { door, outcome })
        .inc();
    METRICS.deleted_batches.inc_by(deleted as u64);
}

/// Counts one grouped delete statement, the requests it decided and how long it took.
pub fn record_delete_group(requests: usize, took: Duration) {
    METRICS.delete_group_requests.observe(requests as f64);
    METRICS.delete_group_seconds.observe(took.as_secs_f64());
}

/// Keeps the pool gauges current, once a second, for as long as the process runs.
pub fn watch_pool(pool: PgPool, max_size: u32) {
    METRICS.pool_max.set(i64::from(max_size));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            let state = pool.state();
            METRICS.pool_connections.set(i64::from(state.connections));
            METRICS.pool_idle.set(i64::from(state.idle_connections));
        }
    });
}
