//! What every handler shares: cheap to clone.

use bazaar_projections::relay::RelayHealth;
use sqlx::PgPool;

/// Shared application state.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The event store's and read models' database.
    pub pool: PgPool,
    /// The state of this process's Kafka relay, for `/health/ready`.
    pub relay: RelayHealth,
}
