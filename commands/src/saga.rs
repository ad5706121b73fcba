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
//! # Concurrency
//! A saga reacts to many business flows at once and to each flow's events
//! in commit order. Each event names its partition ([`Saga::partition`]:
//! the order id, for the checkout saga); the events of one partition are
//! reacted to one after another, different partitions concurrently, at
//! most [`LANES`] at once. The checkpoint only ever moves to the end of
//! the prefix of events whose reactions have all completed, so a reaction
//! that fails or is cut off holds it back however far the other partitions
//! have gone (see `docs/adr/0006-concurrent-saga.md`).
//!
//! # Layout
//! - [`checkout`]: the checkout saga across Order, InventoryReservation,
//!   PaymentSplit and Escrow.
//! - `reactor`: partitions, lanes, and the window the checkpoint follows.
//! - [`worker`]: the long-running, elected saga process.

use std::future::Future;

use bazaar_event_store::trace_context::TraceParent;
use bazaar_event_store::{
    load_checkpoint, read_after, save_checkpoint, EventMetadata, Provenance, RecordedEvent,
};
use sqlx::PgPool;
use uuid::Uuid;

use reactor::Reactor;

pub mod checkout;
mod reactor;
pub mod worker;

pub use worker::{run_worker, Wake};

/// Partitions reacting at once. Each running reaction holds at most one
/// pooled connection at a time, so this also bounds the saga's share of
/// the pool (32 connections by default).
pub const LANES: usize = 24;

/// The id of step `step` of the reaction to `event`: the same event and
/// step always give the same id.
pub fn step_id(event: &RecordedEvent, step: &str) -> Uuid {
    Uuid::new_v5(&event.event_id, step.as_bytes())
}

/// Metadata for a command issued by `actor` in reaction to `event`: the
/// command's id is [`step_id`], it is caused by the event and shares its
/// correlation id, and it continues the event's trace (the same trace, a
/// span of its own as the parent of what the command writes).
pub fn caused_by(event: &RecordedEvent, step: &str, actor: &str) -> EventMetadata {
    let provenance = event.provenance();
    EventMetadata {
        command_id: step_id(event, step),
        correlation_id: correlation(event, &provenance),
        causation_id: event.event_id,
        actor: actor.to_owned(),
        traceparent: provenance
            .traceparent
            .as_deref()
            .and_then(TraceParent::parse)
            .map(|parent| parent.child().to_string()),
    }
}

/// The business flow `event` belongs to: its correlation id, or the event
/// itself when it starts one.
pub fn correlation_of(event: &RecordedEvent) -> Uuid {
    correlation(event, &event.provenance())
}

fn correlation(event: &RecordedEvent, provenance: &Provenance) -> Uuid {
    provenance
        .correlation_id
        .as_deref()
        .and_then(|v| Uuid::parse_str(v).ok())
        .unwrap_or(event.event_id)
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
pub trait Saga: Clone + Send + Sync + 'static {
    /// The subscription name under which its checkpoint is kept.
    const NAME: &'static str;

    /// The partition of `event`: reactions to events of one partition run
    /// one after another in commit order, those of different partitions
    /// may run at once. `None`: the saga has nothing to do for the event.
    fn partition(&self, event: &RecordedEvent) -> Option<String>;

    /// Reacts to one event; must be safe to run again for the same event.
    fn react(&self, event: &RecordedEvent) -> impl Future<Output = Result<(), String>> + Send;
}

/// Reacts to up to `limit` events after the saga's checkpoint, different
/// partitions concurrently; returns how many were handled. After a failed
/// reaction it starts nothing new, lets the running reactions finish and
/// returns the failure, the checkpoint left before the failed event.
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
    let read = events.len();
    let mut reactor = Reactor::new(saga, LANES);
    reactor.admit(events);
    let mut first_failure = None;
    loop {
        if let Some(to) = reactor.advance() {
            save_checkpoint(pool, S::NAME, to)
                .await
                .map_err(|e| failed(None, e.to_string()))?;
        }
        let Some(reaction) = reactor.next().await else {
            break;
        };
        crate::metrics::reaction(S::NAME, reaction.result.is_ok());
        match reaction.result {
            Ok(()) => reactor.completed(reaction),
            Err(ref reason) => {
                reactor.stop_starting();
                first_failure.get_or_insert_with(|| failed(Some(&reaction.event), reason.clone()));
            }
        }
    }
    first_failure.map_or(Ok(read), Err)
}
