//! The indexer as operators see it, read from Postgres so that every
//! process reports the same whichever one indexes: the live generation's
//! position and lag, and the documents parked and not re-driven yet.
//! `/health/ready`, `/metrics` and `bazaar search status` show it.

use serde::Serialize;
use sqlx::PgPool;

use super::generation::NAME;
use crate::status::statuses;

/// Where the Elasticsearch indexer is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndexerStatus {
    /// The generation searches read (its indices are behind the aliases).
    pub generation: i32,
    /// `live`, or `failed` when its last batch could not be applied.
    pub state: String,
    /// Global position of the last event shipped (or parked).
    pub position: i64,
    /// Committed events not shipped yet.
    pub lag_events: i64,
    /// Age of the oldest of them, in seconds.
    pub lag_seconds: f64,
    /// Documents Elasticsearch refused, not re-driven yet
    /// (`bazaar search parked`, `bazaar search redrive`).
    pub parked: i64,
}

/// The indexer's status; `None` before the first build (or without
/// Elasticsearch).
pub async fn indexer_status(pool: &PgPool) -> sqlx::Result<Option<IndexerStatus>> {
    let Some(live) = statuses(pool)
        .await?
        .into_iter()
        .find(|s| s.projection_name == NAME && (s.status == "live" || s.status == "failed"))
    else {
        return Ok(None);
    };
    let parked = sqlx::query_scalar("select count(*) from search_parked where resolved_at is null")
        .fetch_one(pool)
        .await?;
    Ok(Some(IndexerStatus {
        generation: live.generation,
        state: live.status,
        position: live.position,
        lag_events: live.lag_events,
        lag_seconds: live.lag_seconds,
        parked,
    }))
}
