//! The `batch-service` admin subcommands, run as a person would: provision a tenant
//! and its secrets, use them, revoke them.

#![expect(
    unused_crate_dependencies,
    reason = "a test target sees every dependency and dev-dependency of its package; the library is where unused ones are caught"
)]

use std::process::Command;

use batch_proto::v1::batch_service_client::BatchServiceClient;
use batch_proto::v1::{ListBatchesRequest, StopAllBatchesRequest};
use system_tests::processes::binary;
use test_support::{TestService, TestServiceOptions};
use tonic::Code;

/// Runs `batch-service admin ARGS` against `database_url`; returns stdout.
fn admin(database_url: &str, args: &[&str]) -> Result<String, String> {
    let output = Command::new(binary("batch-service"))
        .arg("admin")
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("batch-service runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if output.status.success() {
        Ok(stdout)
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// `credential 7: sk_...` → (7, "sk_...").
fn issued(stdout: &str) -> (i64, String) {
    let line = stdout.lines().next().expect("a line");
    let (head, secret) = line.split_once(": ").expect("`<kind> <id>: <secret>`");
    let id = head.rsplit(' ').next().unwrap().parse().expect("an id");
    (id, secret.to_owned())
}

fn authed<T>(message: T, secret: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {secret}").parse().unwrap());
    request
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tenant_is_provisioned_used_and_revoked_through_the_admin_commands() {
    let svc = TestService::start_with(TestServiceOptions::default()).await;
    let url = svc.database_url().to_owned();
    let mut client = BatchServiceClient::new(svc.channel().await);

    let created = admin(&url, &["create-tenant", "acme"]).expect("create-tenant");
    assert!(created.starts_with("tenant acme has id "), "{created}");
    // Creating it again finds the same tenant.
    assert_eq!(admin(&url, &["create-tenant", "acme"]).unwrap(), created);

    let (key_id, api_key) = issued(
        &admin(
            &url,
            &[
                "issue-credential",
                "--tenant",
                "acme",
                "--kind",
                "api-key",
                "--label",
                "ci",
            ],
        )
        .expect("issue an api key"),
    );
    assert!(
        api_key.starts_with("sk_") && api_key.len() > 40,
        "{api_key}"
    );
    let (_, ticket) = issued(
        &admin(
            &url,
            &["issue-credential", "--tenant", "acme", "--kind", "ticket"],
        )
        .expect("issue a ticket"),
    );
    assert!(ticket.starts_with("7T:"));
    // Only its SHA-256 is stored.
    let hashed = svc
        .query_i64(&format!(
            "SELECT count(*) FROM credentials \
             WHERE secret_hash = sha256(convert_to('{api_key}', 'UTF8'))"
        ))
        .await;
    assert_eq!(hashed, 1);

    // The new tenant sees none of the development tenant's batches.
    for secret in [&api_key, &ticket] {
        let listed = client
            .list_batches(authed(ListBatchesRequest::default(), secret))
            .await
            .expect("the new credential works")
            .into_inner();
        assert_eq!(listed.total_size, 0);
    }

    admin(&url, &["revoke-credential", &key_id.to_string()]).expect("revoke");
    let status = client
        .stop_all_batches(authed(StopAllBatchesRequest {}, &api_key))
        .await
        .expect_err("a revoked key is refused");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert!(
        admin(&url, &["revoke-credential", &key_id.to_string()]).is_err(),
        "revoking twice fails"
    );

    let (token_id, token) = issued(
        &admin(
            &url,
            &[
                "register-application-token",
                "--tenant",
                "acme",
                "--application",
                "crm",
            ],
        )
        .expect("register a token"),
    );
    let mut request = authed(ListBatchesRequest::default(), &ticket);
    request
        .metadata_mut()
        .insert("x-application-token", token.parse().unwrap());
    client
        .list_batches(request)
        .await
        .expect("the registered token works");
    admin(&url, &["revoke-application-token", &token_id.to_string()]).expect("revoke the token");
    let mut request = authed(ListBatchesRequest::default(), &ticket);
    request
        .metadata_mut()
        .insert("x-application-token", token.parse().unwrap());
    assert_eq!(
        client.list_batches(request).await.unwrap_err().code(),
        Code::Unauthenticated
    );

    let error =
        admin(&url, &["issue-credential", "--tenant", "nobody"]).expect_err("unknown tenant");
    assert!(error.contains("no tenant named"), "{error}");
}
