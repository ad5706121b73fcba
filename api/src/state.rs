//! What every handler shares: cheap to clone.

use sqlx::PgPool;

/// Shared application state.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The event store's and read models' database.
    pub pool: PgPool,
}
