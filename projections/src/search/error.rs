//! Why a search or an indexing step failed.

/// A failed search.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The request is malformed or not allowed (the API answers 400).
    #[error("{0}")]
    Invalid(String),
    /// Postgres failed (500).
    #[error("search database error")]
    Database(#[from] sqlx::Error),
    /// Elasticsearch failed or answered something unreadable (503).
    #[error("elasticsearch: {0}")]
    Elasticsearch(String),
}

impl SearchError {
    /// An [`SearchError::Invalid`] from anything displayable.
    pub fn invalid(reason: impl std::fmt::Display) -> Self {
        Self::Invalid(reason.to_string())
    }
}
