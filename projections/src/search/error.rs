//! Why a search failed, whichever backend answered. The indexer's own
//! failures are [`super::es::error::IndexError`].

/// A failed search.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The request is malformed or not allowed (the API answers 400).
    #[error("{0}")]
    Invalid(String),
    /// Postgres failed (503 when it is load, else 500).
    #[error("search database error")]
    Database(#[from] sqlx::Error),
    /// Elasticsearch failed or answered something unreadable (503).
    #[error("elasticsearch: {0}")]
    Elasticsearch(String),
}

impl bazaar_event_store::Transient for SearchError {
    /// Postgres under load; Elasticsearch failures are answered apart.
    fn is_transient(&self) -> bool {
        matches!(self, Self::Database(e) if bazaar_event_store::transient::sqlx_is_transient(e))
    }
}

impl SearchError {
    /// An [`SearchError::Invalid`] from anything displayable.
    pub fn invalid(reason: impl std::fmt::Display) -> Self {
        Self::Invalid(reason.to_string())
    }

    /// An [`SearchError::Elasticsearch`] for an answer that is not what a
    /// search expects (a missing field, a sum that is not an integer).
    pub fn unexpected(what: impl std::fmt::Display) -> Self {
        Self::Elasticsearch(format!("unexpected search answer: {what}"))
    }
}
