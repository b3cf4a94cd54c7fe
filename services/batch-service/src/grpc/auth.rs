//! Who is calling: the bearer secret resolved to a tenant and credential, the door the
//! call came through, and its trace id. Resolved credentials are cached briefly so a
//! steady stream of requests costs no extra database round trip; a revocation takes
//! effect within the cache's time to live.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use batch_proto::metadata;
use tonic::metadata::MetadataMap;

use super::error::ApiError;
use crate::domain::SecretHash;
use crate::storage::{Caller, Database, PgPool, auth};

/// More distinct live credentials than this within one TTL just clears the cache.
const MAX_CACHED_CREDENTIALS: usize = 10_000;

/// The facts about a request that every handler needs.
#[derive(Debug, Clone)]
pub(crate) struct RequestContext {
    pub(crate) caller: Caller,
    /// `grpc`, `rest` or `soap`.
    pub(crate) door: &'static str,
    /// The W3C trace id, or empty.
    pub(crate) trace_id: String,
}

type CacheKey = (SecretHash, Option<SecretHash>);

/// Resolves bearer secrets (and SuperOffice application tokens) against the database.
#[derive(Debug)]
pub struct Authenticator {
    db: Database,
    ttl: Duration,
    /// Read by every request, written once per credential and TTL: a read-write lock
    /// lets concurrent requests look up at the same time.
    cache: RwLock<HashMap<CacheKey, (Caller, Instant)>>,
}

impl Authenticator {
    /// `ttl` zero disables caching.
    pub fn new(pool: PgPool, ttl: Duration) -> Self {
        Self {
            db: Database::new(pool),
            ttl,
            cache: RwLock::new(HashMap::new()),
        }
    }

    pub(crate) async fn authenticate(&self, md: &MetadataMap) -> Result<RequestContext, ApiError> {
        let secret = bearer_secret(md)?;
        let app_token = match md.get(metadata::APPLICATION_TOKEN) {
            Some(v) => Some(SecretHash::of(v.to_str().map_err(|_| {
                ApiError::Unauthenticated("the application token is not valid")
            })?)),
            None => None,
        };
        let key = (SecretHash::of(secret), app_token);
        let caller = match self.cached(&key) {
            Some(caller) => caller,
            None => self.resolve(&key).await?,
        };
        Ok(RequestContext {
            caller,
            door: door(md),
            trace_id: trace_id(md),
        })
    }

    fn cached(&self, key: &CacheKey) -> Option<Caller> {
        if self.ttl.is_zero() {
            return None;
        }
        let cache = self.cache.read().unwrap_or_else(|e| e.into_inner());
        cache
            .get(key)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(caller, _)| *caller)
    }

    async fn resolve(&self, key: &CacheKey) -> Result<Caller, ApiError> {
        let (secret, app_token) = key;
        let (caller, token_is_valid) = self
            .db
            .read(async |conn| {
                let Some(caller) = auth::find_caller(conn, secret).await? else {
                    return Ok((None, true));
                };
                let token_is_valid = match app_token {
                    Some(token) => {
                        auth::application_token_is_valid(conn, caller.tenant, token).await?
                    }
                    None => true,
                };
                Ok((Some(caller), token_is_valid))
            })
            .await?;
        let caller = caller.ok_or(ApiError::Unauthenticated("the credential is not valid"))?;
        if !token_is_valid {
            return Err(ApiError::Unauthenticated(
                "the application token is not valid",
            ));
        }
        if !self.ttl.is_zero() {
            let mut cache = self.cache.write().unwrap_or_else(|e| e.into_inner());
            if cache.len() >= MAX_CACHED_CREDENTIALS {
                cache.clear();
            }
            cache.insert(*key, (caller, Instant::now()));
        }
        Ok(caller)
    }
}

fn bearer_secret(md: &MetadataMap) -> Result<&str, ApiError> {
    let value = md
        .get(metadata::AUTHORIZATION)
        .ok_or(ApiError::Unauthenticated(
            "authorization metadata is required",
        ))?
        .to_str()
        .map_err(|_| ApiError::Unauthenticated("authorization metadata is not text"))?;
    let (scheme, secret) = value.split_once(' ').ok_or(ApiError::Unauthenticated(
        "authorization must be `Bearer <secret>`",
    ))?;
    let secret = secret.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || secret.is_empty() {
        return Err(ApiError::Unauthenticated(
            "authorization must be `Bearer <secret>`",
        ));
    }
    Ok(secret)
}

fn door(md: &MetadataMap) -> &'static str {
    match md.get(metadata::DOOR).and_then(|v| v.to_str().ok()) {
        Some("rest") => "rest",
        Some("soap") => "soap",
        _ => "grpc",
    }
}

/// The trace id of a well-formed `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`).
fn trace_id(md: &MetadataMap) -> String {
    md.get("traceparent")
        .and_then(|v| v.to_str().ok())
        .and_then(|tp| {
            let mut parts = tp.split('-');
            let (_version, trace) = (parts.next()?, parts.next()?);
            (trace.len() == 32 && trace.bytes().all(|b| b.is_ascii_hexdigit()))
                .then(|| trace.to_ascii_lowercase())
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md(pairs: &[(&'static str, &str)]) -> MetadataMap {
        let mut md = MetadataMap::new();
        for (k, v) in pairs {
            md.insert(*k, v.parse().unwrap());
        }
        md
    }

    #[test]
    fn bearer_is_required_and_parsed() {
        assert_eq!(
            bearer_secret(&md(&[("authorization", "Bearer demo")])).unwrap(),
            "demo"
        );
        assert_eq!(
            bearer_secret(&md(&[("authorization", "bearer  x ")])).unwrap(),
            "x"
        );
        assert!(bearer_secret(&md(&[])).is_err());
        assert!(bearer_secret(&md(&[("authorization", "Basic abc")])).is_err());
        assert!(bearer_secret(&md(&[("authorization", "Bearer ")])).is_err());
    }

    #[test]
    fn trace_id_comes_from_a_valid_traceparent_only() {
        let tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        assert_eq!(
            trace_id(&md(&[("traceparent", tp)])),
            "0af7651916cd43dd8448eb211c80319c"
        );
        assert_eq!(trace_id(&md(&[("traceparent", "garbage")])), "");
    }

    #[test]
    fn unknown_doors_count_as_grpc() {
        assert_eq!(door(&md(&[("x-batch-door", "soap")])), "soap");
        assert_eq!(door(&md(&[("x-batch-door", "ftp")])), "grpc");
    }
}
