//! The audit's own error type.
//!
//! The auditors' tools fail in ways the event store itself never does: a
//! malformed request (a bad cursor, an empty time range, an unknown
//! aggregate type), a stream that does not exist, a broken hash chain met
//! while signing, a key, checkpoint or export file that cannot be read.
//! Those are [`AuditError`]'s own variants, which the HTTP API maps to 4xx
//! answers; a failure of the store underneath is [`AuditError::Store`].

use crate::transient::Transient;
use crate::verify::BrokenLink;

/// Errors of the auditors' tools.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The request was malformed: the caller's fault.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The stream has no events at all.
    #[error("no stream {aggregate_type}/{aggregate_id}")]
    StreamNotFound {
        /// Type of the missing stream.
        aggregate_type: String,
        /// Id of the missing stream.
        aggregate_id: String,
    },
    /// A hash chain does not hold: the store was altered.
    #[error("hash chain broken at {0}")]
    ChainBroken(Box<BrokenLink>),
    /// A key, checkpoint or export file could not be read, parsed or made.
    #[error("invalid {what}: {reason}")]
    InvalidFile {
        /// Which kind of file.
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The event store failed underneath (database, stored data).
    #[error(transparent)]
    Store(#[from] crate::Error),
}

/// Result with the audit's [`AuditError`].
pub type Result<T, E = AuditError> = std::result::Result<T, E>;

impl From<sqlx::Error> for AuditError {
    fn from(error: sqlx::Error) -> Self {
        Self::Store(error.into())
    }
}

impl From<serde_json::Error> for AuditError {
    fn from(error: serde_json::Error) -> Self {
        Self::Store(error.into())
    }
}

impl Transient for AuditError {
    /// Only a failure of the store underneath can be load; the audit's own
    /// failures are the caller's or the data's.
    fn is_transient(&self) -> bool {
        match self {
            Self::Store(error) => error.is_transient(),
            _ => false,
        }
    }
}
