//! Resolving a presented secret to the caller it belongs to.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::schema::{application_tokens, credentials};
use super::{Caller, TenantId};
use crate::domain::SecretHash;

/// The live (not revoked) credential with this secret, if any.
#[tracing::instrument(name = "SELECT credentials", skip_all, fields(otel.kind = "client", db.system.name = "postgresql", db.operation.name = "SELECT", db.collection.name = "credentials"))]
pub async fn find_caller(
    conn: &mut AsyncPgConnection,
    secret: &SecretHash,
) -> QueryResult<Option<Caller>> {
    credentials::table
        .filter(credentials::secret_hash.eq(secret.as_bytes()))
        .filter(credentials::revoked_at.is_null())
        .select((credentials::id, credentials::tenant_id))
        .first::<(i64, i64)>(conn)
        .await
        .optional()
        .map(|found| {
            found.map(|(credential_id, tenant_id)| Caller {
                tenant: TenantId(tenant_id),
                credential_id,
            })
        })
}

/// Whether this application token is registered, and not revoked, for the tenant.
#[tracing::instrument(name = "SELECT application_tokens", skip_all, fields(otel.kind = "client", db.system.name = "postgresql", db.operation.name = "SELECT", db.collection.name = "application_tokens"))]
pub async fn application_token_is_valid(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    token: &SecretHash,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        application_tokens::table
            .filter(application_tokens::token_hash.eq(token.as_bytes()))
            .filter(application_tokens::tenant_id.eq(tenant.0))
            .filter(application_tokens::revoked_at.is_null()),
    ))
    .get_result(conn)
    .await
}
