//! One event as an auditor sees it: what happened, who did it and when,
//! which command caused it, and the hashes that chain it to its stream.
//!
//! Payload and metadata are kept as the exact text Postgres renders for
//! their `jsonb` (a [`RawValue`]): the JSON is the same for a reader, and
//! the hash can be recomputed from an exported line alone, byte for byte
//! (see [`AuditEvent::computed_hash`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sqlx::postgres::PgRow;
use sqlx::Row;
use uuid::Uuid;

use super::error::Result;
use crate::chain::hex;
use crate::chain::{event_hash, ChainFields, GENESIS};
use crate::metadata::{ACTOR, CAUSATION_ID, COMMAND_ID, CORRELATION_ID};
use crate::position::parse_xid8;

/// The select list and join every audit read uses; `e` is the event, `p`
/// its predecessor in the stream (for `previous_hash`).
pub(crate) const SELECT: &str = "select e.aggregate_type, e.aggregate_id, e.sequence, \
       e.event_type, e.event_version, e.event_id, e.global_position, e.tx_id::text as tx_id, \
       e.recorded_at, e.payload::text as payload, e.metadata::text as metadata, e.hash, \
       p.hash as previous_hash \
  from events e \
  left join events p on p.aggregate_type = e.aggregate_type \
                    and p.aggregate_id = e.aggregate_id and p.sequence = e.sequence - 1";

/// One stored event with its provenance and chain links.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Unique, increasing at insert; not commit order (see `tx_id`).
    pub global_position: i64,
    /// The writing transaction (`xid8`); the log's order is `(tx_id, global_position)`.
    pub tx_id: u64,
    /// When the event was inserted (database clock, microseconds).
    pub recorded_at: DateTime<Utc>,
    /// The stream's aggregate type, e.g. `Order`.
    pub aggregate_type: String,
    /// The stream's aggregate id.
    pub aggregate_id: String,
    /// 1-based place in the stream.
    pub sequence: i64,
    /// The event's type name, e.g. `OrderPlaced`.
    pub event_type: String,
    /// The payload's schema version (the stored one; not upcast).
    pub event_version: String,
    /// The event's own id (UUIDv7).
    pub event_id: Uuid,
    /// Who issued the command (`role:subject`), from the metadata.
    pub actor: Option<String>,
    /// The command that wrote the event, from the metadata.
    pub command_id: Option<String>,
    /// The business flow (e.g. one checkout) it belongs to, from the metadata.
    pub correlation_id: Option<String>,
    /// The command or event that caused it, from the metadata.
    pub causation_id: Option<String>,
    /// The event as stored (Postgres's `jsonb` text).
    pub payload: Box<RawValue>,
    /// The metadata as stored (Postgres's `jsonb` text).
    pub metadata: Box<RawValue>,
    /// sha256 of the previous hash and this event's fields, hex.
    pub hash: String,
    /// The stream's previous event's hash (zeros for sequence 1), hex;
    /// `None` if that event is missing from the store.
    pub previous_hash: Option<String>,
}

/// A provenance field of stored metadata as text (Bazaar writes strings;
/// other writers may not).
fn field(metadata: &serde_json::Map<String, serde_json::Value>, key: &str) -> Option<String> {
    match metadata.get(key)? {
        serde_json::Value::String(text) => Some(text.clone()),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    }
}

impl AuditEvent {
    /// Reads a row selected with [`SELECT`].
    pub(crate) fn from_row(row: &PgRow) -> Result<Self> {
        let sequence: i64 = row.try_get("sequence")?;
        let payload: String = row.try_get("payload")?;
        let metadata: String = row.try_get("metadata")?;
        let provenance: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&metadata).unwrap_or_default();
        let hash: Vec<u8> = row.try_get("hash")?;
        let previous: Option<Vec<u8>> = row.try_get("previous_hash")?;
        let previous = if sequence == 1 {
            Some(GENESIS.to_vec())
        } else {
            previous
        };
        Ok(Self {
            global_position: row.try_get("global_position")?,
            tx_id: parse_xid8(&row.try_get::<String, _>("tx_id")?)?,
            recorded_at: row.try_get("recorded_at")?,
            aggregate_type: row.try_get("aggregate_type")?,
            aggregate_id: row.try_get("aggregate_id")?,
            sequence,
            event_type: row.try_get("event_type")?,
            event_version: row.try_get("event_version")?,
            event_id: row.try_get("event_id")?,
            actor: field(&provenance, ACTOR),
            command_id: field(&provenance, COMMAND_ID),
            correlation_id: field(&provenance, CORRELATION_ID),
            causation_id: field(&provenance, CAUSATION_ID),
            payload: RawValue::from_string(payload)?,
            metadata: RawValue::from_string(metadata)?,
            hash: hex::encode(&hash),
            previous_hash: previous.map(|bytes| hex::encode(&bytes)),
        })
    }

    /// The fields the hash covers, as the chain trigger saw them.
    pub fn chain_fields(&self) -> ChainFields<'_> {
        ChainFields {
            aggregate_type: &self.aggregate_type,
            aggregate_id: &self.aggregate_id,
            sequence: self.sequence,
            event_type: &self.event_type,
            event_version: &self.event_version,
            event_id: self.event_id,
            global_position: self.global_position,
            recorded_at_micros: self.recorded_at.timestamp_micros(),
            payload: self.payload.get(),
            metadata: self.metadata.get(),
        }
    }

    /// The hash recomputed from `previous_hash` and the fields; `None` if
    /// `previous_hash` is missing or not 32 bytes of hex.
    pub fn computed_hash(&self) -> Option<[u8; 32]> {
        let previous = hex::decode32(self.previous_hash.as_deref()?)?;
        Some(event_hash(&previous, &self.chain_fields()))
    }

    /// Whether the stored `hash` is the hash of `previous_hash` and the
    /// stored fields.
    pub fn hash_holds(&self) -> bool {
        self.computed_hash().is_some() && hex::decode32(&self.hash) == self.computed_hash()
    }

    /// `"Order/o-1#3"`, followed by `what`.
    pub(crate) fn describe(&self, what: &str) -> String {
        format!(
            "{}/{}#{} {what}",
            self.aggregate_type, self.aggregate_id, self.sequence
        )
    }
}

impl PartialEq for AuditEvent {
    fn eq(&self, other: &Self) -> bool {
        self.global_position == other.global_position
            && self.tx_id == other.tx_id
            && self.recorded_at == other.recorded_at
            && self.event_id == other.event_id
            && self.payload.get() == other.payload.get()
            && self.metadata.get() == other.metadata.get()
            && self.hash == other.hash
            && self.previous_hash == other.previous_hash
            && (&self.aggregate_type, &self.aggregate_id, self.sequence)
                == (&other.aggregate_type, &other.aggregate_id, other.sequence)
            && (&self.event_type, &self.event_version) == (&other.event_type, &other.event_version)
    }
}
