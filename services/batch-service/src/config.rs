//! Command line and environment. Every flag has an environment variable, so the same
//! binary is configured by flags locally and by `env:` in Kubernetes.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::grpc::{DEFAULT_MAX_DELETE_IDS, DEFAULT_RESULT_RETENTION_DAYS, Limits};
use crate::storage::PoolSettings;
use crate::storage::grouping::{
    DEFAULT_GROUP_MAX_REQUESTS, DEFAULT_GROUPS_IN_FLIGHT, DEFAULT_MIN_REQUESTS_TO_OVERLAP,
    GroupingSettings,
};
use crate::webhooks::guard::AllowList;
use crate::webhooks::{self, WebhookSettings};

const DEFAULT_GRPC_LISTEN_ADDR: &str = "0.0.0.0:50051";
const DEFAULT_METRICS_LISTEN_ADDR: &str = "0.0.0.0:9090";
const DEFAULT_POOL_SIZE: u32 = 16;
const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 2_000;
const DEFAULT_ACQUIRE_TIMEOUT_MS: u64 = 2_000;
const DEFAULT_STATEMENT_TIMEOUT_MS: u64 = 5_000;
const DEFAULT_AUTH_CACHE_TTL_MS: u64 = 5_000;
const DEFAULT_SHUTDOWN_GRACE_SECONDS: u64 = 20;
const DEFAULT_PURGE_INTERVAL_SECONDS: u64 = 600;

/// The batch service: gRPC batch.v1.BatchService over PostgreSQL.
#[derive(Debug, Parser)]
#[command(version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Serving options, used when no subcommand is given.
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve gRPC (the default). Boxed: it is much larger than the other commands.
    Serve(Box<ServeArgs>),
    /// Apply pending database migrations, then exit. Safe to run concurrently.
    Migrate(DatabaseArgs),
    /// Revert every migration (drops all batch data), then exit.
    MigrateRevertAll(DatabaseArgs),
    /// Create the development tenant, its documented demo credentials and sample
    /// batches. For local stacks only; repeatable.
    SeedDev(DatabaseArgs),
    /// Provision tenants and credentials.
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a tenant (or find the existing one of that name); prints its id.
    CreateTenant {
        #[command(flatten)]
        db: DatabaseArgs,
        /// The tenant's unique name.
        name: String,
    },
    /// Issue a new API key or ticket for a tenant; prints the secret once.
    IssueCredential {
        #[command(flatten)]
        db: DatabaseArgs,
        /// Tenant name.
        #[arg(long)]
        tenant: String,
        /// What the secret is used as.
        #[arg(long, value_enum, default_value = "api-key")]
        kind: SecretKind,
        /// A note on who holds it.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Revoke a credential by its id.
    RevokeCredential {
        #[command(flatten)]
        db: DatabaseArgs,
        id: i64,
    },
    /// Register a SuperOffice application token for a tenant; prints the token once.
    RegisterApplicationToken {
        #[command(flatten)]
        db: DatabaseArgs,
        #[arg(long)]
        tenant: String,
        /// The application's name.
        #[arg(long)]
        application: String,
    },
    /// Revoke an application token by its id.
    RevokeApplicationToken {
        #[command(flatten)]
        db: DatabaseArgs,
        id: i64,
    },
}

/// Kinds of bearer secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SecretKind {
    /// A REST `api_key`.
    ApiKey,
    /// A SOAP `Credentials/Ticket`.
    Ticket,
}

#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// PostgreSQL URL, e.g. postgres://user:password@host:5432/batches. Never logged.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: String,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// PostgreSQL URL. Never logged.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Address the gRPC server listens on.
    #[arg(long, env = "GRPC_LISTEN_ADDR", default_value = DEFAULT_GRPC_LISTEN_ADDR)]
    pub grpc_listen_addr: SocketAddr,
    /// Most database connections this process opens.
    #[arg(long, env = "DB_POOL_SIZE", default_value_t = DEFAULT_POOL_SIZE)]
    pub db_pool_size: u32,
    /// Time to open one database connection, in milliseconds.
    #[arg(long, env = "DB_CONNECT_TIMEOUT_MS", default_value_t = DEFAULT_CONNECT_TIMEOUT_MS)]
    pub db_connect_timeout_ms: u64,
    /// Time a request waits for a free database connection, in milliseconds.
    #[arg(long, env = "DB_ACQUIRE_TIMEOUT_MS", default_value_t = DEFAULT_ACQUIRE_TIMEOUT_MS)]
    pub db_acquire_timeout_ms: u64,
    /// PostgreSQL statement_timeout for every statement, in milliseconds.
    #[arg(long, env = "DB_STATEMENT_TIMEOUT_MS", default_value_t = DEFAULT_STATEMENT_TIMEOUT_MS)]
    pub db_statement_timeout_ms: u64,
    /// Most ids one DeleteBatches call may name.
    #[arg(long, env = "DELETE_MAX_IDS", default_value_t = DEFAULT_MAX_DELETE_IDS)]
    pub delete_max_ids: usize,
    /// Most DeleteBatches calls grouped into one statement (1 turns grouping off).
    #[arg(long, env = "DELETE_GROUP_MAX_REQUESTS", default_value_t = DEFAULT_GROUP_MAX_REQUESTS)]
    pub delete_group_max_requests: usize,
    /// Most grouped delete statements running at once (each holds a connection).
    #[arg(long, env = "DELETE_GROUPS_IN_FLIGHT", default_value_t = DEFAULT_GROUPS_IN_FLIGHT)]
    pub delete_groups_in_flight: usize,
    /// While a grouped delete runs, another starts only once this many calls wait.
    #[arg(long, env = "DELETE_GROUP_MIN_TO_OVERLAP", default_value_t = DEFAULT_MIN_REQUESTS_TO_OVERLAP)]
    pub delete_group_min_to_overlap: usize,
    /// How long a resolved credential is trusted without asking the database again,
    /// in milliseconds (so also how long a revoked one keeps working). 0 disables.
    #[arg(long, env = "AUTH_CACHE_TTL_MS", default_value_t = DEFAULT_AUTH_CACHE_TTL_MS)]
    pub auth_cache_ttl_ms: u64,
    /// Seconds in-flight calls may take to finish after SIGTERM.
    #[arg(long, env = "SHUTDOWN_GRACE_SECONDS", default_value_t = DEFAULT_SHUTDOWN_GRACE_SECONDS)]
    pub shutdown_grace_seconds: u64,
    /// Address of the Prometheus `/metrics` endpoint.
    #[arg(long, env = "METRICS_LISTEN_ADDR", default_value = DEFAULT_METRICS_LISTEN_ADDR)]
    pub metrics_listen_addr: SocketAddr,
    /// Days a finished run's result set is kept (SerpWow keeps them 14).
    #[arg(long, env = "RESULT_RETENTION_DAYS", default_value_t = DEFAULT_RESULT_RETENTION_DAYS)]
    pub result_retention_days: u32,
    /// Seconds between purges of expired result sets.
    #[arg(long, env = "RESULT_PURGE_INTERVAL_SECONDS", default_value_t = DEFAULT_PURGE_INTERVAL_SECONDS)]
    pub result_purge_interval_seconds: u64,
    #[command(flatten)]
    pub webhooks: WebhookArgs,
    #[command(flatten)]
    pub telemetry: telemetry::TelemetryArgs,
}

/// Completion webhooks.
#[derive(Debug, Clone, Args)]
pub struct WebhookArgs {
    /// The REST door's public base URL: the webhook's download links start with it.
    #[arg(long, env = "PUBLIC_REST_URL", default_value = webhooks::DEFAULT_PUBLIC_REST_URL)]
    pub public_rest_url: String,
    /// Hosts or IP addresses that webhooks may reach although they are loopback,
    /// link-local or private (comma-separated). Everything else must be public.
    #[arg(long, env = "WEBHOOK_ALLOW_HOSTS", value_delimiter = ',')]
    pub webhook_allow_hosts: Vec<String>,
    /// Milliseconds a receiver has to answer one POST.
    #[arg(long, env = "WEBHOOK_TIMEOUT_MS", default_value_t = webhooks::DEFAULT_TIMEOUT_MS)]
    pub webhook_timeout_ms: u64,
    /// Attempts before a webhook is marked failed.
    #[arg(long, env = "WEBHOOK_MAX_ATTEMPTS", default_value_t = webhooks::DEFAULT_MAX_ATTEMPTS)]
    pub webhook_max_attempts: i32,
    /// Milliseconds before the first retry; doubled for each later one.
    #[arg(long, env = "WEBHOOK_BACKOFF_MS", default_value_t = webhooks::DEFAULT_BACKOFF_MS)]
    pub webhook_backoff_ms: u64,
    /// Most webhook POSTs in flight at once.
    #[arg(long, env = "WEBHOOK_CONCURRENCY", default_value_t = webhooks::DEFAULT_CONCURRENCY)]
    pub webhook_concurrency: usize,
    /// Milliseconds between looks at the delivery queue.
    #[arg(long, env = "WEBHOOK_POLL_MS", default_value_t = webhooks::DEFAULT_POLL_MS)]
    pub webhook_poll_ms: u64,
}

impl WebhookArgs {
    pub fn settings(&self) -> WebhookSettings {
        WebhookSettings {
            public_rest_url: self.public_rest_url.clone(),
            allow: AllowList::new(self.webhook_allow_hosts.iter().cloned()),
            timeout: Duration::from_millis(self.webhook_timeout_ms),
            max_attempts: self.webhook_max_attempts.max(1),
            backoff: Duration::from_millis(self.webhook_backoff_ms),
            concurrency: self.webhook_concurrency.max(1),
            poll_interval: Duration::from_millis(self.webhook_poll_ms.max(10)),
        }
    }
}

impl ServeArgs {
    pub fn limits(&self) -> Limits {
        Limits {
            max_delete_ids: self.delete_max_ids,
            delete_grouping: GroupingSettings {
                max_requests: self.delete_group_max_requests,
                max_ids: self.delete_max_ids,
                max_in_flight: self.delete_groups_in_flight,
                min_requests_to_overlap: self.delete_group_min_to_overlap,
            },
            result_retention: chrono::Duration::days(i64::from(self.result_retention_days)),
        }
    }

    pub fn pool_settings(&self) -> PoolSettings {
        PoolSettings {
            max_size: self.db_pool_size.max(1),
            connect_timeout: Duration::from_millis(self.db_connect_timeout_ms),
            acquire_timeout: Duration::from_millis(self.db_acquire_timeout_ms),
            statement_timeout: Duration::from_millis(self.db_statement_timeout_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    #[test]
    fn cli_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
