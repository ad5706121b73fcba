//! Process managers: subscribers of the event log that turn events into
//! commands.
//!
//! A saga is not a cqrs-es query (those run in-process after commit and are
//! lost on a crash): it reads the store in commit order from its own durable
//! checkpoint, reacts to each event, and moves the checkpoint after the
//! reaction has fully taken effect. A crash between the two replays the
//! event; every command the reaction issues has an id derived from the event
//! and the step ([`step_id`]), and every timer an id derived the same way, so
//! the replay returns first outcomes and schedules nothing new: the saga
//! acts at least once and takes effect exactly once.
//!
//! # Layout
//! - [`checkout`]: the checkout saga across Order, InventoryReservation,
//!   PaymentSplit and Escrow.

use std::future::Future;
use std::time::Duration;

use bazaar_event_store::metadata::CORRELATION_ID;
use bazaar_event_store::{
    load_checkpoint, read_after, save_checkpoint, EventMetadata, RecordedEvent,
};
use sqlx::PgPool;
use uuid::Uuid;

pub mod checkout;

/// The id of step `step` of the reaction to `event`: the same event and
/// step always give the same id.
pub fn step_id(event: &RecordedEvent, step: &str) -> Uuid {
    Uuid::new_v5(&event.event_id, step.as_bytes())
}

/// Metadata for a command issued by `actor` in reaction to `event`: the
/// command's id is [`step_id`], it is caused by the event and shares its
/// correlation id.
pub fn caused_by(event: &RecordedEvent, step: &str, actor: &str) -> EventMetadata {
    let correlation_id = event
        .metadata
        .get(CORRELATION_ID)
        .and_then(|v| v.as_str())
        .and_then(|v| Uuid::parse_str(v).ok())
        .unwrap_or(event.event_id);
    EventMetadata {
        command_id: step_id(event, step),
        correlation_id,
        causation_id: event.event_id,
        actor: actor.to_owned(),
    }
}

/// Why a reaction did not complete; the event will be retried.
#[derive(Debug, thiserror::Error)]
#[error("{saga} could not react to event {event_id} ({event_type}): {reason}")]
pub struct ReactionFailed {
    /// The saga.
    pub saga: &'static str,
    /// The event.
    pub event_id: Uuid,
    /// Its type.
    pub event_type: String,
    /// What went wrong.
    pub reason: String,
}

/// A process manager: its checkpoint name and its reaction to one event.
pub trait Saga: Send + Sync {
    /// The subscription name under which its checkpoint is kept.
    const NAME: &'static str;

    /// Reacts to one event; must be safe to run again for the same event.
    fn react(&self, event: &RecordedEvent) -> impl Future<Output = Result<(), String>> + Send;
}

/// Reacts to up to `limit` events after the saga's checkpoint; returns how
/// many were handled. Stops at the first failed reaction, leaving the
/// checkpoint before it.
pub async fn run_once<S: Saga>(
    pool: &PgPool,
    saga: &S,
    limit: i64,
) -> Result<usize, ReactionFailed> {
    let failed = |event: Option<&RecordedEvent>, reason: String| ReactionFailed {
        saga: S::NAME,
        event_id: event.map_or(Uuid::nil(), |e| e.event_id),
        event_type: event.map_or_else(String::new, |e| e.event_type.clone()),
        reason,
    };
    let at = load_checkpoint(pool, S::NAME)
        .await
        .map_err(|e| failed(None, e.to_string()))?;
    let events = read_after(pool, at, limit)
        .await
        .map_err(|e| failed(None, e.to_string()))?;
    for event in &events {
        saga.react(event)
            .await
            .map_err(|reason| failed(Some(event), reason))?;
        save_checkpoint(pool, S::NAME, event.position)
            .await
            .map_err(|e| failed(Some(event), e.to_string()))?;
    }
    Ok(events.len())
}

/// How often a standby saga worker tries to take over.
const STANDBY: Duration = Duration::from_secs(2);

/// Runs the saga until `shutdown` completes, polling every `interval` when
/// idle and backing off after a failed reaction. Any number of processes
/// may run it: an advisory lock, held by a dedicated session, elects one;
/// the others stand by and take over when its session ends.
pub async fn run_worker<S: Saga>(
    pool: PgPool,
    saga: S,
    interval: Duration,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        match elect(&pool, S::NAME).await {
            Ok(Some(lease)) => {
                tokio::select! {
                    () = &mut shutdown => return,
                    () = lead(&pool, &saga, interval) => {}
                }
                drop(lease);
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(saga = S::NAME, %error, "saga cannot start; retrying"),
        }
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(STANDBY) => {}
        }
    }
}

/// The session holding the saga's lock, if this process won it.
async fn elect(pool: &PgPool, name: &str) -> sqlx::Result<Option<sqlx::PgConnection>> {
    let mut session = pool.acquire().await?.detach();
    let won: bool =
        sqlx::query_scalar("select pg_try_advisory_lock(hashtext('saga'), hashtext($1))")
            .bind(name)
            .fetch_one(&mut session)
            .await?;
    Ok(won.then_some(session))
}

/// Reacts to events while this process holds the lock (until cancelled).
async fn lead<S: Saga>(pool: &PgPool, saga: &S, interval: Duration) {
    loop {
        let pause = match run_once(pool, saga, 200).await {
            Ok(0) => interval,
            Ok(_) => continue,
            Err(error) => {
                tracing::error!(%error, "saga reaction failed; retrying");
                interval * 10
            }
        };
        tokio::time::sleep(pause).await;
    }
}
