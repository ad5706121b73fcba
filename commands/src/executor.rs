//! Running one command against one aggregate: load, decide, append.
//!
//! Every command carries an id (`EventMetadata::command_id`). The command's
//! row in `command_log` is written in the same statement as its events, so:
//! - a retry of a command that wrote events returns the first outcome and
//!   writes nothing (`Outcome::replayed`);
//! - the same id with a different body, or for another stream, is refused
//!   ([`CommandError::CommandIdReused`]);
//! - a command the aggregate rejected wrote nothing and is not logged, so
//!   retrying it decides again against the current state.
//!
//! Commands on one aggregate queue behind each other inside one process (a
//! per-aggregate async lock), so a hot aggregate (one SKU's stock during a
//! sale) costs waiting, not failed attempts. Across processes, optimistic
//! concurrency decides: conflicts are retried a bounded number of times,
//! reloading the aggregate each time, with jittered backoff; after that the
//! caller gets [`CommandError::Contention`], never a half-written command.

use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

use bazaar_event_store::{
    find_command, read_stream, CommandRecord, Error as StoreError, EventMetadata, LoggedCommand,
    PgEventStore, Position,
};
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::error::CommandError;
use crate::locks::KeyedLocks;

/// Attempts before a contended command gives up.
const MAX_ATTEMPTS: u32 = 6;

/// What a command did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// The command's id.
    pub command_id: uuid::Uuid,
    /// The stream it wrote to.
    pub aggregate_id: String,
    /// Sequences of the events it wrote, first and last (none: it changed nothing).
    pub sequences: Option<(i64, i64)>,
    /// Position of its last event, for read-your-writes.
    pub last_position: Option<Position>,
    /// Whether this is the stored outcome of an earlier run of the same command.
    pub replayed: bool,
}

/// Runs commands of aggregate `A`.
pub struct Executor<A: Aggregate> {
    store: PgEventStore<A>,
    pool: PgPool,
    services: A::Services,
    locks: KeyedLocks,
}

impl<A> Executor<A>
where
    A: Aggregate,
    A::Command: Serialize + Clone,
{
    /// An executor over `store`, with the aggregate's services.
    pub fn new(pool: PgPool, store: PgEventStore<A>, services: A::Services) -> Self {
        Self {
            store,
            pool,
            services,
            locks: KeyedLocks::default(),
        }
    }

    /// The store, for reads.
    pub fn store(&self) -> &PgEventStore<A> {
        &self.store
    }

    /// Runs `command` on `aggregate_id` once, whatever the retries.
    pub async fn execute(
        &self,
        aggregate_id: &str,
        command: A::Command,
        metadata: &EventMetadata,
    ) -> Result<Outcome, CommandError<A::Error>> {
        let record = record_of::<A>(aggregate_id, &command, metadata)?;
        let _turn = self.locks.lock(aggregate_id).await;
        for attempt in 0..MAX_ATTEMPTS {
            match self
                .attempt(aggregate_id, command.clone(), metadata, &record)
                .await
            {
                Err(CommandError::Store(StoreError::Conflict { .. })) => backoff(attempt).await,
                Err(CommandError::Store(StoreError::DuplicateCommand(_))) => {}
                other => return other,
            }
        }
        Err(CommandError::Contention {
            aggregate_id: aggregate_id.to_owned(),
        })
    }

    async fn attempt(
        &self,
        aggregate_id: &str,
        command: A::Command,
        metadata: &EventMetadata,
        record: &CommandRecord,
    ) -> Result<Outcome, CommandError<A::Error>> {
        let mut context = self.store.load(aggregate_id).await?;
        // Checked after loading: if a copy of this command committed before
        // the load, its log row is visible now and the caller gets its
        // outcome instead of a fresh decision on the changed state; if it
        // commits after, our append conflicts and the next attempt sees it.
        if let Some(logged) = find_command(&self.pool, metadata.command_id).await? {
            return self.replay(aggregate_id, record, logged).await;
        }
        let sink = EventSink::<A>::default();
        context
            .aggregate
            .handle(command, &self.services, &sink)
            .await
            .map_err(CommandError::Rejected)?;
        let events = sink.collect().await;
        let appended = self
            .store
            .append_recorded(events, context, metadata.to_map(), Some(record.clone()))
            .await?;
        let first = appended.first().map(|(_, a)| a.sequence);
        let last = appended.last().map(|(_, a)| (a.sequence, a.position));
        Ok(Outcome {
            command_id: metadata.command_id,
            aggregate_id: aggregate_id.to_owned(),
            sequences: first.zip(last.map(|l| l.0)),
            last_position: last.map(|l| l.1),
            replayed: false,
        })
    }

    async fn replay(
        &self,
        aggregate_id: &str,
        record: &CommandRecord,
        logged: LoggedCommand,
    ) -> Result<Outcome, CommandError<A::Error>> {
        let same = logged.aggregate_type == A::TYPE
            && logged.aggregate_id == aggregate_id
            && logged.body_hash == record.body_hash;
        if !same {
            return Err(CommandError::CommandIdReused(logged.command_id));
        }
        let written =
            read_stream(&self.pool, A::TYPE, aggregate_id, logged.last_sequence - 1).await?;
        Ok(Outcome {
            command_id: logged.command_id,
            aggregate_id: aggregate_id.to_owned(),
            sequences: Some((logged.first_sequence, logged.last_sequence)),
            last_position: written.first().map(|e| e.position),
            replayed: true,
        })
    }
}

/// The command's log record: its name and the hash of its canonical body.
fn record_of<A: Aggregate>(
    aggregate_id: &str,
    command: &A::Command,
    metadata: &EventMetadata,
) -> Result<CommandRecord, serde_json::Error>
where
    A::Command: Serialize,
{
    let body = serde_json::to_value(command)?;
    let command_type = match &body {
        serde_json::Value::Object(map) if map.len() == 1 => map.keys().next().cloned(),
        serde_json::Value::String(name) => Some(name.clone()),
        _ => None,
    }
    .unwrap_or_else(|| "Command".to_owned());
    let canonical = serde_json::to_vec(&(A::TYPE, aggregate_id, &body))?;
    Ok(CommandRecord {
        command_id: metadata.command_id,
        command_type,
        body_hash: Sha256::digest(canonical).to_vec(),
    })
}

/// Sleeps 2^attempt ms plus up to as much again of jitter.
async fn backoff(attempt: u32) {
    let base = 1u64 << attempt.min(8);
    let jitter = RandomState::new().hash_one(attempt) % (base * 1000);
    tokio::time::sleep(Duration::from_micros(base * 1000 + jitter)).await;
}
