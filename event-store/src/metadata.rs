//! What every stored event says about where it came from.
//!
//! cqrs-es carries metadata as a `HashMap<String, String>`; this module gives
//! it a type so that no event reaches the store without a command id, a
//! correlation id, a causation id and an actor. The event id (UUIDv7) is
//! added by the store itself, one per event, and the recorded time is the
//! database clock at insert.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::trace_context::TraceParent;
pub use crate::trace_context::TRACEPARENT;

/// Metadata key of the command that produced the event.
pub const COMMAND_ID: &str = "command_id";
/// Metadata key of the business flow (e.g. one checkout) the event belongs to.
pub const CORRELATION_ID: &str = "correlation_id";
/// Metadata key of the command or event that directly caused this one.
pub const CAUSATION_ID: &str = "causation_id";
/// Metadata key of who issued the command (`role:subject`).
pub const ACTOR: &str = "actor";
/// Metadata key of the event's own id; written by the store.
pub const EVENT_ID: &str = "event_id";
/// Metadata key, on committed envelopes only, of the event's global position.
pub const GLOBAL_POSITION: &str = "global_position";

/// Who and what caused a command's events; required on every append.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMetadata {
    /// Id of the command; the idempotency key of the write.
    pub command_id: Uuid,
    /// Id shared by every command and event of one business flow.
    pub correlation_id: Uuid,
    /// Id of the command or event that caused this command.
    pub causation_id: Uuid,
    /// The principal, as `role:subject` (e.g. `buyer:8c1…`, `system:saga`).
    pub actor: String,
    /// The W3C trace context of the span that issued the command, if it
    /// ran in a trace ([`crate::trace_context`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
}

impl EventMetadata {
    /// Metadata for a command issued directly by `actor`: the command starts
    /// its own flow and is its own cause.
    pub fn for_command(command_id: Uuid, actor: impl Into<String>) -> Self {
        Self {
            command_id,
            correlation_id: command_id,
            causation_id: command_id,
            actor: actor.into(),
            traceparent: None,
        }
    }

    /// The cqrs-es form, to pass to `execute_with_metadata`.
    pub fn to_map(&self) -> HashMap<String, String> {
        let mut map = HashMap::from([
            (COMMAND_ID.to_owned(), self.command_id.to_string()),
            (CORRELATION_ID.to_owned(), self.correlation_id.to_string()),
            (CAUSATION_ID.to_owned(), self.causation_id.to_string()),
            (ACTOR.to_owned(), self.actor.clone()),
        ]);
        if let Some(traceparent) = &self.traceparent {
            map.insert(TRACEPARENT.to_owned(), traceparent.clone());
        }
        map
    }

    /// Parses and checks the cqrs-es form; every field is required.
    pub fn from_map(map: &HashMap<String, String>) -> Result<Self> {
        let actor = required(map, ACTOR)?.trim();
        if actor.is_empty() {
            return Err(Error::Metadata("actor is empty".into()));
        }
        Ok(Self {
            command_id: uuid_field(map, COMMAND_ID)?,
            correlation_id: uuid_field(map, CORRELATION_ID)?,
            causation_id: uuid_field(map, CAUSATION_ID)?,
            actor: actor.to_owned(),
            // optional; one that is not a trace context is dropped, never
            // stored
            traceparent: map
                .get(TRACEPARENT)
                .filter(|value| TraceParent::parse(value).is_some())
                .cloned(),
        })
    }

    /// The JSON stored with one event: these fields plus its event id.
    pub(crate) fn to_stored_json(&self, event_id: Uuid) -> serde_json::Value {
        let mut stored = serde_json::json!({
            COMMAND_ID: self.command_id,
            CORRELATION_ID: self.correlation_id,
            CAUSATION_ID: self.causation_id,
            ACTOR: self.actor,
            EVENT_ID: event_id,
        });
        if let Some(traceparent) = &self.traceparent {
            stored[TRACEPARENT] = traceparent.clone().into();
        }
        stored
    }
}

fn required<'m>(map: &'m HashMap<String, String>, key: &str) -> Result<&'m str> {
    map.get(key)
        .map(String::as_str)
        .ok_or_else(|| Error::Metadata(format!("{key} is missing")))
}

fn uuid_field(map: &HashMap<String, String>, key: &str) -> Result<Uuid> {
    let raw = required(map, key)?;
    Uuid::parse_str(raw).map_err(|_| Error::Metadata(format!("{key} is not a uuid: {raw:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_round_trips_through_the_cqrs_map() {
        let meta = EventMetadata::for_command(Uuid::now_v7(), "buyer:42");
        assert_eq!(EventMetadata::from_map(&meta.to_map()).unwrap(), meta);
    }

    #[test]
    fn missing_or_malformed_fields_are_rejected() {
        let meta = EventMetadata::for_command(Uuid::now_v7(), "buyer:42");
        for key in [COMMAND_ID, CORRELATION_ID, CAUSATION_ID, ACTOR] {
            let mut map = meta.to_map();
            map.remove(key);
            assert!(
                matches!(EventMetadata::from_map(&map), Err(Error::Metadata(m)) if m.contains(key))
            );
        }
        let mut map = meta.to_map();
        map.insert(COMMAND_ID.into(), "not-a-uuid".into());
        assert!(EventMetadata::from_map(&map).is_err());
        map = meta.to_map();
        map.insert(ACTOR.into(), "  ".into());
        assert!(EventMetadata::from_map(&map).is_err());
    }

    #[test]
    fn a_trace_context_travels_when_valid_and_is_dropped_when_not() {
        let mut meta = EventMetadata::for_command(Uuid::now_v7(), "buyer:42");
        meta.traceparent = Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into());
        let stored = meta.to_stored_json(Uuid::now_v7());
        assert_eq!(stored[TRACEPARENT], meta.traceparent.clone().unwrap());
        assert_eq!(EventMetadata::from_map(&meta.to_map()).unwrap(), meta);
        let mut map = meta.to_map();
        map.insert(TRACEPARENT.into(), "not a trace".into());
        assert_eq!(EventMetadata::from_map(&map).unwrap().traceparent, None);
        let plain = EventMetadata::for_command(Uuid::now_v7(), "buyer:42");
        assert!(plain
            .to_stored_json(Uuid::now_v7())
            .get(TRACEPARENT)
            .is_none());
    }

    #[test]
    fn stored_json_holds_only_strings_so_cqrs_can_read_it_back() {
        let meta = EventMetadata::for_command(Uuid::now_v7(), "admin:1");
        let event_id = Uuid::now_v7();
        let stored = meta.to_stored_json(event_id);
        let map: HashMap<String, String> = serde_json::from_value(stored).unwrap();
        assert_eq!(map[EVENT_ID], event_id.to_string());
        assert_eq!(EventMetadata::from_map(&map).unwrap(), meta);
    }

    /// The store answers a commit with each event's metadata built from
    /// the checked map (`to_map` plus the event id) instead of reading the
    /// stored JSON back: the two must be the same map, trace context or not.
    #[test]
    fn the_checked_map_with_the_event_id_is_the_stored_json() {
        let mut traced = EventMetadata::for_command(Uuid::now_v7(), " buyer:42 ");
        traced.traceparent = Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into());
        for meta in [
            EventMetadata::for_command(Uuid::now_v7(), "admin:1"),
            traced,
        ] {
            let mut sent = meta.to_map();
            sent.insert("unknown".into(), "dropped".into());
            let checked = EventMetadata::from_map(&sent).unwrap();
            let event_id = Uuid::now_v7();
            let mut answered = checked.to_map();
            answered.insert(EVENT_ID.into(), event_id.to_string());
            let stored: HashMap<String, String> =
                serde_json::from_value(checked.to_stored_json(event_id)).unwrap();
            assert_eq!(answered, stored);
        }
    }
}
