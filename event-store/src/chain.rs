//! The tamper-evident hash chain of each stream, computed in Rust.
//!
//! The `events_chain` trigger (first migration) sets
//! `hash = sha256(previous_hash || jsonb_build_array(fields…)::text)`, where
//! the previous hash is that of the stream's previous event (32 zero bytes
//! for sequence 1). This module renders the same array text the way Postgres
//! renders `jsonb` (`", "` between elements, Postgres's string escaping) from
//! the stored fields, so the verifier does not trust the database's own
//! function: the two must agree on every untouched event, and an altered,
//! removed or reordered event breaks the chain from that point on.
//!
//! [`hex`] renders hashes as the lowercase hex that JSON and auditors' files
//! carry.

pub mod hex;

use std::fmt::Write;

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
    event_hash_with(&mut String::new(), previous, fields)
}

/// [`event_hash`], rendering the input into `buffer` (cleared first) so a
/// caller hashing many events reuses one allocation.
pub fn event_hash_with(buffer: &mut String, previous: &[u8], fields: &ChainFields<'_>) -> [u8; 32] {
    buffer.clear();
    write_input(buffer, fields);
    let mut hasher = Sha256::new();
    hasher.update(previous);
    hasher.update(buffer.as_bytes());
    hasher.finalize().into()
}

/// The text Postgres produces for the trigger's `jsonb_build_array(…)`.
pub fn hash_input(fields: &ChainFields<'_>) -> String {
    let mut text = String::with_capacity(128 + fields.payload.len() + fields.metadata.len());
    write_input(&mut text, fields);
    text
}

fn write_input(text: &mut String, fields: &ChainFields<'_>) {
    // writing to a String cannot fail
    let _ = write!(text, "[");
    push_json_string(text, fields.aggregate_type);
    text.push_str(", ");
    push_json_string(text, fields.aggregate_id);
    let _ = write!(text, ", {}, ", fields.sequence);
    push_json_string(text, fields.event_type);
    text.push_str(", ");
    push_json_string(text, fields.event_version);
    let _ = write!(
        text,
        ", \"{}\", {}, {}, {}, {}]",
        fields.event_id.hyphenated(),
        fields.global_position,
        fields.recorded_at_micros,
        fields.payload,
        fields.metadata
    );
}

/// Appends `value` as a JSON string escaped exactly as Postgres's
/// `escape_json` does.
fn push_json_string(text: &mut String, value: &str) {
    text.push('"');
    for c in value.chars() {
        match c {
            '"' => text.push_str("\\\""),
            '\\' => text.push_str("\\\\"),
            '\u{8}' => text.push_str("\\b"),
            '\u{c}' => text.push_str("\\f"),
            '\n' => text.push_str("\\n"),
            '\r' => text.push_str("\\r"),
            '\t' => text.push_str("\\t"),
            c if c < ' ' => {
                let _ = write!(text, "\\u{:04x}", c as u32);
            }
            c => text.push(c),
        }
    }
    text.push('"');
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
    fn field_boundaries_cannot_be_shifted() {
        let mut a = fields("{}");
        a.aggregate_type = "Orde";
        a.aggregate_id = "ro-1";
        assert_ne!(
            event_hash(&GENESIS, &a),
            event_hash(&GENESIS, &fields("{}"))
        );
    }

    #[test]
    fn the_input_is_rendered_like_postgres_jsonb_text() {
        let mut odd = fields(r#"{"a": 1}"#);
        odd.aggregate_id = "q\"b\\n\n\u{1}é";
        assert_eq!(
            hash_input(&odd),
            r#"["Order", "q\"b\\n\n\u0001é", 1, "OrderPlaced", "1.0", "00000000-0000-0000-0000-000000000000", 7, 1700000000000000, {"a": 1}, {}]"#
        );
    }
}
