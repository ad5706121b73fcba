//! Where each projection stands: position, lag in events and seconds, state.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;

/// One generation's state, for `bazaar projections status` and `/health`.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Status {
    /// The projection.
    pub projection_name: String,
    /// Its generation.
    pub generation: i32,
    /// `building`, `live`, `retired` or `failed`.
    pub status: String,
    /// Global position of the last applied event.
    pub position: i64,
    /// Events applied by this generation.
    pub events_applied: i64,
    /// Committed events not yet applied.
    pub lag_events: i64,
    /// Age of the oldest event not yet applied, in seconds (0 when caught up).
    pub lag_seconds: f64,
    /// Why it failed.
    pub error: Option<String>,
    /// When the row last changed.
    pub updated_at: DateTime<Utc>,
}

/// Every generation that is not retired.
pub async fn statuses(pool: &PgPool) -> sqlx::Result<Vec<Status>> {
    sqlx::query_as(
        "select p.projection_name, p.generation, p.status, p.position, p.events_applied, \
                coalesce(lag.events, 0) as lag_events, \
                coalesce(extract(epoch from clock_timestamp() - lag.oldest)::float8, 0) as lag_seconds, \
                p.error, p.updated_at \
           from projection p \
           left join lateral ( \
                select count(*) as events, min(e.recorded_at) as oldest from events e \
                 where (e.tx_id, e.global_position) > (p.tx_id, p.position)) lag on true \
          where p.status <> 'retired' \
          order by p.projection_name, p.generation",
    )
    .fetch_all(pool)
    .await
}
