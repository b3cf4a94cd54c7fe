//! Provisioning: tenants, their credentials and application tokens. Secrets arrive
//! here already hashed; the admin commands print them once and forget them.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::TenantId;
use super::schema::{application_tokens, credentials, tenants};
use crate::domain::SecretHash;

/// What a credential is used as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// A SerpWow-style `api_key`.
    ApiKey,
    /// A SuperOffice ticket.
    Ticket,
}

impl CredentialKind {
    fn as_db_str(self) -> &'static str {
        match self {
            CredentialKind::ApiKey => "api_key",
            CredentialKind::Ticket => "ticket",
        }
    }
}

/// Creates the tenant, or returns the existing one of that name.
pub async fn ensure_tenant(conn: &mut AsyncPgConnection, name: &str) -> QueryResult<TenantId> {
    let inserted: Option<i64> = diesel::insert_into(tenants::table)
        .values(tenants::name.eq(name))
        .on_conflict(tenants::name)
        .do_nothing()
        .returning(tenants::id)
        .get_result(conn)
        .await
        .optional()?;
    match inserted {
        Some(id) => Ok(TenantId(id)),
        None => find_tenant(conn, name)
            .await?
            .ok_or(diesel::result::Error::NotFound),
    }
}

pub async fn find_tenant(
    conn: &mut AsyncPgConnection,
    name: &str,
) -> QueryResult<Option<TenantId>> {
    tenants::table
        .filter(tenants::name.eq(name))
        .select(tenants::id)
        .first(conn)
        .await
        .optional()
        .map(|id| id.map(TenantId))
}

/// Registers a credential; returns its id. A secret that is already registered (for
/// any tenant) is left as it is and its id returned, which makes seeding repeatable.
pub async fn add_credential(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    kind: CredentialKind,
    label: &str,
    secret: &SecretHash,
) -> QueryResult<i64> {
    diesel::insert_into(credentials::table)
        .values((
            credentials::tenant_id.eq(tenant.0),
            credentials::kind.eq(kind.as_db_str()),
            credentials::label.eq(label),
            credentials::secret_hash.eq(secret.as_bytes()),
        ))
        .on_conflict(credentials::secret_hash)
        .do_update()
        .set(credentials::label.eq(diesel::upsert::excluded(credentials::label)))
        .returning(credentials::id)
        .get_result(conn)
        .await
}

/// Revokes a credential by id; returns whether a live one was revoked.
pub async fn revoke_credential(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<bool> {
    diesel::update(
        credentials::table
            .find(id)
            .filter(credentials::revoked_at.is_null()),
    )
    .set(credentials::revoked_at.eq(diesel::dsl::now))
    .execute(conn)
    .await
    .map(|n| n == 1)
}

/// Registers an application token for one application of the tenant.
pub async fn add_application_token(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    application: &str,
    token: &SecretHash,
) -> QueryResult<i64> {
    diesel::insert_into(application_tokens::table)
        .values((
            application_tokens::tenant_id.eq(tenant.0),
            application_tokens::application.eq(application),
            application_tokens::token_hash.eq(token.as_bytes()),
        ))
        .on_conflict(application_tokens::token_hash)
        .do_update()
        .set(
            application_tokens::application
                .eq(diesel::upsert::excluded(application_tokens::application)),
        )
        .returning(application_tokens::id)
        .get_result(conn)
        .await
}

/// Revokes an application token by id; returns whether a live one was revoked.
pub async fn revoke_application_token(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<bool> {
    diesel::update(
        application_tokens::table
            .find(id)
            .filter(application_tokens::revoked_at.is_null()),
    )
    .set(application_tokens::revoked_at.eq(diesel::dsl::now))
    .execute(conn)
    .await
    .map(|n| n == 1)
}
