//! Generations of the Elasticsearch indices: rows of `projection` named
//! [`NAME`], so `bazaar projections status` shows their position and lag;
//! the indexer's checkpoint; creating a generation and switching to it.

use bazaar_event_store::{Position, RecordedEvent};
use sqlx::{PgConnection, PgPool};

use super::client::MAPPING_VERSION;
use super::error::IndexError;
use crate::generation::{generations, Generation};

/// The indices' name in `projection`.
pub const NAME: &str = "search-es";

/// The live generation, if any.
pub async fn live_generation(pool: &PgPool) -> sqlx::Result<Option<Generation>> {
    Ok(generations(pool, NAME)
        .await?
        .into_iter()
        .find(|g| g.status == "live"))
}

/// The outcome of moving a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Advance {
    /// Moved.
    Done,
    /// Someone else moved it first; here it is.
    Moved(Position),
    /// The generation is retired or failed.
    Stopped(String),
}

/// Moves `generation`'s checkpoint from `from` to `last` (compare and set).
pub async fn advance(
    conn: &mut PgConnection,
    generation: i32,
    from: Position,
    last: &RecordedEvent,
    count: usize,
) -> sqlx::Result<Advance> {
    let row = crate::generation::lock(conn, NAME, generation).await?;
    if row.status != "live" && row.status != "building" {
        return Ok(Advance::Stopped(row.status));
    }
    if row.checkpoint() != from {
        return Ok(Advance::Moved(row.checkpoint()));
    }
    sqlx::query(
        "update projection set tx_id = $3::text::xid8, position = $4, events_applied = events_applied + $5, \
                last_event_at = $6, updated_at = clock_timestamp() \
          where projection_name = $1 and generation = $2",
    )
    .bind(NAME)
    .bind(generation)
    .bind(last.position.tx_id.to_string())
    .bind(last.position.global_position)
    .bind(i64::try_from(count).unwrap_or(i64::MAX))
    .bind(last.recorded_at)
    .execute(conn)
    .await?;
    Ok(Advance::Done)
}

/// Creates the next generation's row; builds left unfinished by a crash or
/// a shutdown are retired (their indices are returned for deletion).
pub(super) async fn create_generation(pool: &PgPool) -> sqlx::Result<(i32, Vec<i32>)> {
    let mut tx = bazaar_event_store::pool::begin(pool).await?;
    let abandoned: Vec<i32> = sqlx::query_scalar(
        "update projection set status = 'retired', updated_at = clock_timestamp() \
          where projection_name = $1 and status = 'building' returning generation",
    )
    .bind(NAME)
    .fetch_all(&mut *tx)
    .await?;
    let generation: i32 = sqlx::query_scalar(
        "insert into projection (projection_name, generation, code_version, status) \
         select $1, coalesce(max(generation), 0) + 1, $2, 'building' from projection where projection_name = $1 \
         returning generation",
    )
    .bind(NAME)
    .bind(i32::try_from(MAPPING_VERSION).unwrap_or(i32::MAX))
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((generation, abandoned))
}

/// Marks `generation` live and the others retired; returns the replaced ones.
pub(super) async fn switch(pool: &PgPool, generation: i32) -> Result<Vec<i32>, IndexError> {
    let mut tx = bazaar_event_store::pool::begin(pool).await?;
    let replaced: Vec<i32> = sqlx::query_scalar(
        "update projection set status = 'retired', updated_at = clock_timestamp() \
          where projection_name = $1 and status in ('live', 'failed') returning generation",
    )
    .bind(NAME)
    .fetch_all(&mut *tx)
    .await?;
    let updated = sqlx::query(
        "update projection set status = 'live', updated_at = clock_timestamp() \
          where projection_name = $1 and generation = $2 and status = 'building'",
    )
    .bind(NAME)
    .bind(generation)
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() != 1 {
        return Err(IndexError::Stopped(format!(
            "generation {generation} is no longer building"
        )));
    }
    tx.commit().await?;
    Ok(replaced)
}
