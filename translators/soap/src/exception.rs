//! Application errors, answered in band as SuperOffice does: HTTP 200, header
//! `Succeeded` false and an `ExceptionInfo` header (`SoExceptionInfo`).
//!
//! [`ExceptionInfo::from`] is the one table from every failure this door can meet (each
//! [`UpstreamError`] variant, and the few the door finds itself) to the fields a
//! client sees. It matches exhaustively, so a new kind of failure cannot slip through
//! as a generic error.

use translator_common::{CredentialError, UpstreamError, Violation};

use crate::mapping::{Unrepresentable, UpdateError};

/// `Source` of exceptions the service raised.
const SOURCE_SERVICE: &str = "batch-service";
/// `Source` of exceptions this door raised without asking the service.
const SOURCE_DOOR: &str = "soap-translator";

/// Everything that makes an operation fail in band.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The service refused or could not be reached.
    Upstream(UpstreamError),
    /// `Credentials/Ticket` is missing or cannot be forwarded.
    Credential(CredentialError),
    /// Online mode, and the call carries no `ApplicationToken`.
    ApplicationTokenMissing,
    /// The `ApplicationToken` cannot be carried in gRPC metadata.
    ApplicationTokenMalformed,
    /// An id this door knows cannot exist (0 or negative), so the service is not asked.
    BatchTaskNotFound { id: i32 },
    /// The answer names a batch whose numbers do not fit the SOAP types.
    Unrepresentable(Unrepresentable),
    /// `UpdateBatchTask` asked for something no batch can become.
    Update(UpdateError),
    /// `UpdateBatchTask` or a similar call came without its `BatchTaskInfo`.
    BatchTaskInfoMissing,
}

impl From<UpstreamError> for Failure {
    fn from(error: UpstreamError) -> Self {
        Self::Upstream(error)
    }
}

/// The fields of an `SoExceptionInfo` this door fills, in WSDL order of writing:
/// `Message`, `FriendlyText`, `ExceptionType`, `Source`, `Parameters`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExceptionInfo {
    /// What went wrong, for a developer; the service's own words where it has them.
    pub message: String,
    /// What went wrong, for a person using the client.
    pub friendly_text: String,
    /// A stable name a client can branch on.
    pub exception_type: &'static str,
    /// Who raised it: `batch-service` or `soap-translator`.
    pub source: &'static str,
    /// Details as key/value pairs, such as the ids that were missing or running.
    pub parameters: Vec<(String, String)>,
    /// Whether the fault lies with the server (logged as a warning) rather than the
    /// caller.
    pub server_fault: bool,
}

fn pairs(violations: &[Violation]) -> Vec<(String, String)> {
    violations
        .iter()
        .map(|v| (v.subject.clone(), v.description.clone()))
        .collect()
}

fn client(
    kind: &'static str,
    source: &'static str,
    message: String,
    friendly: &str,
) -> ExceptionInfo {
    ExceptionInfo {
        message,
        friendly_text: friendly.to_owned(),
        exception_type: kind,
        source,
        parameters: Vec::new(),
        server_fault: false,
    }
}

impl From<&Failure> for ExceptionInfo {
    fn from(failure: &Failure) -> Self {
        match failure {
            Failure::Upstream(error) => from_upstream(error),
            Failure::Credential(CredentialError::Missing) => client(
                "AuthenticationException",
                SOURCE_DOOR,
                "No ticket was supplied in the Credentials header".into(),
                "Please log in: the request carries no ticket.",
            ),
            Failure::Credential(CredentialError::Malformed) => client(
                "AuthenticationException",
                SOURCE_DOOR,
                "The ticket in the Credentials header is malformed".into(),
                "The ticket was not accepted.",
            ),
            Failure::ApplicationTokenMissing => client(
                "AuthenticationException",
                SOURCE_DOOR,
                "An ApplicationToken header is required when calling an Online installation".into(),
                "The application is not identified: the request carries no application token.",
            ),
            Failure::ApplicationTokenMalformed => client(
                "AuthenticationException",
                SOURCE_DOOR,
                "The ApplicationToken header is malformed".into(),
                "The application token was not accepted.",
            ),
            Failure::BatchTaskNotFound { id } => {
                let mut info = client(
                    "NotFoundException",
                    SOURCE_DOOR,
                    format!("Batch task {id} was not found"),
                    "The batch task does not exist.",
                );
                info.parameters.push(("BatchTaskId".into(), id.to_string()));
                info
            }
            Failure::Unrepresentable(error) => {
                let mut info = client(
                    "OverflowException",
                    SOURCE_DOOR,
                    error.to_string(),
                    "The batch task cannot be shown by this client.",
                );
                info.parameters
                    .push(("BatchTaskId".into(), error.id.to_string()));
                info
            }
            Failure::Update(error) => client(
                "ArgumentException",
                SOURCE_DOOR,
                error.to_string(),
                "The batch task cannot be updated that way.",
            ),
            Failure::BatchTaskInfoMissing => client(
                "ArgumentException",
                SOURCE_DOOR,
                "The request carries no BatchTaskInfo".into(),
                "The request is incomplete.",
            ),
        }
    }
}

/// The gRPC half of the table: one arm per [`UpstreamError`] variant.
fn from_upstream(error: &UpstreamError) -> ExceptionInfo {
    let service =
        |kind, message: &String, friendly| client(kind, SOURCE_SERVICE, message.clone(), friendly);
    match error {
        UpstreamError::InvalidArgument {
            message,
            violations,
        } => ExceptionInfo {
            parameters: pairs(violations),
            ..service("ArgumentException", message, "The request is not valid.")
        },
        UpstreamError::NotFound { message, missing } => ExceptionInfo {
            parameters: missing
                .iter()
                .map(|m| ("BatchTaskId".to_owned(), m.id.clone()))
                .collect(),
            ..service(
                "NotFoundException",
                message,
                "The batch task does not exist.",
            )
        },
        UpstreamError::FailedPrecondition {
            message,
            violations,
        } => ExceptionInfo {
            parameters: pairs(violations),
            ..service(
                "InvalidOperationException",
                message,
                "The batch task cannot be changed in its current state, for example while it runs.",
            )
        },
        UpstreamError::AlreadyExists { message } => service(
            "AlreadyExistsException",
            message,
            "The batch task already exists.",
        ),
        UpstreamError::Unauthenticated { message } => service(
            "AuthenticationException",
            message,
            "The ticket or application token was not accepted.",
        ),
        UpstreamError::PermissionDenied { message } => service(
            "AccessDeniedException",
            message,
            "You are not allowed to do this.",
        ),
        UpstreamError::ResourceExhausted { message } => service(
            "LimitExceededException",
            message,
            "A limit was reached. Please try again later or with less data.",
        ),
        UpstreamError::Unavailable { message } => ExceptionInfo {
            server_fault: true,
            ..service(
                "ServiceUnavailableException",
                message,
                "The batch service is unavailable. Please try again later.",
            )
        },
        // The service's text may describe its internals: it is logged, not shown.
        UpstreamError::Internal { .. } => ExceptionInfo {
            server_fault: true,
            ..service(
                "SoException",
                &"The batch service failed to handle the request".to_owned(),
                "An internal error occurred.",
            )
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_batches_are_named_in_the_parameters() {
        let failure = Failure::Upstream(UpstreamError::FailedPrecondition {
            message: "batch 123457 is running".into(),
            violations: vec![Violation {
                subject: "123457".into(),
                description: "running".into(),
                kind: "RUNNING".into(),
            }],
        });
        let info = ExceptionInfo::from(&failure);
        assert_eq!(info.exception_type, "InvalidOperationException");
        assert_eq!(info.message, "batch 123457 is running");
        assert_eq!(
            info.parameters,
            [("123457".to_owned(), "running".to_owned())]
        );
        assert!(!info.server_fault);
    }

    #[test]
    fn internal_details_are_not_shown() {
        let failure = Failure::Upstream(UpstreamError::Internal {
            message: "Internal: connection pool exploded at 10.0.0.7".into(),
        });
        let info = ExceptionInfo::from(&failure);
        assert_eq!(info.exception_type, "SoException");
        assert!(!info.message.contains("10.0.0.7"));
        assert!(info.server_fault);
    }

    #[test]
    fn unavailable_is_a_server_fault() {
        let info = ExceptionInfo::from(&Failure::from(UpstreamError::Unavailable {
            message: "connection refused".into(),
        }));
        assert_eq!(info.exception_type, "ServiceUnavailableException");
        assert!(info.server_fault);
    }
}
