//! Why a command did not take effect.

use uuid::Uuid;

/// The outcome of a command that wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum CommandError<E: std::error::Error> {
    /// The aggregate refused the command; nothing was written.
    #[error(transparent)]
    Rejected(E),
    /// The command id was used before for a different command or stream.
    #[error("command id {0} was already used for a different command")]
    CommandIdReused(Uuid),
    /// Other writers kept winning the race for this stream; retry later.
    #[error("too much contention on {aggregate_id}; retry later")]
    Contention {
        /// The contended stream.
        aggregate_id: String,
    },
    /// The command could not be encoded (a bug, not bad input).
    #[error("command could not be encoded")]
    Encoding(#[from] serde_json::Error),
    /// The event store failed.
    #[error(transparent)]
    Store(#[from] bazaar_event_store::Error),
}

impl<E: std::error::Error> CommandError<E> {
    /// The domain's rejection, if that is what this is.
    pub fn rejection(&self) -> Option<&E> {
        match self {
            Self::Rejected(e) => Some(e),
            _ => None,
        }
    }
}

impl<E: std::error::Error> bazaar_event_store::Transient for CommandError<E> {
    /// Only the store's load failures: a rejection, a reused id or an
    /// encoding bug is the same on every retry. [`CommandError::Contention`]
    /// is answered apart (409 with `Retry-After`).
    fn is_transient(&self) -> bool {
        matches!(self, Self::Store(e) if e.is_transient())
    }
}
