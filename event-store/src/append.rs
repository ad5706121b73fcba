//! Writing a command's events: one statement per commit, all or nothing.
//!
//! postgres-es inserts one row per round trip and reports any unique
//! violation as a concurrency conflict. Here a whole batch goes in one
//! `INSERT … SELECT FROM unnest(…)`, and only a violation of the stream's
//! primary key (`events_pkey`) is a [`Error::Conflict`]; a duplicate event id
//! or any other constraint stays a database error.

use std::collections::HashMap;

use cqrs_es::persist::SerializedEvent;
use cqrs_es::DomainEvent;
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::command_log::CommandRecord;
use crate::error::{Error, Result};
use crate::metadata::EventMetadata;
use crate::position::Position;
use crate::receipt::Receipt;

/// The primary key whose violation means another writer won the race.
const STREAM_KEY: &str = "events_pkey";
/// The primary key whose violation means the command id was used already.
const COMMAND_KEY: &str = "command_log_pkey";

/// The columns every insert writes, `$1`…`$8`.
const INSERT: &str = "insert into events (aggregate_type, aggregate_id, sequence, event_type, \
                      event_version, payload, metadata, event_id) ";
/// Records the command in the same statement, `$9`…`$13`.
const WITH_COMMAND: &str = "with command as (insert into command_log (command_id, aggregate_type, \
     aggregate_id, command_type, body_hash, first_sequence, last_sequence) \
     values ($9, $1, $2, $10, $11, $12, $13)) ";
const RETURNING: &str = " returning sequence, global_position, tx_id::text";

/// `(sequence, global_position, tx_id as text)` returned by an insert.
type Row = (i64, i64, String);
type RowQuery<'q> = sqlx::query::QueryAs<'q, sqlx::Postgres, Row, sqlx::postgres::PgArguments>;

/// Where one appended event landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// The event's id (UUIDv7), also stored in its metadata.
    pub event_id: Uuid,
    /// The event's sequence in its stream.
    pub sequence: i64,
    /// The event's place in the commit-ordered log.
    pub position: Position,
}

/// A validated batch of one stream's events, as column arrays.
#[derive(Debug)]
pub(crate) struct Batch {
    pub(crate) aggregate_type: String,
    pub(crate) aggregate_id: String,
    pub(crate) sequences: Vec<i64>,
    pub(crate) event_types: Vec<String>,
    pub(crate) event_versions: Vec<String>,
    pub(crate) payloads: Vec<serde_json::Value>,
    pub(crate) metadata: Vec<serde_json::Value>,
    pub(crate) event_ids: Vec<Uuid>,
    pub(crate) command: Option<CommandRecord>,
    /// The response to complete its idempotency key with, in the same
    /// transaction (see [`crate::receipt`]).
    pub(crate) receipt: Option<Receipt>,
}

impl Batch {
    /// Checks that the events form one contiguous run of one stream and that
    /// each carries complete metadata, and gives each a new event id.
    pub(crate) fn prepare(events: &[SerializedEvent]) -> Result<Self> {
        let first = events
            .first()
            .ok_or_else(|| Error::InvalidBatch("no events".into()))?;
        let mut batch = Self::empty(&first.aggregate_type, &first.aggregate_id, events.len());
        for (offset, event) in events.iter().enumerate() {
            batch.check_member(first, offset, event)?;
            let map: HashMap<String, String> = serde_json::from_value(event.metadata.clone())
                .map_err(|e| Error::Metadata(format!("not a map of strings: {e}")))?;
            let event_id = Uuid::now_v7();
            batch.sequences.push(to_i64(event.sequence)?);
            batch.event_types.push(event.event_type.clone());
            batch.event_versions.push(event.event_version.clone());
            batch.payloads.push(event.payload.clone());
            batch
                .metadata
                .push(EventMetadata::from_map(&map)?.to_stored_json(event_id));
            batch.event_ids.push(event_id);
        }
        Ok(batch)
    }

    /// A store's own commit: events it numbered itself (one stream, from
    /// `first_sequence` on, so they are contiguous by construction) under
    /// metadata already checked. Each payload is serialised once and each
    /// event's stored metadata built straight from `metadata`: no detour
    /// through cqrs-es's `SerializedEvent`, whose metadata would be turned
    /// into JSON, parsed back and checked again per event.
    pub(crate) fn of_events<'e, E: DomainEvent + 'e>(
        aggregate_type: &str,
        aggregate_id: &str,
        first_sequence: usize,
        events: impl ExactSizeIterator<Item = &'e E>,
        metadata: &EventMetadata,
    ) -> Result<Self> {
        if events.len() == 0 {
            return Err(Error::InvalidBatch("no events".into()));
        }
        if first_sequence == 0 {
            return Err(Error::InvalidBatch("sequence 0".into()));
        }
        let mut batch = Self::empty(aggregate_type, aggregate_id, events.len());
        for (event, sequence) in events.zip(first_sequence..) {
            let event_id = Uuid::now_v7();
            batch.sequences.push(to_i64(sequence)?);
            batch.event_types.push(event.event_type());
            batch.event_versions.push(event.event_version());
            batch.payloads.push(serde_json::to_value(event)?);
            batch.metadata.push(metadata.to_stored_json(event_id));
            batch.event_ids.push(event_id);
        }
        Ok(batch)
    }

    fn empty(aggregate_type: &str, aggregate_id: &str, capacity: usize) -> Self {
        Self {
            aggregate_type: aggregate_type.to_owned(),
            aggregate_id: aggregate_id.to_owned(),
            sequences: Vec::with_capacity(capacity),
            event_types: Vec::with_capacity(capacity),
            event_versions: Vec::with_capacity(capacity),
            payloads: Vec::with_capacity(capacity),
            metadata: Vec::with_capacity(capacity),
            event_ids: Vec::with_capacity(capacity),
            command: None,
            receipt: None,
        }
    }

    fn check_member(
        &self,
        first: &SerializedEvent,
        offset: usize,
        event: &SerializedEvent,
    ) -> Result<()> {
        if event.aggregate_type != self.aggregate_type || event.aggregate_id != self.aggregate_id {
            return Err(Error::InvalidBatch("events of several streams".into()));
        }
        if first.sequence == 0 || event.sequence != first.sequence + offset {
            return Err(Error::InvalidBatch(format!(
                "sequence {} out of order (expected {})",
                event.sequence,
                first.sequence + offset
            )));
        }
        Ok(())
    }

    /// Inserts the batch in one statement; the hash chain is computed by the
    /// `events_chain` trigger in sequence order.
    pub(crate) async fn insert<'e>(&self, executor: impl PgExecutor<'e>) -> Result<Vec<Appended>> {
        let rows = if self.sequences.len() == 1 {
            self.insert_one(executor).await
        } else {
            self.insert_many(executor).await
        };
        self.appended(rows.map_err(|e| self.classify(e))?)
    }

    /// Records `command` in `command_log` with the events, atomically.
    pub(crate) fn with_command(mut self, command: Option<CommandRecord>) -> Self {
        self.command = command;
        self
    }

    /// Completes `receipt`'s key in the same transaction as the events.
    pub(crate) fn with_receipt(mut self, receipt: Option<Receipt>) -> Self {
        self.receipt = receipt;
        self
    }

    /// The common case, one event per command, as a plain `VALUES` insert:
    /// measurably cheaper for Postgres than `unnest` with its sort.
    async fn insert_one<'e>(&self, executor: impl PgExecutor<'e>) -> sqlx::Result<Vec<Row>> {
        let sql = format!(
            "{}{INSERT} values ($1, $2, $3, $4, $5, $6, $7, $8){RETURNING}",
            self.command_prefix()
        );
        let query = sqlx::query_as(&sql)
            .bind(&self.aggregate_type)
            .bind(&self.aggregate_id)
            .bind(self.sequences[0])
            .bind(&self.event_types[0])
            .bind(&self.event_versions[0])
            .bind(&self.payloads[0])
            .bind(&self.metadata[0])
            .bind(self.event_ids[0]);
        self.bind_command(query).fetch_all(executor).await
    }

    async fn insert_many<'e>(&self, executor: impl PgExecutor<'e>) -> sqlx::Result<Vec<Row>> {
        let sql = format!(
            "{}{INSERT} select $1, $2, s.sequence, s.event_type, s.event_version, s.payload, \
                    s.metadata, s.event_id \
               from unnest($3::bigint[], $4::text[], $5::text[], $6::jsonb[], $7::jsonb[], $8::uuid[]) \
                    with ordinality as s(sequence, event_type, event_version, payload, metadata, event_id, ord) \
              order by s.ord{RETURNING}",
            self.command_prefix()
        );
        let query = sqlx::query_as(&sql)
            .bind(&self.aggregate_type)
            .bind(&self.aggregate_id)
            .bind(&self.sequences)
            .bind(&self.event_types)
            .bind(&self.event_versions)
            .bind(&self.payloads)
            .bind(&self.metadata)
            .bind(&self.event_ids);
        self.bind_command(query).fetch_all(executor).await
    }

    fn command_prefix(&self) -> &'static str {
        if self.command.is_some() {
            WITH_COMMAND
        } else {
            ""
        }
    }

    fn bind_command<'q>(&'q self, query: RowQuery<'q>) -> RowQuery<'q> {
        let Some(command) = &self.command else {
            return query;
        };
        query
            .bind(command.command_id)
            .bind(&command.command_type)
            .bind(&command.body_hash)
            .bind(self.sequences[0])
            .bind(self.sequences[self.sequences.len() - 1])
    }

    fn appended(&self, mut rows: Vec<Row>) -> Result<Vec<Appended>> {
        rows.sort_unstable_by_key(|row| row.0);
        rows.into_iter()
            .zip(&self.event_ids)
            .map(|((sequence, global_position, tx_id), event_id)| {
                Ok(Appended {
                    event_id: *event_id,
                    sequence,
                    position: Position::new(parse_xid8(&tx_id)?, global_position),
                })
            })
            .collect()
    }

    pub(crate) fn classify(&self, error: sqlx::Error) -> Error {
        let violated = error
            .as_database_error()
            .filter(|db| db.is_unique_violation())
            .and_then(|db| db.constraint());
        if violated == Some(COMMAND_KEY) {
            if let Some(command) = &self.command {
                return Error::DuplicateCommand(command.command_id);
            }
        }
        if violated == Some(STREAM_KEY) {
            Error::Conflict {
                aggregate_type: self.aggregate_type.clone(),
                aggregate_id: self.aggregate_id.clone(),
            }
        } else {
            Error::from(error)
        }
    }
}

/// Parses an `xid8` rendered as text (sqlx has no `xid8` type).
pub fn parse_xid8(text: &str) -> Result<u64> {
    text.parse()
        .map_err(|_| Error::InvalidBatch(format!("bad xid8 {text:?} from database")))
}

fn to_i64(sequence: usize) -> Result<i64> {
    i64::try_from(sequence)
        .map_err(|_| Error::InvalidBatch(format!("sequence {sequence} too large")))
}
