//! Rebuilding a projection without downtime.
//!
//! A new generation (its own schema) is filled from the start of the log
//! while the live one keeps serving readers and following new events. Once
//! the new generation has caught up with the head of the log, one
//! transaction marks it live, retires the old one and points the `read`
//! views at it; the old schema is then dropped. The worker following the
//! live generation finds the old one retired and moves to the new one.
//!
//! The first pass, from zero to about the head, is most of a rebuild's
//! work, and nothing reads the generation meanwhile: a projection that
//! defers them ([`Projection::DEFER_INDEXES`]) loads it without secondary
//! indexes and foreign keys, created once after the pass
//! ([`crate::generation::create_deferred`]), and the batches of a
//! `building` generation commit without waiting for the WAL flush (see
//! [`crate::batch`]).

use sqlx::PgPool;

use crate::generation::{create, create_deferred, expose, lock, lock_for_batch, schema_name};
use crate::projection::Projection;
use crate::runtime::{catch_up_fully, CatchUpError};

/// Rebuilds `projection` from zero; returns the new generation. `progress`
/// is called with (events applied, events in the log).
pub async fn rebuild<P: Projection>(
    pool: &PgPool,
    projection: &P,
    mut progress: impl FnMut(u64, u64),
) -> Result<i32, CatchUpError> {
    let mut tx = bazaar_event_store::pool::begin(pool).await?;
    let generation = create(&mut tx, projection, "building").await?;
    tx.commit().await?;
    let total: i64 = sqlx::query_scalar("select count(*) from events")
        .fetch_one(pool)
        .await?;
    let total = u64::try_from(total).unwrap_or_default();
    // catch up until a pass finds (almost) nothing new, then switch; the
    // secondary indexes and foreign keys deferred for the first pass are
    // created after it
    let mut deferred = P::DEFER_INDEXES;
    loop {
        let applied = catch_up_fully(pool, projection, generation, |done| {
            progress(done, total.max(done))
        })
        .await?;
        if deferred {
            create_deferred(pool, projection, generation).await?;
            deferred = false;
        } else if applied < 100 && switch(pool, projection, generation).await? {
            return Ok(generation);
        }
    }
}

/// Makes `generation` the live one, atomically for readers, and drops the
/// generations it replaces; `false` (nothing changed) if one of those is
/// ahead of it, to catch up again first.
///
/// The batches of the replaced generations are held off (their advisory
/// locks, taken before any row lock, as a batch takes them) while the
/// positions are compared and the views switched; once switched, their
/// batches find them retired. So readers never go back to an earlier
/// position, which read-your-writes waits rely on (see [`crate::reached`]).
async fn switch<P: Projection>(
    pool: &PgPool,
    projection: &P,
    generation: i32,
) -> Result<bool, CatchUpError> {
    let mut tx = bazaar_event_store::pool::begin(pool).await?;
    let current: Vec<i32> = sqlx::query_scalar(
        "select generation from projection where projection_name = $1 and status in ('live', 'failed') \
         order by generation",
    )
    .bind(P::NAME)
    .fetch_all(&mut *tx)
    .await?;
    let reached = checkpoint(&mut tx, P::NAME, generation).await?;
    let mut ahead = false;
    for old in &current {
        let row = lock_for_batch(&mut tx, P::NAME, *old).await?;
        ahead |= row.checkpoint() > reached;
    }
    if ahead {
        return Ok(false);
    }
    let replaced: Vec<i32> = sqlx::query_scalar(
        "select generation from projection where projection_name = $1 and status in ('live', 'failed') \
         order by generation for update",
    )
    .bind(P::NAME)
    .fetch_all(&mut *tx)
    .await?;
    if replaced != current {
        return Ok(false);
    }
    let new = lock(&mut tx, P::NAME, generation).await?;
    if new.status != "building" {
        return Err(CatchUpError::Stopped {
            name: P::NAME,
            generation,
            status: new.status,
        });
    }
    sqlx::query(
        "update projection set status = 'retired', updated_at = clock_timestamp() \
          where projection_name = $1 and status in ('live', 'failed')",
    )
    .bind(P::NAME)
    .execute(&mut *tx)
    .await?;
    sqlx::query("update projection set status = 'live', updated_at = clock_timestamp() where projection_name = $1 and generation = $2")
        .bind(P::NAME)
        .bind(generation)
        .execute(&mut *tx)
        .await?;
    expose(&mut tx, projection, generation).await?;
    tx.commit().await?;
    for old in replaced {
        sqlx::raw_sql(&format!(
            "drop schema if exists {} cascade",
            schema_name(P::NAME, old)
        ))
        .execute(pool)
        .await?;
    }
    Ok(true)
}

/// The checkpoint of `generation` of `name`.
async fn checkpoint(
    conn: &mut sqlx::PgConnection,
    name: &str,
    generation: i32,
) -> sqlx::Result<bazaar_event_store::Position> {
    let (tx_id, position): (String, i64) = sqlx::query_as(
        "select tx_id::text, position from projection where projection_name = $1 and generation = $2",
    )
    .bind(name)
    .bind(generation)
    .fetch_one(conn)
    .await?;
    let tx_id = tx_id.parse().unwrap_or_default();
    Ok(bazaar_event_store::Position::new(tx_id, position))
}
