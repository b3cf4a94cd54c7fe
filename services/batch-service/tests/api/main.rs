//! Black-box tests of `batch.v1.BatchService`: a real PostgreSQL database per test and
//! the service on a real socket, called through the generated gRPC client.

#![expect(
    unused_crate_dependencies,
    reason = "a test target sees every dependency and dev-dependency of its package; the library is where unused ones are caught"
)]

mod batches;
mod concurrency;
mod delete;
mod grouping;
mod items;
mod lifecycle;
mod migrations;
mod operations;
mod results;
mod schema;
mod tenants;

use batch_proto::v1::batch_service_client::BatchServiceClient;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};

pub(crate) use test_support::seed;

/// `message` with `authorization: Bearer <secret>`.
pub(crate) fn authed<T>(message: T, secret: &str) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {secret}").parse().expect("valid metadata"),
    );
    request
}

pub(crate) type Client = BatchServiceClient<Channel>;

/// Asserts the status code and returns the status for further checks.
#[track_caller]
pub(crate) fn expect_code<T: std::fmt::Debug>(result: Result<T, Status>, code: Code) -> Status {
    match result {
        Ok(value) => panic!("expected {code:?}, got Ok({value:?})"),
        Err(status) => {
            assert_eq!(status.code(), code, "unexpected status: {status:?}");
            status
        }
    }
}

/// The field names of a status's `google.rpc.BadRequest`.
pub(crate) fn bad_fields(status: &Status) -> Vec<String> {
    use tonic_types::StatusExt as _;
    status
        .get_error_details()
        .bad_request()
        .map(|br| {
            br.field_violations
                .iter()
                .map(|v| v.field.clone())
                .collect()
        })
        .unwrap_or_default()
}
