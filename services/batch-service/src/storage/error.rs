//! The one classification of database failures, and the retries it allows.
//!
//! A caller must be able to tell "try again" from "you sent something wrong" from "this
//! is a bug", so every diesel or pool error becomes one [`StorageError`] class here and
//! nowhere else. The gRPC layer turns each class into a status in `grpc/error.rs`.
//!
//! diesel-async keeps the SQLSTATE only for the kinds diesel names; deadlocks, timeouts
//! and shutdowns arrive as `Unknown` with PostgreSQL's (English) message, so those are
//! recognised by message. An error without any SQLSTATE never came from the server: the
//! connection is gone.

use std::time::Duration;

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::pooled_connection::PoolError;

/// Why a database operation failed, in the classes a caller acts on.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StorageError {
    /// The database cannot be reached, is restarting, did not answer in time, or no
    /// connection became free in time. Nothing was changed that the caller cannot
    /// safely ask for again.
    #[error("the database is unavailable: {0}")]
    Unavailable(Unavailable),
    /// Rows stayed contended (deadlock, serialization failure) through every retry.
    #[error("the rows stayed contended through {attempts} attempts")]
    Contention { attempts: u32 },
    /// A value the database cannot store (a NUL character, an invalid byte sequence).
    #[error("the database cannot store a value: {0}")]
    UnstorableValue(String),
    /// A constraint refused the change; `constraint` names it.
    #[error("constraint {constraint} refused the change ({kind:?})")]
    Constraint {
        kind: ConstraintKind,
        constraint: String,
    },
    /// Anything else: a bug in a query or a schema out of step with the code. Holds
    /// the database's words, for the log only.
    #[error("unexpected database error: {0}")]
    Unexpected(String),
}

/// Which kind of constraint refused a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstraintKind {
    Unique,
    ForeignKey,
    Check,
    NotNull,
}

/// Why the database is unavailable; each one is worth a retry by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unavailable {
    #[error("the connection to the database was lost")]
    ConnectionLost,
    #[error("the database cannot be reached")]
    Unreachable,
    #[error("the database is shutting down or starting up")]
    Restarting,
    #[error("the database did not answer in time")]
    StatementTimeout,
    #[error("no database connection became free in time")]
    PoolTimeout,
    #[error("the service is shutting down")]
    ShuttingDown,
}

/// PostgreSQL messages (SQLSTATE class 57 and 08 among them) that diesel files under
/// `Unknown`, and what they mean for a caller.
const UNAVAILABLE_MESSAGES: &[(&str, Unavailable)] = &[
    ("statement timeout", Unavailable::StatementTimeout),
    ("terminating connection", Unavailable::Restarting),
    ("the database system is", Unavailable::Restarting),
    ("conflict with recovery", Unavailable::Restarting),
    ("server closed the connection", Unavailable::ConnectionLost),
];

/// Contention: the transaction was rolled back and is worth running again as it is.
const CONTENTION_MESSAGES: &[&str] = &["deadlock detected", "could not serialize access"];

/// Values PostgreSQL refuses to store in text (SQLSTATE 22021, 22P05, 22P02 for NUL).
const UNSTORABLE_MESSAGES: &[&str] = &[
    "invalid byte sequence",
    "unsupported unicode escape sequence",
    "untranslatable character",
    "character with byte sequence",
];

impl From<DieselError> for StorageError {
    fn from(error: DieselError) -> Self {
        let DieselError::DatabaseError(kind, info) = &error else {
            return Self::Unexpected(error.to_string());
        };
        let message = info.message().to_ascii_lowercase();
        let constraint = |kind| Self::Constraint {
            kind,
            constraint: info.constraint_name().unwrap_or("unnamed").to_owned(),
        };
        match kind {
            // No SQLSTATE: the error never came from the server.
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand => {
                Self::Unavailable(Unavailable::ConnectionLost)
            }
            DatabaseErrorKind::SerializationFailure => Self::Contention { attempts: 1 },
            DatabaseErrorKind::ReadOnlyTransaction => Self::Unavailable(Unavailable::Restarting),
            DatabaseErrorKind::UniqueViolation => constraint(ConstraintKind::Unique),
            DatabaseErrorKind::ForeignKeyViolation | DatabaseErrorKind::RestrictViolation => {
                constraint(ConstraintKind::ForeignKey)
            }
            DatabaseErrorKind::CheckViolation | DatabaseErrorKind::ExclusionViolation => {
                constraint(ConstraintKind::Check)
            }
            DatabaseErrorKind::NotNullViolation => constraint(ConstraintKind::NotNull),
            DatabaseErrorKind::Unknown | _ => {
                if let Some((_, why)) = UNAVAILABLE_MESSAGES
                    .iter()
                    .find(|(m, _)| message.contains(m))
                {
                    Self::Unavailable(*why)
                } else if CONTENTION_MESSAGES.iter().any(|m| message.contains(m)) {
                    Self::Contention { attempts: 1 }
                } else if UNSTORABLE_MESSAGES.iter().any(|m| message.contains(m)) {
                    Self::UnstorableValue(info.message().to_owned())
                } else {
                    Self::Unexpected(error.to_string())
                }
            }
        }
    }
}

impl From<bb8::RunError<PoolError>> for StorageError {
    fn from(error: bb8::RunError<PoolError>) -> Self {
        match error {
            bb8::RunError::TimedOut => Self::Unavailable(Unavailable::PoolTimeout),
            // Opening a connection failed (refused, timed out, or the server said no).
            bb8::RunError::User(_) => Self::Unavailable(Unavailable::Unreachable),
        }
    }
}

impl StorageError {
    /// True when the database rolled the work back because of other transactions,
    /// so running the same work again is safe and likely to succeed.
    pub fn is_contention(&self) -> bool {
        matches!(self, Self::Contention { .. })
    }

    /// True when the connection went away: the work may or may not have been done.
    pub fn is_connection_lost(&self) -> bool {
        matches!(
            self,
            Self::Unavailable(Unavailable::ConnectionLost | Unavailable::Restarting)
        )
    }

    /// True when PostgreSQL itself refused the statement, so it certainly changed
    /// nothing (unlike a lost connection, after which a commit may have happened).
    pub fn was_refused_by_database(&self) -> bool {
        match self {
            Self::Contention { .. }
            | Self::UnstorableValue(_)
            | Self::Constraint { .. }
            | Self::Unexpected(_)
            | Self::Unavailable(Unavailable::StatementTimeout) => true,
            Self::Unavailable(
                Unavailable::ConnectionLost
                | Unavailable::Unreachable
                | Unavailable::Restarting
                | Unavailable::PoolTimeout
                | Unavailable::ShuttingDown,
            ) => false,
        }
    }
}

/// How often contended work is run before [`StorageError::Contention`] reaches the
/// caller, and how long to wait between attempts (grown by the attempt number, so
/// the transactions that collided do not collide again in step).
pub const CONTENTION_ATTEMPTS: u32 = 4;
const CONTENTION_BACKOFF: Duration = Duration::from_millis(2);

/// The pause before attempt `attempt` (2, 3, …) of contended work.
pub(crate) fn contention_backoff(attempt: u32) -> Duration {
    // A little jitter from the clock keeps colliding transactions apart.
    let jitter = u64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_micros() % 1_000),
    );
    CONTENTION_BACKOFF * attempt * attempt + Duration::from_micros(jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database_error(kind: DatabaseErrorKind, message: &str) -> DieselError {
        DieselError::DatabaseError(kind, Box::new(message.to_owned()))
    }

    #[test]
    fn lost_connections_and_restarts_are_unavailable() {
        for (kind, message, why) in [
            (
                DatabaseErrorKind::UnableToSendCommand,
                "connection closed",
                Unavailable::ConnectionLost,
            ),
            (
                DatabaseErrorKind::ClosedConnection,
                "",
                Unavailable::ConnectionLost,
            ),
            (
                DatabaseErrorKind::Unknown,
                "terminating connection due to administrator command",
                Unavailable::Restarting,
            ),
            (
                DatabaseErrorKind::Unknown,
                "the database system is shutting down",
                Unavailable::Restarting,
            ),
            (
                DatabaseErrorKind::Unknown,
                "canceling statement due to statement timeout",
                Unavailable::StatementTimeout,
            ),
        ] {
            match StorageError::from(database_error(kind, message)) {
                StorageError::Unavailable(got) => assert_eq!(got, why, "{message}"),
                other => panic!("{message}: {other:?}"),
            }
        }
    }

    #[test]
    fn deadlocks_and_serialization_failures_are_contention() {
        for (kind, message) in [
            (DatabaseErrorKind::Unknown, "deadlock detected"),
            (
                DatabaseErrorKind::SerializationFailure,
                "could not serialize access due to concurrent update",
            ),
        ] {
            assert!(StorageError::from(database_error(kind, message)).is_contention());
        }
    }

    #[test]
    fn unstorable_text_and_constraints_say_what_they_are() {
        let nul = database_error(
            DatabaseErrorKind::Unknown,
            "invalid byte sequence for encoding \"UTF8\": 0x00",
        );
        assert!(matches!(
            StorageError::from(nul),
            StorageError::UnstorableValue(_)
        ));
        assert!(matches!(
            StorageError::from(database_error(DatabaseErrorKind::UniqueViolation, "dup")),
            StorageError::Constraint {
                kind: ConstraintKind::Unique,
                ..
            }
        ));
    }

    #[test]
    fn only_the_unknown_is_unexpected() {
        assert!(matches!(
            StorageError::from(database_error(
                DatabaseErrorKind::Unknown,
                "column \"nope\" does not exist"
            )),
            StorageError::Unexpected(_)
        ));
        assert!(matches!(
            StorageError::from(DieselError::NotFound),
            StorageError::Unexpected(_)
        ));
    }

    #[test]
    fn pool_failures_are_unavailable() {
        assert!(matches!(
            StorageError::from(bb8::RunError::<PoolError>::TimedOut),
            StorageError::Unavailable(Unavailable::PoolTimeout)
        ));
    }

    #[test]
    fn only_refused_statements_are_known_to_have_changed_nothing() {
        assert!(StorageError::Contention { attempts: 1 }.was_refused_by_database());
        assert!(!StorageError::Unavailable(Unavailable::ConnectionLost).was_refused_by_database());
    }
}
