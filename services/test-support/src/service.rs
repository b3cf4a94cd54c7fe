//! `batch-service` running in the test process on a real TCP socket.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use batch_proto::v1::batch_service_client::BatchServiceClient;
use batch_service::domain::SecretHash;
use batch_service::grpc::{Authenticator, BatchApi, Limits, ServerOptions, serve};
use batch_service::storage::admin::{self, CredentialKind};
use batch_service::storage::{PoolSettings, build_pool};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;

use crate::TestDatabase;

/// Secrets of a tenant made for a test.
#[derive(Debug, Clone)]
pub struct TenantCredentials {
    pub api_key: String,
    pub ticket: String,
    pub application_token: String,
}

/// Knobs a test may turn.
#[derive(Debug, Clone)]
pub struct TestServiceOptions {
    pub limits: Limits,
    pub pool: PoolSettings,
    /// Serve against this URL instead of the test database (e.g. an unreachable one).
    pub database_url_override: Option<String>,
    pub auth_cache_ttl: Duration,
    pub shutdown_grace: Duration,
    /// Run the webhook delivery task with these settings (tests allow-list 127.0.0.1).
    pub webhooks: Option<batch_service::webhooks::WebhookSettings>,
}

impl Default for TestServiceOptions {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            pool: PoolSettings {
                max_size: 8,
                connect_timeout: Duration::from_secs(2),
                acquire_timeout: Duration::from_secs(2),
                statement_timeout: Duration::from_secs(10),
            },
            database_url_override: None,
            // Tests revoke credentials and expect it to bite at once.
            auth_cache_ttl: Duration::ZERO,
            shutdown_grace: Duration::from_secs(5),
            webhooks: None,
        }
    }
}

struct Running {
    stop: oneshot::Sender<()>,
    task: JoinHandle<anyhow::Result<()>>,
    /// The webhook delivery task, when the options ask for one.
    webhooks: Option<JoinHandle<()>>,
}

/// The service on `127.0.0.1:<port>` over a private, seeded database.
pub struct TestService {
    addr: SocketAddr,
    options: TestServiceOptions,
    running: Option<Running>,
    // Must stay the last field: the database is dropped after the server stops.
    db: TestDatabase,
}

type AnyhowResult = anyhow::Result<()>;

impl TestService {
    /// A fresh database with the development seed, and the service serving it.
    pub async fn start() -> Self {
        Self::start_with(TestServiceOptions::default()).await
    }

    pub async fn start_with(options: TestServiceOptions) -> Self {
        let db = TestDatabase::seeded().await;
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("cannot bind a port");
        let addr = listener.local_addr().expect("no local address");
        let mut service = Self {
            addr,
            options,
            running: None,
            db,
        };
        service.spawn(listener);
        service
    }

    fn spawn(&mut self, listener: TcpListener) {
        let url = self
            .options
            .database_url_override
            .clone()
            .unwrap_or_else(|| self.db.url().to_owned());
        let pool = build_pool(&url, self.options.pool);
        let auth = Arc::new(Authenticator::new(
            pool.clone(),
            self.options.auth_cache_ttl,
        ));
        let webhooks = self.options.webhooks.clone().map(|settings| {
            tokio::spawn(batch_service::webhooks::run(
                pool.clone(),
                settings,
                std::future::pending(),
            ))
        });
        let api = BatchApi::new(pool, auth, self.options.limits);
        let (stop, stopped) = oneshot::channel::<()>();
        let server_options = ServerOptions {
            shutdown_grace: self.options.shutdown_grace,
        };
        let task = tokio::spawn(async move {
            serve(listener, api, server_options, async {
                let _ = stopped.await;
            })
            .await
        });
        self.running = Some(Running {
            stop,
            task,
            webhooks,
        });
    }

    /// `http://127.0.0.1:<port>`, for `BATCH_SERVICE_URL`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn database_url(&self) -> &str {
        self.db.url()
    }

    pub fn database(&self) -> &TestDatabase {
        &self.db
    }

    /// Stops serving (after draining); the database stays.
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            if let Some(webhooks) = running.webhooks {
                webhooks.abort();
            }
            let _ = running.stop.send(());
            let outcome: Result<AnyhowResult, _> = running.task.await;
            outcome
                .expect("the server task panicked")
                .expect("the server failed");
        }
    }

    /// Serves again on the same address.
    pub async fn restart(&mut self) {
        self.stop().await;
        let mut attempts = 0;
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(listener) => break listener,
                Err(error) if attempts < 50 => {
                    attempts += 1;
                    let _ = error;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => panic!("cannot bind {} again: {error}", self.addr),
            }
        };
        self.spawn(listener);
    }

    /// A gRPC channel to the service.
    pub async fn channel(&self) -> Channel {
        Channel::from_shared(self.url())
            .expect("valid url")
            .connect()
            .await
            .expect("cannot connect to the test service")
    }

    pub async fn client(&self) -> BatchServiceClient<Channel> {
        BatchServiceClient::new(self.channel().await)
    }

    /// A second tenant with an API key, a ticket and an application token.
    pub async fn new_tenant(&self, name: &str) -> TenantCredentials {
        let mut conn = self.db.connect().await;
        let tenant = admin::ensure_tenant(&mut conn, name)
            .await
            .expect("cannot create a tenant");
        let creds = TenantCredentials {
            api_key: SecretHash::generate_secret("sk_"),
            ticket: SecretHash::generate_secret("7T:"),
            application_token: SecretHash::generate_secret("at_"),
        };
        for (kind, secret) in [
            (CredentialKind::ApiKey, &creds.api_key),
            (CredentialKind::Ticket, &creds.ticket),
        ] {
            admin::add_credential(&mut conn, tenant, kind, "test", &SecretHash::of(secret))
                .await
                .expect("cannot add a credential");
        }
        admin::add_application_token(
            &mut conn,
            tenant,
            "test",
            &SecretHash::of(&creds.application_token),
        )
        .await
        .expect("cannot add an application token");
        creds
    }

    /// Runs `sql` on the service's database; see [`TestDatabase::query_i64`].
    pub async fn query_i64(&self, sql: &str) -> i64 {
        self.db.query_i64(sql).await
    }

    /// Runs statements on the service's database (several, separated by `;`).
    pub async fn execute(&self, sql: &str) {
        use diesel_async::SimpleAsyncConnection as _;
        self.db
            .connect()
            .await
            .batch_execute(sql)
            .await
            .unwrap_or_else(|e| panic!("statement failed: {sql}: {e}"));
    }
}

impl Drop for TestService {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            if let Some(webhooks) = running.webhooks {
                webhooks.abort();
            }
            let _ = running.stop.send(());
            running.task.abort();
        }
    }
}
