//! Applying a batch of events to one generation, exactly once.
//!
//! The generation is locked (an advisory lock, see
//! [`lock_for_batch`]), its checkpoint compared with the one the
//! batch was read after, every event applied, and the checkpoint moved — in
//! one transaction. A second worker that somehow runs the same generation
//! (a lost advisory lock, a network partition) finds the checkpoint moved
//! and applies nothing.

use bazaar_event_store::{Position, RecordedEvent};
use sqlx::PgPool;

use crate::generation::{lock_for_batch_in, schema_name};
use crate::projection::{ApplyError, Prepared, Projection};

/// What became of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Batch {
    /// Applied; the checkpoint is now the last event's position.
    Applied(usize),
    /// Another worker moved the checkpoint; resume from it.
    Moved(Position),
    /// The generation is no longer followed (`retired` or `failed`).
    Stopped(String),
    /// An event could not be applied; the generation is now `failed`.
    Poisoned {
        /// The event's position.
        position: Position,
        /// Why.
        reason: String,
    },
}

/// Applies `events`, read after `from`, to `generation` of `projection`.
/// A database failure is returned for the caller to retry. On a poison
/// event, the events before it are applied and the generation stops there.
pub async fn apply_batch<P: Projection>(
    pool: &PgPool,
    projection: &P,
    generation: i32,
    from: Position,
    events: &[RecordedEvent],
) -> sqlx::Result<Batch> {
    apply_prepared_batch(pool, projection, generation, from, events, None).await
}

/// [`apply_batch`] with what [`Projection::prepare`] made of `events`
/// (`None`: nothing), used by the first attempt only: a retry that looks
/// for a poison event applies fewer events, without it.
pub async fn apply_prepared_batch<P: Projection>(
    pool: &PgPool,
    projection: &P,
    generation: i32,
    from: Position,
    events: &[RecordedEvent],
    prepared: Option<Prepared>,
) -> sqlx::Result<Batch> {
    match try_apply(pool, projection, generation, from, events, prepared).await? {
        Attempt::Done(batch) => Ok(batch),
        Attempt::PoisonIn(reason) => {
            tracing::warn!(
                projection = P::NAME,
                reason,
                "a set-based write failed; applying the batch one event at a time to find the event"
            );
            one_by_one(pool, projection, generation, from, events).await
        }
        Attempt::PoisonAt(index, reason) => {
            let prefix =
                try_apply(pool, projection, generation, from, &events[..index], None).await?;
            if index > 0 && !matches!(prefix, Attempt::Done(Batch::Applied(_))) {
                // the state moved meanwhile; the next read decides again
                return Ok(Batch::Moved(from));
            }
            let event = &events[index];
            mark_failed(pool, P::NAME, generation, event, &reason).await?;
            Ok(Batch::Poisoned {
                position: event.position,
                reason,
            })
        }
    }
}

enum Attempt {
    Done(Batch),
    PoisonAt(usize, String),
    /// A set-based write refused the batch; which event is not known.
    PoisonIn(String),
}

/// Applies `events` as batches of one, so a poison event is named exactly.
async fn one_by_one<P: Projection>(
    pool: &PgPool,
    projection: &P,
    generation: i32,
    mut from: Position,
    events: &[RecordedEvent],
) -> sqlx::Result<Batch> {
    for event in events {
        let single = std::slice::from_ref(event);
        match try_apply(pool, projection, generation, from, single, None).await? {
            Attempt::Done(Batch::Applied(_)) => from = event.position,
            Attempt::Done(other) => return Ok(other),
            Attempt::PoisonAt(_, reason) | Attempt::PoisonIn(reason) => {
                mark_failed(pool, P::NAME, generation, event, &reason).await?;
                return Ok(Batch::Poisoned {
                    position: event.position,
                    reason,
                });
            }
        }
    }
    Ok(Batch::Applied(events.len()))
}

async fn try_apply<P: Projection>(
    pool: &PgPool,
    projection: &P,
    generation: i32,
    from: Position,
    events: &[RecordedEvent],
    prepared: Option<Prepared>,
) -> sqlx::Result<Attempt> {
    let Some(last) = events.last() else {
        return Ok(Attempt::Done(Batch::Applied(0)));
    };
    let mut tx = bazaar_event_store::pool::begin(pool).await?;
    let schema = schema_name(P::NAME, generation);
    let row = lock_for_batch_in(&mut tx, P::NAME, generation, &schema).await?;
    if row.status == "retired" || row.status == "failed" {
        return Ok(Attempt::Done(Batch::Stopped(row.status)));
    }
    if row.checkpoint() != from {
        return Ok(Attempt::Done(Batch::Moved(row.checkpoint())));
    }
    let applied = match prepared {
        Some(prepared) => projection.apply_prepared(&mut tx, events, prepared).await,
        None => projection.apply_batch(&mut tx, events).await,
    };
    if let Err(failure) = applied {
        return match (poison_reason(failure.error), failure.at) {
            (Ok(reason), Some(index)) => Ok(Attempt::PoisonAt(index, reason)),
            (Ok(reason), None) => Ok(Attempt::PoisonIn(reason)),
            (Err(transient), _) => Err(transient),
        };
    }
    advance(&mut tx, P::NAME, generation, last, events.len()).await?;
    tx.commit().await?;
    Ok(Attempt::Done(Batch::Applied(events.len())))
}

async fn advance(
    conn: &mut sqlx::PgConnection,
    name: &str,
    generation: i32,
    last: &RecordedEvent,
    count: usize,
) -> sqlx::Result<()> {
    sqlx::query(
        "update projection set tx_id = $3::text::xid8, position = $4, events_applied = events_applied + $5, \
                last_event_at = $6, updated_at = clock_timestamp() \
          where projection_name = $1 and generation = $2",
    )
    .bind(name)
    .bind(generation)
    .bind(last.position.tx_id.to_string())
    .bind(last.position.global_position)
    .bind(i64::try_from(count).unwrap_or(i64::MAX))
    .bind(last.recorded_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A poison event's reason, or the database error to retry. Data errors and
/// constraint violations (SQLSTATE classes 22 and 23) will fail the same way
/// on every retry, so they poison; anything else is transient.
fn poison_reason(error: ApplyError) -> Result<String, sqlx::Error> {
    match error {
        ApplyError::Poison(reason) => Ok(reason),
        ApplyError::Database(error) => {
            let code = error
                .as_database_error()
                .and_then(|db| db.code())
                .map(|c| c.into_owned());
            match code {
                Some(code) if code.starts_with("22") || code.starts_with("23") => {
                    Ok(format!("{error} (sqlstate {code})"))
                }
                _ => Err(error),
            }
        }
    }
}

async fn mark_failed(
    pool: &PgPool,
    name: &str,
    generation: i32,
    event: &RecordedEvent,
    reason: &str,
) -> sqlx::Result<()> {
    tracing::error!(
        projection = name,
        generation,
        event_id = %event.event_id,
        position = %event.position,
        event_type = %event.event_type,
        reason,
        "projection stopped on an event it cannot apply"
    );
    sqlx::query(
        "update projection set status = 'failed', error = $3, error_event_id = $4, error_position = $5, \
                updated_at = clock_timestamp() \
          where projection_name = $1 and generation = $2",
    )
    .bind(name)
    .bind(generation)
    .bind(format!("{} {} at {}: {reason}", event.aggregate_type, event.event_type, event.position))
    .bind(event.event_id)
    .bind(event.position.global_position)
    .execute(pool)
    .await?;
    Ok(())
}
