//! The status/message table, checked variant by variant.

use super::*;
use axum::body::to_bytes;
use tonic::Code;
use tonic_types::{ErrorDetail, ErrorDetails, ResourceInfo, StatusExt};

fn failed(code: Code, message: &str) -> tonic::Status {
    tonic::Status::new(code, message)
}

fn answer(error: &ApiError) -> (u16, String) {
    let (status, message) = error.status_and_message();
    (status.as_u16(), message)
}

#[test]
fn every_upstream_kind_has_its_status() {
    let cases = [
        (Code::InvalidArgument, 400),
        (Code::OutOfRange, 400),
        (Code::NotFound, 404),
        (Code::FailedPrecondition, 409),
        (Code::Aborted, 409),
        (Code::AlreadyExists, 409),
        (Code::Unauthenticated, 401),
        (Code::PermissionDenied, 401),
        (Code::ResourceExhausted, 429),
        (Code::Unavailable, 503),
        (Code::DeadlineExceeded, 503),
        (Code::Cancelled, 503),
        (Code::Internal, 500),
        (Code::Unknown, 500),
        (Code::Unimplemented, 500),
        (Code::DataLoss, 500),
    ];
    for (code, expected) in cases {
        let error = ApiError::for_batch(failed(code, "x"), Action::GetBatch, "123456");
        assert_eq!(answer(&error).0, expected, "{code:?}");
    }
}

#[test]
fn not_found_names_the_batch_as_written() {
    let error = ApiError::for_batch(failed(Code::NotFound, "no"), Action::DeleteBatch, "123456");
    assert_eq!(
        answer(&error),
        (404, "Batch with ID '123456' was not found".to_owned())
    );
    assert_eq!(
        answer(&ApiError::BatchNotFound("abc".to_owned())),
        (404, "Batch with ID 'abc' was not found".to_owned())
    );
}

#[test]
fn running_batch_refusals_name_the_ids() {
    let mut details = ErrorDetails::new();
    details.add_precondition_failure_violation("RUNNING", "123457", "batch is running");
    let status = tonic::Status::with_error_details(Code::FailedPrecondition, "running", details);
    let error = ApiError::for_batch(status, Action::DeleteBatch, "123457");
    assert_eq!(
        answer(&error),
        (
            409,
            "Batch with ID '123457' is running and cannot be deleted".to_owned()
        )
    );
    // Without details, the id of the URL is named.
    let error = ApiError::for_batch(
        failed(Code::FailedPrecondition, "x"),
        Action::StartBatch,
        "9",
    );
    assert_eq!(
        answer(&error),
        (
            409,
            "Batch with ID '9' is already queued or running".to_owned()
        )
    );
}

#[test]
fn credentials_are_never_echoed() {
    let error = ApiError::upstream(
        failed(Code::Unauthenticated, "key abc revoked"),
        Action::ListBatches,
    );
    assert_eq!(answer(&error), (401, INVALID_API_KEY.to_owned()));
    assert_eq!(
        answer(&ApiError::InvalidApiKey),
        (401, INVALID_API_KEY.to_owned())
    );
    let (status, message) = answer(&ApiError::MissingApiKey);
    assert_eq!(status, 401);
    assert!(message.contains("api_key"), "{message}");
}

#[test]
fn internal_details_stay_inside() {
    let error = ApiError::upstream(
        failed(Code::Internal, "pg: relation batches"),
        Action::ListBatches,
    );
    let (status, message) = answer(&error);
    assert_eq!(status, 500);
    assert!(!message.contains("pg:"), "{message}");
    let error = ApiError::upstream(
        failed(Code::Unavailable, "tcp connect 10.0.0.1"),
        Action::ListBatches,
    );
    let (status, message) = answer(&error);
    assert_eq!(status, 503);
    assert!(!message.contains("10.0.0.1"), "{message}");
}

#[test]
fn invalid_arguments_list_the_fields() {
    let mut details = ErrorDetails::new();
    details.add_bad_request_violation("items", "at most 1000 items per call");
    let status = tonic::Status::with_error_details(Code::InvalidArgument, "bad", details);
    let error = ApiError::for_batch(status, Action::AddSearches, "1");
    assert_eq!(
        answer(&error),
        (400, "items: at most 1000 items per call".to_owned())
    );
}

#[test]
fn search_deletes_tell_a_missing_search_from_a_missing_batch() {
    let ids = ["7".to_owned(), "8".to_owned()];
    // What batch-service sends: one ResourceInfo per missing id, typed.
    let missing = |missing: &[(&str, &str)]| {
        let details = missing
            .iter()
            .map(|(kind, id)| ResourceInfo::new(*kind, *id, "", "not found").into())
            .collect::<Vec<ErrorDetail>>();
        tonic::Status::with_error_details_vec(Code::NotFound, "not found", details)
    };
    let error = ApiError::for_searches(missing(&[("batch.v1.BatchItem", "8")]), "5", &ids);
    assert_eq!(
        answer(&error).1,
        "No Search with ID '8' was found in this Batch, please check the ID and try again"
    );
    let error = ApiError::for_searches(missing(&[("batch.v1.Batch", "5")]), "5", &ids);
    assert_eq!(answer(&error).1, "Batch with ID '5' was not found");
    let error = ApiError::for_searches(missing(&[]), "5", &ids);
    assert_eq!(answer(&error).1, "Batch with ID '5' was not found");
    // A search id equal to the batch id is told apart by its type.
    let same = ["5".to_owned()];
    let error = ApiError::for_searches(missing(&[("batch.v1.BatchItem", "5")]), "5", &same);
    assert!(answer(&error).1.starts_with("No Search with ID '5'"));
    let error = ApiError::for_searches(missing(&[("batch.v1.Batch", "5")]), "5", &same);
    assert_eq!(answer(&error).1, "Batch with ID '5' was not found");
}

#[test]
fn local_failures() {
    assert_eq!(answer(&ApiError::NoRoute).0, 404);
    assert_eq!(answer(&ApiError::PayloadTooLarge { limit: 10 }).0, 413);
    assert_eq!(answer(&ApiError::Timeout).0, 503);
    assert_eq!(
        answer(&ApiError::BadRequest("x".to_owned())),
        (400, "x".to_owned())
    );
    assert_eq!(
        answer(&ApiError::SearchNotFound("ABC".to_owned())).1,
        "No Search with ID 'ABC' was found in this Batch, please check the ID and try again"
    );
}

#[tokio::test]
async fn the_body_is_serpwow_shaped() {
    let response = ApiError::BatchNotFound("42".to_owned()).into_response();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body = to_bytes(response.into_body(), 1024).await.unwrap();
    assert_eq!(
        &body[..],
        br#"{"request_info":{"success":false,"message":"Batch with ID '42' was not found"}}"#
    );
}
