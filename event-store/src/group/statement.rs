//! The one statement a group commit runs: every queued command's events,
//! command-log rows and due snapshots, as column arrays through `unnest`.
//!
//! Sent outside any explicit transaction, the statement is its own
//! transaction: one commit, one WAL flush, all or nothing. Events are
//! inserted in queue order (`with ordinality`), so the `events_chain`
//! trigger finds each event's predecessor, written by an earlier statement
//! or earlier in this one, exactly as it does for a single append.
//!
//! A command carrying a [`Receipt`] completes its idempotency key here too,
//! with the position of its last event written into the stored body (see
//! [`crate::receipt`]): only if the key still holds the receipt's lease,
//! and a key that does not (a retry took it over) is no error, so a lost
//! lease never refuses the batch.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::append::{parse_xid8, Appended, Batch};
use crate::error::Result;
use crate::position::Position;
use crate::receipt::Receipt;
use crate::snapshot::Snapshot;

const SQL: &str = "\
with appended as (
    insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                        payload, metadata, event_id)
    select e.aggregate_type, e.aggregate_id, e.sequence, e.event_type, e.event_version,
           e.payload, e.metadata, e.event_id
      from unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::jsonb[],
                  $7::jsonb[], $8::uuid[])
           with ordinality as e(aggregate_type, aggregate_id, sequence, event_type,
                                event_version, payload, metadata, event_id, ord)
     order by e.ord
    returning event_id, sequence, global_position, tx_id::text
), logged as (
    insert into command_log (command_id, aggregate_type, aggregate_id, command_type, body_hash,
                             first_sequence, last_sequence)
    select * from unnest($9::uuid[], $10::text[], $11::text[], $12::text[], $13::bytea[],
                         $14::bigint[], $15::bigint[])
), snapshotted as (
    insert into snapshots (aggregate_type, aggregate_id, last_sequence, current_snapshot, payload)
    select * from unnest($16::text[], $17::text[], $18::bigint[], $19::bigint[], $20::jsonb[])
    on conflict (aggregate_type, aggregate_id) do update
       set last_sequence = excluded.last_sequence, current_snapshot = excluded.current_snapshot,
           payload = excluded.payload, updated_at = clock_timestamp()
     where snapshots.last_sequence < excluded.last_sequence
), receipted as (
    update api_idempotency k
       set state = 'done', response_status = r.status, response_type = r.content_type,
           response_location = r.location,
           response_body = r.head || convert_to(a.tx_id || '-' || a.global_position::text, 'UTF8')
                           || r.tail,
           completed_at = now()
      from unnest($21::text[], $22::text[], $23::timestamptz[], $24::int[], $25::text[],
                  $26::text[], $27::bytea[], $28::bytea[], $29::uuid[])
           as r(principal, key, lease_until, status, content_type, location, head, tail, last_event)
      join appended a on a.event_id = r.last_event
     where k.principal = r.principal and k.idempotency_key = r.key
       and k.state = 'in_flight' and k.lease_until = r.lease_until
)
select event_id, sequence, global_position, tx_id from appended";

/// One command's share of a group commit.
#[derive(Debug)]
pub(crate) struct Write {
    /// Its events (and command record), one stream.
    pub(crate) batch: Batch,
    /// The snapshot due with them, if any.
    pub(crate) snapshot: Option<Snapshot>,
}

/// The statement's parameters, borrowed from the queued writes: building
/// them copies no string or JSON tree (a refused batch is split and its
/// halves bound again, so the writes stay the owners).
#[derive(Default)]
struct Columns<'a> {
    aggregate_types: Vec<&'a str>,
    aggregate_ids: Vec<&'a str>,
    sequences: Vec<i64>,
    event_types: Vec<&'a str>,
    event_versions: Vec<&'a str>,
    payloads: Vec<Json<&'a Value>>,
    metadata: Vec<Json<&'a Value>>,
    event_ids: Vec<Uuid>,
    command_ids: Vec<Uuid>,
    command_types: Vec<&'a str>,
    logged_types: Vec<&'a str>,
    logged_ids: Vec<&'a str>,
    body_hashes: Vec<&'a [u8]>,
    firsts: Vec<i64>,
    lasts: Vec<i64>,
    snapshot_types: Vec<&'a str>,
    snapshot_ids: Vec<&'a str>,
    snapshot_sequences: Vec<i64>,
    snapshot_counts: Vec<i64>,
    snapshot_payloads: Vec<Json<&'a Value>>,
    receipts: Receipts<'a>,
}

/// The receipts' columns; `last_events` names the event whose position
/// goes into each body.
#[derive(Default)]
struct Receipts<'a> {
    principals: Vec<&'a str>,
    keys: Vec<&'a str>,
    leases: Vec<DateTime<Utc>>,
    statuses: Vec<i32>,
    content_types: Vec<Option<&'a str>>,
    locations: Vec<Option<&'a str>>,
    heads: Vec<&'a [u8]>,
    tails: Vec<&'a [u8]>,
    last_events: Vec<Uuid>,
}

impl<'a> Receipts<'a> {
    fn push(&mut self, receipt: &'a Receipt, last_event: Uuid) {
        self.principals.push(&receipt.principal);
        self.keys.push(&receipt.key);
        self.leases.push(receipt.lease_until);
        self.statuses.push(receipt.status);
        self.content_types.push(receipt.content_type.as_deref());
        self.locations.push(receipt.location.as_deref());
        self.heads.push(&receipt.body_head);
        self.tails.push(&receipt.body_tail);
        self.last_events.push(last_event);
    }
}

impl<'a> Columns<'a> {
    fn of(writes: &[&'a Write]) -> Self {
        let events = writes.iter().map(|w| w.batch.sequences.len()).sum();
        let mut columns = Self::with_capacity(events, writes.len());
        for write in writes {
            columns.push(write);
        }
        columns
    }

    fn with_capacity(events: usize, commands: usize) -> Self {
        Self {
            aggregate_types: Vec::with_capacity(events),
            aggregate_ids: Vec::with_capacity(events),
            sequences: Vec::with_capacity(events),
            event_types: Vec::with_capacity(events),
            event_versions: Vec::with_capacity(events),
            payloads: Vec::with_capacity(events),
            metadata: Vec::with_capacity(events),
            event_ids: Vec::with_capacity(events),
            command_ids: Vec::with_capacity(commands),
            command_types: Vec::with_capacity(commands),
            logged_types: Vec::with_capacity(commands),
            logged_ids: Vec::with_capacity(commands),
            body_hashes: Vec::with_capacity(commands),
            firsts: Vec::with_capacity(commands),
            lasts: Vec::with_capacity(commands),
            ..Self::default()
        }
    }

    fn push(&mut self, write: &'a Write) {
        let batch = &write.batch;
        let (aggregate_type, aggregate_id) = (&*batch.aggregate_type, &*batch.aggregate_id);
        for _ in &batch.sequences {
            self.aggregate_types.push(aggregate_type);
            self.aggregate_ids.push(aggregate_id);
        }
        self.sequences.extend_from_slice(&batch.sequences);
        self.event_types
            .extend(batch.event_types.iter().map(String::as_str));
        self.event_versions
            .extend(batch.event_versions.iter().map(String::as_str));
        self.payloads.extend(batch.payloads.iter().map(Json));
        self.metadata.extend(batch.metadata.iter().map(Json));
        self.event_ids.extend_from_slice(&batch.event_ids);
        if let Some(command) = &batch.command {
            self.command_ids.push(command.command_id);
            self.command_types.push(&command.command_type);
            self.logged_types.push(aggregate_type);
            self.logged_ids.push(aggregate_id);
            self.body_hashes.push(&command.body_hash);
            self.firsts.push(batch.sequences[0]);
            self.lasts.push(batch.sequences[batch.sequences.len() - 1]);
        }
        if let (Some(receipt), Some(last)) = (&batch.receipt, batch.event_ids.last()) {
            self.receipts.push(receipt, *last);
        }
        if let Some(snapshot) = &write.snapshot {
            self.snapshot_types.push(aggregate_type);
            self.snapshot_ids.push(aggregate_id);
            self.snapshot_sequences.push(snapshot.last_sequence);
            self.snapshot_counts.push(snapshot.current_snapshot);
            self.snapshot_payloads.push(Json(&snapshot.payload));
        }
    }
}

/// Where each event landed, by event id.
pub(crate) type Landed = HashMap<Uuid, Appended>;

/// Writes `writes` in one statement (one transaction).
pub(crate) async fn write_all(pool: &PgPool, writes: &[&Write]) -> sqlx::Result<Landed> {
    let c = Columns::of(writes);
    let r = &c.receipts;
    let rows: Vec<(Uuid, i64, i64, String)> = sqlx::query_as(SQL)
        .bind(&c.aggregate_types)
        .bind(&c.aggregate_ids)
        .bind(&c.sequences)
        .bind(&c.event_types)
        .bind(&c.event_versions)
        .bind(&c.payloads)
        .bind(&c.metadata)
        .bind(&c.event_ids)
        .bind(&c.command_ids)
        .bind(&c.logged_types)
        .bind(&c.logged_ids)
        .bind(&c.command_types)
        .bind(&c.body_hashes)
        .bind(&c.firsts)
        .bind(&c.lasts)
        .bind(&c.snapshot_types)
        .bind(&c.snapshot_ids)
        .bind(&c.snapshot_sequences)
        .bind(&c.snapshot_counts)
        .bind(&c.snapshot_payloads)
        .bind(&r.principals)
        .bind(&r.keys)
        .bind(&r.leases)
        .bind(&r.statuses)
        .bind(&r.content_types)
        .bind(&r.locations)
        .bind(&r.heads)
        .bind(&r.tails)
        .bind(&r.last_events)
        .fetch_all(pool)
        .await?;
    rows.into_iter()
        .map(|(event_id, sequence, global_position, tx_id)| {
            let tx_id = parse_xid8(&tx_id).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
            let position = Position::new(tx_id, global_position);
            let appended = Appended {
                event_id,
                sequence,
                position,
            };
            Ok((event_id, appended))
        })
        .collect()
}

/// The landed events of one write, in sequence order.
pub(crate) fn landed_of(write: &Write, landed: &Landed) -> Result<Vec<Appended>> {
    write
        .batch
        .event_ids
        .iter()
        .map(|id| {
            landed.get(id).copied().ok_or_else(|| {
                crate::Error::InvalidBatch(format!("event {id} missing from the group commit"))
            })
        })
        .collect()
}
