//! Running one command against one aggregate: load, decide, append.
//!
//! Every command carries an id (`EventMetadata::command_id`) and its first
//! outcome is kept in `command_log`: written in the same statement as its
//! events when it wrote any, right after the decision when the aggregate
//! rejected it or it changed nothing. So:
//! - a retry returns the first outcome — the same events (`Outcome::replayed`),
//!   the same rejection, or the same "nothing changed" — and writes nothing;
//! - the same id with a different body, or for another stream, is refused
//!   ([`CommandError::CommandIdReused`]); commands whose ids are derived by
//!   the system ([`Executor::execute_derived`]) are matched by stream and
//!   command name only, so a deploy that changes how a saga words a command
//!   does not block replays of the old one.
//!
//! Commands on one aggregate queue behind each other inside one process (a
//! per-aggregate async lock), so a hot aggregate (one SKU's stock during a
//! sale) costs waiting, not failed attempts. Across processes, optimistic
//! concurrency decides: conflicts are retried a bounded number of times,
//! reloading the aggregate each time, with jittered backoff; after that the
//! caller gets [`CommandError::Contention`], never a half-written command.
//! Serialization failures and deadlocks are retried the same way; once the
//! attempts are spent the store's error is returned, which callers answer as
//! load (`bazaar_event_store::Transient`).
//!
//! Round trips: a warm aggregate comes from memory ([`crate::cache`]), so a
//! command decides without asking the database anything, and its append
//! joins the store's group commit. The command log is not read up front: a
//! retried command is caught where it is written (its log row's key when it
//! appends, `log_unwritten_at` when it writes nothing), and only then is its
//! first outcome looked up and returned — the same answer as before.
//!
//! A caller that knows more says so with [`Options`]
//! ([`Executor::execute_with`]): a command that creates its stream under
//! an id nobody else writes (derived from an HTTP request's key, or fresh)
//! decides on an empty aggregate without loading it; should the stream
//! exist after all (a retry whose first run committed), the append finds
//! the sequence or the command id taken and the next attempt loads and
//! decides again, or replays. A [`Receipt`] (the HTTP response an
//! idempotency key will replay) is committed with the command's events.

use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

use bazaar_event_store::{
    find_command, log_unwritten_at, read_stream, CommandRecord, Error as StoreError, EventMetadata,
    Logged, LoggedCommand, PgEventStore, Position, Receipt, Unwritten,
};
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::cache::{AggregateCache, Context};
use crate::error::CommandError;
use crate::locks::KeyedLocks;

/// Attempts before a contended command gives up.
const MAX_ATTEMPTS: u32 = 6;
/// Aggregates of one type kept in memory per executor.
const CACHED_AGGREGATES: usize = 8192;

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
    cache: AggregateCache<A>,
}

/// Builds the receipt of a command about to append: from its outcome as
/// it will be if the events commit (no position yet: the receipt's body
/// leaves room for it).
pub type ReceiptOf<'a> = dyn Fn(&Outcome) -> Receipt + Send + Sync + 'a;

/// What a caller knows about a command beyond the command itself.
#[derive(Clone, Copy, Default)]
pub struct Options<'a> {
    /// Its id was derived by the system (a saga, an HTTP request's key): a
    /// replay matches by stream and command name, see
    /// [`Executor::execute_derived`].
    pub derived: bool,
    /// It creates its stream, under an id nobody else writes: the first
    /// attempt decides on an empty aggregate instead of loading it.
    pub creates: bool,
    /// The receipt to commit with its events, if it appends any.
    pub receipt: Option<&'a ReceiptOf<'a>>,
}

/// One try at a command: what stays the same across retries.
#[derive(Clone, Copy)]
struct Attempt<'a> {
    aggregate_id: &'a str,
    metadata: &'a EventMetadata,
    record: &'a CommandRecord,
    matching: Match,
    /// A copy of the command was found logged: look its outcome up first.
    logged_before: bool,
    /// Decide on an empty aggregate (the stream is new unless this
    /// command ran before); only the first attempt does.
    assume_new: bool,
    receipt: Option<&'a ReceiptOf<'a>>,
}

/// How a replayed command id is matched against the logged one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Match {
    /// Same stream, same body.
    Body,
    /// Same stream, same command name.
    Name,
}

impl<A> Executor<A>
where
    A: Aggregate,
    A::Command: Serialize + Clone,
    A::Error: Serialize + DeserializeOwned,
{
    /// An executor over `store`, with the aggregate's services.
    pub fn new(pool: PgPool, store: PgEventStore<A>, services: A::Services) -> Self {
        Self {
            store,
            pool,
            services,
            locks: KeyedLocks::default(),
            cache: AggregateCache::new(CACHED_AGGREGATES),
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
        self.execute_with(aggregate_id, command, metadata, Options::default())
            .await
    }

    /// Like [`Self::execute`], for commands whose id the system derived
    /// from an event (sagas): a replay matches by stream and command name.
    pub async fn execute_derived(
        &self,
        aggregate_id: &str,
        command: A::Command,
        metadata: &EventMetadata,
    ) -> Result<Outcome, CommandError<A::Error>> {
        let options = Options {
            derived: true,
            ..Options::default()
        };
        self.execute_with(aggregate_id, command, metadata, options)
            .await
    }

    /// [`Self::execute`] with what the caller knows besides: see [`Options`].
    pub async fn execute_with(
        &self,
        aggregate_id: &str,
        command: A::Command,
        metadata: &EventMetadata,
        options: Options<'_>,
    ) -> Result<Outcome, CommandError<A::Error>> {
        let record = record_of::<A>(aggregate_id, &command, metadata)?;
        let matching = if options.derived {
            Match::Name
        } else {
            Match::Body
        };
        let _turn = self.locks.lock(aggregate_id).await;
        let mut logged_before = false;
        for attempt in 0..MAX_ATTEMPTS {
            let tried = Attempt {
                aggregate_id,
                metadata,
                record: &record,
                matching,
                logged_before,
                assume_new: options.creates && attempt == 0,
                receipt: options.receipt,
            };
            match self.attempt(tried, command.clone()).await {
                Err(CommandError::Store(StoreError::Conflict { .. })) => backoff(attempt).await,
                // a copy of this command committed first: answer with it
                Err(CommandError::Store(StoreError::DuplicateCommand(_))) => logged_before = true,
                // a serialization failure or deadlock wrote nothing: run it
                // again; once the attempts are spent it is answered as load
                Err(CommandError::Store(e)) if e.is_retryable() && attempt + 1 < MAX_ATTEMPTS => {
                    backoff(attempt).await;
                }
                other => return other,
            }
        }
        Err(CommandError::Contention {
            aggregate_id: aggregate_id.to_owned(),
        })
    }

    async fn attempt(
        &self,
        tried: Attempt<'_>,
        command: A::Command,
    ) -> Result<Outcome, CommandError<A::Error>> {
        let Attempt {
            aggregate_id,
            metadata,
            record,
            matching,
            ..
        } = tried;
        let mut context = match self.cache.take(aggregate_id) {
            Some(context) => context,
            None if tried.assume_new => empty(aggregate_id),
            None => self.store.load(aggregate_id).await?,
        };
        if tried.logged_before {
            if let Some(logged) = find_command(&self.pool, metadata.command_id).await? {
                self.cache.put(context);
                return self.replay(aggregate_id, record, logged, matching).await;
            }
        }
        let sink = EventSink::<A>::default();
        if let Err(rejection) = context
            .aggregate
            .handle(command, &self.services, &sink)
            .await
        {
            // the aggregate may have applied part of the command: it is
            // dropped from memory and reloaded next time
            let unwritten = Unwritten::Rejected(serde_json::to_value(&rejection)?);
            return self
                .unwritten(tried, context.current_sequence, unwritten, Err(rejection))
                .await;
        }
        let events = sink.collect().await;
        if events.is_empty() {
            let unchanged = Ok(self.outcome(aggregate_id, metadata.command_id, None, None, false));
            let sequence = context.current_sequence;
            let answer = self
                .unwritten(tried, sequence, Unwritten::Unchanged, unchanged)
                .await;
            if answer.is_ok() {
                self.cache.put(context);
            }
            return answer;
        }
        self.append(tried, events, context).await
    }

    /// Appends a decision's events; the aggregate stays in memory if they
    /// committed.
    async fn append(
        &self,
        tried: Attempt<'_>,
        events: Vec<A::Event>,
        mut context: Context<A>,
    ) -> Result<Outcome, CommandError<A::Error>> {
        let receipt = tried.receipt.map(|receipt_of| {
            let first = i64::try_from(context.current_sequence + 1).unwrap_or(i64::MAX);
            let last = first.saturating_add(i64::try_from(events.len()).unwrap_or(i64::MAX) - 1);
            let planned = self.outcome(
                tried.aggregate_id,
                tried.metadata.command_id,
                Some((first, last)),
                None,
                false,
            );
            receipt_of(&planned)
        });
        let appended = self
            .store
            .append_receipted(
                events,
                &mut context,
                tried.metadata.to_map(),
                Some(tried.record.clone()),
                receipt,
            )
            .await?;
        self.cache.put(context);
        let first = appended.first().map(|(_, a)| a.sequence);
        let last = appended.last().map(|(_, a)| (a.sequence, a.position));
        let sequences = first.zip(last.map(|l| l.0));
        Ok(self.outcome(
            tried.aggregate_id,
            tried.metadata.command_id,
            sequences,
            last.map(|l| l.1),
            false,
        ))
    }

    fn outcome(
        &self,
        aggregate_id: &str,
        command_id: uuid::Uuid,
        sequences: Option<(i64, i64)>,
        last_position: Option<Position>,
        replayed: bool,
    ) -> Outcome {
        Outcome {
            command_id,
            aggregate_id: aggregate_id.to_owned(),
            sequences,
            last_position,
            replayed,
        }
    }

    /// Logs a decision that wrote nothing, made on the stream at
    /// `sequence`, and returns it; if a copy of the command was logged
    /// first, returns that copy's outcome instead; if the stream moved on,
    /// a conflict (decide again).
    async fn unwritten(
        &self,
        tried: Attempt<'_>,
        sequence: usize,
        outcome: Unwritten,
        decided: Result<Outcome, A::Error>,
    ) -> Result<Outcome, CommandError<A::Error>> {
        let Attempt {
            aggregate_id,
            record,
            ..
        } = tried;
        let sequence = i64::try_from(sequence).unwrap_or(i64::MAX);
        match log_unwritten_at(
            &self.pool,
            A::TYPE,
            aggregate_id,
            sequence,
            record,
            &outcome,
        )
        .await?
        {
            Logged::Logged => decided.map_err(CommandError::Rejected),
            Logged::Stale => Err(CommandError::Store(StoreError::Conflict {
                aggregate_type: A::TYPE.to_owned(),
                aggregate_id: aggregate_id.to_owned(),
            })),
            Logged::Taken => {
                let logged = find_command(&self.pool, record.command_id)
                    .await?
                    .ok_or(StoreError::DuplicateCommand(record.command_id))?;
                self.replay(aggregate_id, record, logged, tried.matching)
                    .await
            }
        }
    }

    async fn replay(
        &self,
        aggregate_id: &str,
        record: &CommandRecord,
        logged: LoggedCommand,
        matching: Match,
    ) -> Result<Outcome, CommandError<A::Error>> {
        let same_stream = logged.aggregate_type == A::TYPE && logged.aggregate_id == aggregate_id;
        let same_command = match matching {
            Match::Body => logged.body_hash == record.body_hash,
            Match::Name => logged.command_type == record.command_type,
        };
        if !(same_stream && same_command) {
            return Err(CommandError::CommandIdReused(logged.command_id));
        }
        if let Some(rejection) = logged.rejection {
            return Err(CommandError::Rejected(serde_json::from_value(rejection)?));
        }
        let Some((first, last)) = logged.first_sequence.zip(logged.last_sequence) else {
            return Ok(self.outcome(aggregate_id, logged.command_id, None, None, true));
        };
        let written = read_stream(&self.pool, A::TYPE, aggregate_id, last - 1).await?;
        let position = written.first().map(|e| e.position);
        Ok(self.outcome(
            aggregate_id,
            logged.command_id,
            Some((first, last)),
            position,
            true,
        ))
    }
}

/// A stream's aggregate before its first event.
fn empty<A: Aggregate>(aggregate_id: &str) -> Context<A> {
    Context {
        aggregate_id: aggregate_id.to_owned(),
        aggregate: A::default(),
        current_sequence: 0,
        current_snapshot: None,
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
