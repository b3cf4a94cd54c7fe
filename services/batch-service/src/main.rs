//! The `batch-service` binary: serve gRPC, migrate, seed a development database, or
//! provision tenants and credentials.

#![expect(
    unused_crate_dependencies,
    reason = "a binary sees every dependency of its package; the library is where unused ones are caught"
)]

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use batch_service::config::{AdminCommand, Cli, Command, SecretKind, ServeArgs};
use batch_service::domain::SecretHash;
use batch_service::grpc::{Authenticator, BatchApi, ServerOptions, serve};
use batch_service::storage::admin::{self, CredentialKind};
use batch_service::storage::{AsyncPgConnection, TenantId, build_pool, migrations, seed};
use clap::Parser as _;
use diesel_async::AsyncConnection as _;
use lifecycle::{MetricsEndpoint, shutdown_signal};
use telemetry::{LogFormat, TelemetryArgs};

// The same allocator as the translators'; see docs/stack.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let telemetry_args = match &cli.command {
        Some(Command::Serve(args)) => args.telemetry.clone(),
        None => cli.serve.telemetry.clone(),
        Some(_) => TelemetryArgs {
            log_format: LogFormat::Text,
            otlp_endpoint: None,
            otel_service_name: None,
        },
    };
    let telemetry = telemetry::init(&telemetry_args, "batch-service");
    let code = match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            ExitCode::FAILURE
        }
    };
    telemetry.shutdown().await;
    code
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => run_server(cli.serve).await,
        Some(Command::Serve(args)) => run_server(*args).await,
        Some(Command::Migrate(db)) => {
            let applied = migrations::run_pending(&db.database_url).await?;
            tracing::info!(migrations = ?applied, "applied {} migrations", applied.len());
            Ok(())
        }
        Some(Command::MigrateRevertAll(db)) => {
            let reverted = migrations::revert_all(&db.database_url).await?;
            tracing::info!(migrations = ?reverted, "reverted {} migrations", reverted.len());
            Ok(())
        }
        Some(Command::SeedDev(db)) => {
            let created = seed::apply(&mut connect(&db.database_url).await?).await?;
            tracing::info!(batch.ids = ?created, "development seed applied");
            Ok(())
        }
        Some(Command::Admin(command)) => run_admin(command).await,
    }
}

async fn run_server(args: ServeArgs) -> anyhow::Result<()> {
    let database_url = args
        .database_url
        .clone()
        .context("DATABASE_URL (or --database-url) is required to serve")?;
    let settings = args.pool_settings();
    let pool = build_pool(&database_url, settings);
    batch_service::metrics::watch_pool(pool.clone(), settings.max_size);
    let metrics = MetricsEndpoint::start(args.metrics_listen_addr);
    let auth = Arc::new(Authenticator::new(
        pool.clone(),
        Duration::from_millis(args.auth_cache_ttl_ms),
    ));
    let (background_stop, background_stopped) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let deliveries = tokio::spawn(batch_service::webhooks::run(
        pool.clone(),
        args.webhooks.settings(),
        stopped(background_stopped.clone()),
    ));
    let purge = tokio::spawn(batch_service::webhooks::purge_expired(
        pool.clone(),
        Duration::from_secs(args.result_purge_interval_seconds.max(1)),
        stopped(background_stopped),
    ));
    let api = BatchApi::new(pool, auth, args.limits());
    let listener = tokio::net::TcpListener::bind(args.grpc_listen_addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.grpc_listen_addr))?;
    tracing::info!(address = %args.grpc_listen_addr, "serving batch.v1.BatchService");
    let options = ServerOptions {
        shutdown_grace: Duration::from_secs(args.shutdown_grace_seconds),
    };
    let served = serve(listener, api, options, shutdown_signal()).await;
    // Deliveries in flight finish (each bounded by the webhook timeout).
    let _ = background_stop.send(true);
    let _ = tokio::join!(deliveries, purge);
    metrics.stop().await;
    served?;
    tracing::info!("stopped");
    Ok(())
}

async fn connect(url: &str) -> anyhow::Result<AsyncPgConnection> {
    AsyncPgConnection::establish(url)
        .await
        .context("cannot connect to PostgreSQL")
}

async fn tenant_named(conn: &mut AsyncPgConnection, name: &str) -> anyhow::Result<TenantId> {
    admin::find_tenant(conn, name)
        .await?
        .with_context(|| format!("no tenant named {name:?}"))
}

/// Admin commands print results on stdout (new secrets exactly once) and log nothing
/// secret.
async fn run_admin(command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::CreateTenant { db, name } => {
            anyhow::ensure!(!name.trim().is_empty(), "the tenant name must not be empty");
            let tenant = admin::ensure_tenant(&mut connect(&db.database_url).await?, &name).await?;
            println!("tenant {name} has id {}", tenant.0);
        }
        AdminCommand::IssueCredential {
            db,
            tenant,
            kind,
            label,
        } => {
            let mut conn = connect(&db.database_url).await?;
            let tenant = tenant_named(&mut conn, &tenant).await?;
            let (kind, prefix) = match kind {
                SecretKind::ApiKey => (CredentialKind::ApiKey, "sk_"),
                SecretKind::Ticket => (CredentialKind::Ticket, "7T:"),
            };
            let secret = SecretHash::generate_secret(prefix);
            let id =
                admin::add_credential(&mut conn, tenant, kind, &label, &SecretHash::of(&secret))
                    .await?;
            println!("credential {id}: {secret}");
            println!("(shown once: it is stored only as a hash)");
        }
        AdminCommand::RevokeCredential { db, id } => {
            let revoked =
                admin::revoke_credential(&mut connect(&db.database_url).await?, id).await?;
            anyhow::ensure!(revoked, "no live credential with id {id}");
            println!("credential {id} revoked");
        }
        AdminCommand::RegisterApplicationToken {
            db,
            tenant,
            application,
        } => {
            let mut conn = connect(&db.database_url).await?;
            let tenant = tenant_named(&mut conn, &tenant).await?;
            let token = SecretHash::generate_secret("at_");
            let id = admin::add_application_token(
                &mut conn,
                tenant,
                &application,
                &SecretHash::of(&token),
            )
            .await?;
            println!("application token {id}: {token}");
            println!("(shown once: it is stored only as a hash)");
        }
        AdminCommand::RevokeApplicationToken { db, id } => {
            let revoked =
                admin::revoke_application_token(&mut connect(&db.database_url).await?, id).await?;
            anyhow::ensure!(revoked, "no live application token with id {id}");
            println!("application token {id} revoked");
        }
    }
    Ok(())
}
