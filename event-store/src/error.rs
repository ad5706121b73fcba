//! The event store's one error type.
//!
//! A concurrency conflict is its own variant so that callers can reload and
//! retry on it, and only on it; every other database failure stays distinct.

use cqrs_es::persist::PersistenceError;

/// Errors of the event store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Another writer appended to the same stream first (optimistic
    /// concurrency): reload the aggregate and retry the command.
    #[error("concurrent append to stream {aggregate_type}/{aggregate_id}")]
    Conflict {
        /// Type of the contended stream.
        aggregate_type: String,
        /// Id of the contended stream.
        aggregate_id: String,
    },
    /// The command id was already used by a command that wrote events.
    #[error("command {0} was already executed")]
    DuplicateCommand(uuid::Uuid),
    /// An append skipped a sequence number; this is a bug in the writer.
    #[error("sequence gap in stream: {0}")]
    SequenceGap(String),
    /// An UPDATE, DELETE or TRUNCATE of the append-only events table.
    #[error("events are append-only: {0}")]
    AppendOnly(String),
    /// Metadata that every event must carry was missing or malformed.
    #[error("invalid event metadata: {0}")]
    Metadata(String),
    /// A batch mixed streams or was not in sequence order.
    #[error("invalid append batch: {0}")]
    InvalidBatch(String),
    /// A subscriber tried to move its checkpoint backwards.
    #[error("checkpoint of {subscription} cannot move back to {to}")]
    CheckpointRegressed {
        /// The subscriber.
        subscription: String,
        /// The refused position.
        to: crate::position::Position,
    },
    /// A stored payload, metadata or snapshot could not be (de)serialised.
    #[error("serialization failed")]
    Serialization(#[from] serde_json::Error),
    /// Applying migrations failed.
    #[error("migration failed")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// Any other database failure (connection, timeout, constraint).
    #[error("database error")]
    Database(#[source] sqlx::Error),
}

/// Result with the event store's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// SQLSTATE raised by the `events_chain` trigger for a missing predecessor.
const SEQUENCE_GAP: &str = "BZ001";
/// SQLSTATE raised by the `events_append_only` trigger.
const APPEND_ONLY: &str = "BZ002";

impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        let Some(db) = error.as_database_error() else {
            return Self::Database(error);
        };
        match db.code().as_deref() {
            Some(SEQUENCE_GAP) => Self::SequenceGap(db.message().to_owned()),
            Some(APPEND_ONLY) => Self::AppendOnly(db.message().to_owned()),
            _ => Self::Database(error),
        }
    }
}

impl Error {
    /// Whether retrying after reloading the aggregate can succeed.
    pub fn is_conflict(&self) -> bool {
        matches!(self, Self::Conflict { .. })
    }

    /// Whether the transaction lost a race with another one (serialization
    /// failure, deadlock) and can be run again as it is.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Database(e) if crate::transient::sqlx_is_retryable(e))
    }
}

impl crate::transient::Transient for Error {
    fn is_transient(&self) -> bool {
        matches!(self, Self::Database(e) if crate::transient::sqlx_is_transient(e))
    }
}

impl From<Error> for PersistenceError {
    fn from(error: Error) -> Self {
        match error {
            Error::Conflict { .. } => Self::OptimisticLockError,
            Error::Serialization(e) => Self::DeserializationError(Box::new(e)),
            Error::Database(e) if is_connection_error(&e) => Self::ConnectionError(Box::new(e)),
            other => Self::UnknownError(Box::new(other)),
        }
    }
}

fn is_connection_error(error: &sqlx::Error) -> bool {
    matches!(
        error,
        sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
    )
}
