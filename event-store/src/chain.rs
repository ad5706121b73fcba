//! The tamper-evident hash chain of each stream, computed in Rust.
//!
//! The `events_chain` trigger (first migration) sets
//! `hash = sha256(previous_hash || field || field || …)` on insert, where the
//! previous hash is that of the stream's previous event (32 zero bytes for
//! sequence 1) and each field is its UTF-8 text prefixed by its length as a
//! big-endian `u32`. This module builds the same bytes independently, so a
//! verifier does not trust the database's own function: the two must agree
//! on every untouched event, and an altered, removed or reordered event
//! breaks the chain from that point on.

use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The hash before a stream's first event.
pub const GENESIS: [u8; 32] = [0; 32];

/// The fields of one event that its hash covers, as the database renders
/// them (`payload::text`, `metadata::text`, recorded time in microseconds).
#[derive(Debug, Clone, Copy)]
pub struct ChainFields<'a> {
    /// Aggregate type of the stream.
    pub aggregate_type: &'a str,
    /// Aggregate id of the stream.
    pub aggregate_id: &'a str,
    /// Sequence within the stream.
    pub sequence: i64,
    /// Event type name.
    pub event_type: &'a str,
    /// Event schema version.
    pub event_version: &'a str,
    /// Event id.
    pub event_id: Uuid,
    /// Global position.
    pub global_position: i64,
    /// `recorded_at` as microseconds since the Unix epoch.
    pub recorded_at_micros: i64,
    /// The payload as Postgres renders `jsonb` to text.
    pub payload: &'a str,
    /// The metadata as Postgres renders `jsonb` to text.
    pub metadata: &'a str,
}

/// The hash of an event given the hash of its predecessor.
pub fn event_hash(previous: &[u8], fields: &ChainFields<'_>) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(previous);
    let sequence = fields.sequence.to_string();
    let event_id = fields.event_id.to_string();
    let position = fields.global_position.to_string();
    let recorded = fields.recorded_at_micros.to_string();
    for field in [
        fields.aggregate_type,
        fields.aggregate_id,
        &sequence,
        fields.event_type,
        fields.event_version,
        &event_id,
        &position,
        &recorded,
        fields.payload,
        fields.metadata,
    ] {
        update_field(&mut hasher, field);
    }
    hasher.finalize().into()
}

fn update_field(hasher: &mut Sha256, field: &str) {
    let length = u32::try_from(field.len()).unwrap_or(u32::MAX);
    hasher.update(length.to_be_bytes());
    hasher.update(field.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields<'a>(payload: &'a str) -> ChainFields<'a> {
        ChainFields {
            aggregate_type: "Order",
            aggregate_id: "o-1",
            sequence: 1,
            event_type: "OrderPlaced",
            event_version: "1.0",
            event_id: Uuid::nil(),
            global_position: 7,
            recorded_at_micros: 1_700_000_000_000_000,
            payload,
            metadata: "{}",
        }
    }

    #[test]
    fn any_changed_field_changes_the_hash() {
        let base = event_hash(&GENESIS, &fields(r#"{"a": 1}"#));
        assert_ne!(base, event_hash(&GENESIS, &fields(r#"{"a": 2}"#)));
        let mut moved = fields(r#"{"a": 1}"#);
        moved.sequence = 2;
        assert_ne!(base, event_hash(&GENESIS, &moved));
        assert_ne!(base, event_hash(&[1; 32], &fields(r#"{"a": 1}"#)));
    }

    #[test]
    fn length_prefixes_keep_field_boundaries_apart() {
        let mut a = fields("{}");
        a.aggregate_type = "Orde";
        a.aggregate_id = "ro-1";
        assert_ne!(
            event_hash(&GENESIS, &a),
            event_hash(&GENESIS, &fields("{}"))
        );
    }
}
