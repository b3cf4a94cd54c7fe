//! Completion webhooks, delivered by a background task, never on a request path:
//! FinishBatch (or ResendWebhook) only marks the result set `pending`; this task
//! claims due sets from the database, POSTs the SerpWow payload with a timeout, a
//! bounded number at a time, and records `ok`, a retry with exponential backoff, or
//! `failed` after the last attempt (or at once for a refused destination). The state
//! lives in the database, so deliveries survive restarts and replicas share them.

pub mod guard;
pub mod payload;

use std::future::Future;
use std::time::Duration;

use futures::StreamExt as _;

use crate::storage::PgPool;
use crate::storage::webhooks::{self as queue, Attempt, Delivery};
use guard::AllowList;

/// How deliveries are made; every field has a flag (see `config`).
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// The REST door's public base URL, for the payload's download links.
    pub public_rest_url: String,
    /// Non-public hosts or addresses that may still be delivered to.
    pub allow: AllowList,
    /// How long a receiver has to answer one POST.
    pub timeout: Duration,
    /// Attempts before a delivery is marked failed (at least 1).
    pub max_attempts: i32,
    /// The wait before the second attempt; it doubles for each one after.
    pub backoff: Duration,
    /// Most POSTs in flight at once.
    pub concurrency: usize,
    /// How often the queue is looked at.
    pub poll_interval: Duration,
}

pub const DEFAULT_PUBLIC_REST_URL: &str = "http://localhost:8080";
pub const DEFAULT_TIMEOUT_MS: u64 = 5_000;
/// SerpWow: the first POST and up to 5 retries.
pub const DEFAULT_MAX_ATTEMPTS: i32 = 6;
pub const DEFAULT_BACKOFF_MS: u64 = 2_000;
pub const DEFAULT_CONCURRENCY: usize = 8;
pub const DEFAULT_POLL_MS: u64 = 1_000;

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            public_rest_url: DEFAULT_PUBLIC_REST_URL.to_owned(),
            allow: AllowList::default(),
            timeout: Duration::from_millis(DEFAULT_TIMEOUT_MS),
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            backoff: Duration::from_millis(DEFAULT_BACKOFF_MS),
            concurrency: DEFAULT_CONCURRENCY,
            poll_interval: Duration::from_millis(DEFAULT_POLL_MS),
        }
    }
}

/// Delivers until `shutdown` resolves (deliveries in flight then finish first).
pub async fn run(pool: PgPool, settings: WebhookSettings, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    let concurrency = settings.concurrency.max(1);
    // A claimed delivery is retried by anyone only after this, in case we die mid-POST.
    let lease = chrono::Duration::from_std(settings.timeout * 2 + Duration::from_secs(10))
        .unwrap_or(chrono::Duration::minutes(1));
    loop {
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(settings.poll_interval) => {}
        }
        let claimed = match pool.get().await {
            Ok(mut conn) => queue::claim_due(&mut conn, concurrency as i64 * 4, lease).await,
            Err(error) => {
                tracing::warn!(%error, "webhooks: no database connection");
                continue;
            }
        };
        let due = match claimed {
            Ok(due) => due,
            Err(error) => {
                tracing::warn!(%error, "webhooks: cannot claim deliveries");
                continue;
            }
        };
        futures::stream::iter(due)
            .for_each_concurrent(concurrency, |d| deliver(&pool, &settings, d))
            .await;
    }
}

/// One attempt, recorded.
async fn deliver(pool: &PgPool, settings: &WebhookSettings, d: Delivery) {
    let attempt = attempt(settings, &d).await;
    match &attempt {
        Attempt::Delivered(_) => tracing::info!(
            batch.id = d.batch_id,
            result_set.id = d.number,
            attempt = d.attempt,
            "webhook of batch {} result set {} delivered",
            d.batch_id,
            d.number
        ),
        Attempt::Retry { text, .. } | Attempt::GaveUp(text) => tracing::warn!(
            batch.id = d.batch_id,
            result_set.id = d.number,
            attempt = d.attempt,
            "webhook of batch {} result set {} failed: {text}",
            d.batch_id,
            d.number
        ),
    }
    let recorded = match pool.get().await {
        Ok(mut conn) => queue::record(&mut conn, d.set_id, d.attempt, &attempt)
            .await
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    if let Err(error) = recorded {
        // The lease runs out and the delivery is tried again.
        tracing::warn!(%error, batch.id = d.batch_id, "webhooks: cannot record an attempt");
    }
}

async fn attempt(settings: &WebhookSettings, d: &Delivery) -> Attempt {
    let destination = match guard::check(&d.url, &settings.allow).await {
        Ok(destination) => destination,
        Err(why) => return Attempt::GaveUp(format!("Webhook destination refused: {why}.")),
    };
    let body = payload::body(&settings.public_rest_url, d);
    let client = reqwest::Client::builder()
        .timeout(settings.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .resolve(&destination.host, destination.addr)
        .build();
    let sent = match client {
        Ok(client) => client.post(destination.url).json(&body).send().await,
        Err(e) => return Attempt::GaveUp(format!("Webhook POST cannot be made: {e}.")),
    };
    let failure = match sent {
        Ok(response) if response.status().is_success() => {
            return Attempt::Delivered("Webhook POST completed successfully.".to_owned());
        }
        Ok(response) => format!("Webhook POST failed: HTTP {}", response.status()),
        Err(e) if e.is_timeout() => format!(
            "Webhook POST timed out after {} ms",
            settings.timeout.as_millis()
        ),
        Err(e) => format!("Webhook POST failed: {e}"),
    };
    if d.attempt >= settings.max_attempts.max(1) {
        Attempt::GaveUp(format!(
            "{failure}; giving up after {} attempts.",
            d.attempt
        ))
    } else {
        let shift = u32::try_from(d.attempt - 1).unwrap_or(0).min(16);
        let wait = settings.backoff.saturating_mul(1 << shift);
        let at = chrono::Utc::now()
            + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
        Attempt::Retry {
            text: format!("{failure}; retrying in {} ms.", wait.as_millis()),
            at,
        }
    }
}

/// Deletes expired result sets every `every`, until `shutdown`.
pub async fn purge_expired(pool: PgPool, every: Duration, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(every) => {}
        }
        let purged = match pool.get().await {
            Ok(mut conn) => crate::storage::results::purge_expired(&mut conn)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match purged {
            Ok(0) => {}
            Ok(n) => tracing::info!(result_sets = n, "purged {n} expired result sets"),
            Err(error) => tracing::warn!(%error, "cannot purge expired result sets"),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_https_only_client_can_be_built() {
        let client = reqwest::Client::builder().https_only(true).build();
        assert!(client.is_ok(), "{client:?}");
    }
}
