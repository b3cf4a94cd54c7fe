//! The one place where a gRPC status from the service becomes a typed error. Each
//! translator maps [`UpstreamError`] once, in its own table, to HTTP or SOAP.

use tonic::Code;
use tonic_types::{ErrorDetail, StatusExt};

/// One problem the service named: a field (`ids[3]`), a batch id, an item id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// What the problem is about: a field path or a resource id.
    pub subject: String,
    pub description: String,
    /// The precondition that failed (`RUNNING`, `STATE`); empty for field violations.
    pub kind: String,
}

/// What kind of thing the service could not find.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceKind {
    Batch,
    /// An item (search) inside a batch.
    Item,
    /// A resource type this translator does not know.
    Other(String),
}

/// One resource the service could not find.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    pub kind: ResourceKind,
    /// Its id, as the service wrote it.
    pub id: String,
}

impl Missing {
    fn from_resource_info(info: tonic_types::ResourceInfo) -> Self {
        let kind = match info.resource_type.as_str() {
            "batch.v1.Batch" => ResourceKind::Batch,
            "batch.v1.BatchItem" => ResourceKind::Item,
            other => ResourceKind::Other(other.to_owned()),
        };
        Self {
            kind,
            id: info.resource_name,
        }
    }
}

/// A failed call to `batch-service`, one variant per kind of answer a door must tell
/// apart. `message` is the service's text, safe to show to the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpstreamError {
    /// INVALID_ARGUMENT or OUT_OF_RANGE; `violations` come from `google.rpc.BadRequest`.
    #[error("invalid argument: {message}")]
    InvalidArgument {
        message: String,
        violations: Vec<Violation>,
    },
    /// NOT_FOUND; `missing` lists what the service could not find (from
    /// `google.rpc.ResourceInfo` details).
    #[error("not found: {message}")]
    NotFound {
        message: String,
        missing: Vec<Missing>,
    },
    /// FAILED_PRECONDITION or ABORTED (e.g. a running batch); `violations` come from
    /// `google.rpc.PreconditionFailure`, their subjects are the batch ids.
    #[error("failed precondition: {message}")]
    FailedPrecondition {
        message: String,
        violations: Vec<Violation>,
    },
    /// ALREADY_EXISTS.
    #[error("already exists: {message}")]
    AlreadyExists { message: String },
    /// UNAUTHENTICATED: no, unknown or revoked credential.
    #[error("unauthenticated: {message}")]
    Unauthenticated { message: String },
    /// PERMISSION_DENIED.
    #[error("permission denied: {message}")]
    PermissionDenied { message: String },
    /// RESOURCE_EXHAUSTED: a rate or size limit.
    #[error("resource exhausted: {message}")]
    ResourceExhausted { message: String },
    /// UNAVAILABLE (the service or its database is down, or the connection failed),
    /// DEADLINE_EXCEEDED or CANCELLED: worth retrying later.
    #[error("service unavailable: {message}")]
    Unavailable { message: String },
    /// Anything else: a bug or an unexpected answer. The message is not shown to callers.
    #[error("internal error: {message}")]
    Internal { message: String },
}

/// Whether `status` was made on this side of the wire from a transport failure rather
/// than sent by the service. A status decoded from the service's `grpc-status` never
/// has a `source`; tonic gives one to every status it makes from a transport, HTTP/2 or
/// I/O error (a reset or cut stream comes as UNKNOWN or INTERNAL with such a source).
/// The messages are not looked at: the service's own INTERNAL may say anything.
fn is_transport_failure(status: &tonic::Status) -> bool {
    let mut next = std::error::Error::source(status);
    while let Some(error) = next {
        if error.is::<tonic::transport::Error>()
            || error.is::<hyper::Error>()
            || error.is::<std::io::Error>()
            || error.is::<tonic::ConnectError>()
            || error.is::<tonic::TimeoutExpired>()
            || error.is::<crate::transport::StreamCut>()
        {
            return true;
        }
        next = error.source();
    }
    false
}

impl From<tonic::Status> for UpstreamError {
    fn from(status: tonic::Status) -> Self {
        let message = status.message().to_owned();
        let details = status.get_error_details();
        match status.code() {
            Code::Ok | Code::Unknown | Code::Internal | Code::DataLoss
                if is_transport_failure(&status) =>
            {
                Self::Unavailable { message }
            }
            Code::InvalidArgument | Code::OutOfRange => Self::InvalidArgument {
                message,
                violations: details
                    .bad_request()
                    .map(|br| {
                        br.field_violations
                            .iter()
                            .map(|v| Violation {
                                subject: v.field.clone(),
                                description: v.description.clone(),
                                kind: String::new(),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            },
            Code::NotFound => Self::NotFound {
                message,
                // One ResourceInfo per missing id (the service may send several).
                missing: status
                    .get_error_details_vec()
                    .into_iter()
                    .filter_map(|detail| match detail {
                        ErrorDetail::ResourceInfo(info) => Some(Missing::from_resource_info(info)),
                        _ => None,
                    })
                    .collect(),
            },
            Code::FailedPrecondition | Code::Aborted => Self::FailedPrecondition {
                message,
                violations: details
                    .precondition_failure()
                    .map(|pf| {
                        pf.violations
                            .iter()
                            .map(|v| Violation {
                                subject: v.subject.clone(),
                                description: v.description.clone(),
                                kind: v.r#type.clone(),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            },
            Code::AlreadyExists => Self::AlreadyExists { message },
            Code::Unauthenticated => Self::Unauthenticated { message },
            Code::PermissionDenied => Self::PermissionDenied { message },
            Code::ResourceExhausted => Self::ResourceExhausted { message },
            Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled => {
                Self::Unavailable { message }
            }
            Code::Ok | Code::Unknown | Code::Unimplemented | Code::Internal | Code::DataLoss => {
                Self::Internal {
                    message: format!("{:?}: {message}", status.code()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic_types::{ErrorDetail, ErrorDetails, StatusExt};

    #[test]
    fn precondition_details_name_the_running_ids() {
        let mut details = ErrorDetails::new();
        details.add_precondition_failure_violation("RUNNING", "7", "batch 7 is running");
        let status =
            tonic::Status::with_error_details(Code::FailedPrecondition, "running", details);
        let UpstreamError::FailedPrecondition { violations, .. } = UpstreamError::from(status)
        else {
            panic!("wrong variant");
        };
        assert_eq!(violations[0].subject, "7");
        assert_eq!(violations[0].kind, "RUNNING");
    }

    #[test]
    fn not_found_details_say_what_is_missing() {
        let details = vec![
            ErrorDetail::from(tonic_types::ResourceInfo::new(
                "batch.v1.Batch",
                "5",
                "",
                "",
            )),
            ErrorDetail::from(tonic_types::ResourceInfo::new(
                "batch.v1.BatchItem",
                "8",
                "",
                "",
            )),
        ];
        let status = tonic::Status::with_error_details_vec(Code::NotFound, "gone", details);
        let UpstreamError::NotFound { missing, .. } = UpstreamError::from(status) else {
            panic!("wrong variant");
        };
        assert_eq!(
            missing,
            vec![
                Missing {
                    kind: ResourceKind::Batch,
                    id: "5".into()
                },
                Missing {
                    kind: ResourceKind::Item,
                    id: "8".into()
                },
            ]
        );
    }

    #[test]
    fn transport_failures_are_unavailable() {
        let err = UpstreamError::from(tonic::Status::unavailable("connection refused"));
        assert!(matches!(err, UpstreamError::Unavailable { .. }));
        let err = UpstreamError::from(tonic::Status::deadline_exceeded("slow"));
        assert!(matches!(err, UpstreamError::Unavailable { .. }));
    }

    /// What tonic makes of a connection that dies mid-call: UNKNOWN or INTERNAL whose
    /// source is the transport error.
    fn cut(code: Code, error: impl std::error::Error + Send + Sync + 'static) -> tonic::Status {
        let mut status = tonic::Status::new(code, format!("h2 protocol error: {error}"));
        status.set_source(std::sync::Arc::new(error));
        status
    }

    #[test]
    fn a_cut_or_reset_call_is_unavailable_whatever_tonic_calls_it() {
        for code in [Code::Unknown, Code::Internal, Code::DataLoss] {
            let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
            let err = UpstreamError::from(cut(code, reset));
            assert!(matches!(err, UpstreamError::Unavailable { .. }), "{code:?}");
            let err = UpstreamError::from(cut(code, crate::transport::StreamCut));
            assert!(matches!(err, UpstreamError::Unavailable { .. }), "{code:?}");
        }
        // The transport error may sit deeper in the chain.
        let wrapped = tonic::Status::from_error(Box::new(tonic::ConnectError(Box::new(
            std::io::Error::from(std::io::ErrorKind::BrokenPipe),
        ))));
        assert!(matches!(
            UpstreamError::from(wrapped),
            UpstreamError::Unavailable { .. }
        ));
        let err = UpstreamError::from(cut(
            Code::Cancelled,
            std::io::Error::from(std::io::ErrorKind::UnexpectedEof),
        ));
        assert!(matches!(err, UpstreamError::Unavailable { .. }));
    }

    #[test]
    fn the_services_own_internal_stays_internal_whatever_it_says() {
        // As decoded from the wire: no source, even if the text sounds like transport.
        for message in [
            "transport error",
            "connection reset",
            "h2 protocol error",
            "",
        ] {
            for code in [Code::Internal, Code::Unknown] {
                let err = UpstreamError::from(tonic::Status::new(code, message));
                assert!(
                    matches!(err, UpstreamError::Internal { .. }),
                    "{code:?} {message}"
                );
            }
        }
        // A source that is no transport error (e.g. a decode failure) is still a bug.
        let mut status = tonic::Status::internal("bad message");
        status.set_source(std::sync::Arc::new(std::fmt::Error));
        assert!(matches!(
            UpstreamError::from(status),
            UpstreamError::Internal { .. }
        ));
    }

    #[test]
    fn bad_request_fields_are_kept() {
        let mut details = ErrorDetails::new();
        details.add_bad_request_violation("ids", "must not be empty");
        let status = tonic::Status::with_error_details(Code::InvalidArgument, "bad", details);
        let UpstreamError::InvalidArgument { violations, .. } = UpstreamError::from(status) else {
            panic!("wrong variant");
        };
        assert_eq!(violations[0].subject, "ids");
    }
}
