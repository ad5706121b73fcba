//! The one statement a group commit runs: every queued command's events,
//! command-log rows and due snapshots, as column arrays through `unnest`.
//!
//! Sent outside any explicit transaction, the statement is its own
//! transaction: one commit, one WAL flush, all or nothing. Events are
//! inserted in queue order (`with ordinality`), so the `events_chain`
//! trigger finds each event's predecessor, written by an earlier statement
//! or earlier in this one, exactly as it does for a single append.

use std::collections::HashMap;

use sqlx::PgPool;
use uuid::Uuid;

use crate::append::{parse_xid8, Appended, Batch};
use crate::error::Result;
use crate::position::Position;
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

#[derive(Default)]
struct Columns {
    aggregate_types: Vec<String>,
    aggregate_ids: Vec<String>,
    sequences: Vec<i64>,
    event_types: Vec<String>,
    event_versions: Vec<String>,
    payloads: Vec<serde_json::Value>,
    metadata: Vec<serde_json::Value>,
    event_ids: Vec<Uuid>,
    command_ids: Vec<Uuid>,
    command_types: Vec<String>,
    command_streams: Vec<(String, String)>,
    body_hashes: Vec<Vec<u8>>,
    firsts: Vec<i64>,
    lasts: Vec<i64>,
    snapshot_streams: Vec<(String, String)>,
    snapshot_sequences: Vec<i64>,
    snapshot_counts: Vec<i64>,
    snapshot_payloads: Vec<serde_json::Value>,
}

impl Columns {
    fn of(writes: &[&Write]) -> Self {
        let mut columns = Self::default();
        for write in writes {
            columns.push(write);
        }
        columns
    }

    fn push(&mut self, write: &Write) {
        let batch = &write.batch;
        let stream = (batch.aggregate_type.clone(), batch.aggregate_id.clone());
        for _ in &batch.sequences {
            self.aggregate_types.push(stream.0.clone());
            self.aggregate_ids.push(stream.1.clone());
        }
        self.sequences.extend_from_slice(&batch.sequences);
        self.event_types.extend_from_slice(&batch.event_types);
        self.event_versions.extend_from_slice(&batch.event_versions);
        self.payloads.extend_from_slice(&batch.payloads);
        self.metadata.extend_from_slice(&batch.metadata);
        self.event_ids.extend_from_slice(&batch.event_ids);
        if let Some(command) = &batch.command {
            self.command_ids.push(command.command_id);
            self.command_types.push(command.command_type.clone());
            self.command_streams.push(stream.clone());
            self.body_hashes.push(command.body_hash.clone());
            self.firsts.push(batch.sequences[0]);
            self.lasts.push(batch.sequences[batch.sequences.len() - 1]);
        }
        if let Some(snapshot) = &write.snapshot {
            self.snapshot_streams.push(stream);
            self.snapshot_sequences.push(snapshot.last_sequence);
            self.snapshot_counts.push(snapshot.current_snapshot);
            self.snapshot_payloads.push(snapshot.payload.clone());
        }
    }
}

/// Where each event landed, by event id.
pub(crate) type Landed = HashMap<Uuid, Appended>;

/// Writes `writes` in one statement (one transaction).
pub(crate) async fn write_all(pool: &PgPool, writes: &[&Write]) -> sqlx::Result<Landed> {
    let c = Columns::of(writes);
    let (logged_types, logged_ids): (Vec<_>, Vec<_>) = c.command_streams.into_iter().unzip();
    let (snapshot_types, snapshot_ids): (Vec<_>, Vec<_>) = c.snapshot_streams.into_iter().unzip();
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
        .bind(&logged_types)
        .bind(&logged_ids)
        .bind(&c.command_types)
        .bind(&c.body_hashes)
        .bind(&c.firsts)
        .bind(&c.lasts)
        .bind(&snapshot_types)
        .bind(&snapshot_ids)
        .bind(&c.snapshot_sequences)
        .bind(&c.snapshot_counts)
        .bind(&c.snapshot_payloads)
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
