//! Why an indexing step (a batch, a rebuild, a re-drive) failed: one type
//! for the indexer's modules, so none of them imports another for it.
//! Every failure is retried from the checkpoint.

use super::bulk::Refusal;
use super::client::EsError;

/// Why a step failed; every failure is retried from the checkpoint.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// Elasticsearch failed.
    #[error(transparent)]
    Es(#[from] EsError),
    /// Postgres failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Reading the log failed.
    #[error("event store: {0}")]
    Store(#[from] bazaar_event_store::Error),
    /// An item failed for a reason that is not the document's (401, 403,
    /// 404 index missing, …).
    #[error("elasticsearch refused {id}: {status} {reason}", status = .refusal.status, reason = .refusal.reason)]
    Refused {
        /// The document.
        id: String,
        /// Why.
        refusal: Refusal,
    },
    /// A touched document is missing from the search projection.
    #[error("search document {0} is missing from read.search_*")]
    Missing(String),
    /// The generation is no longer followed.
    #[error("generation is {0}")]
    Stopped(String),
}
