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
        }
    }

    /// The cqrs-es form, to pass to `execute_with_metadata`.
    pub fn to_map(&self) -> HashMap<String, String> {
        HashMap::from([
            (COMMAND_ID.to_owned(), self.command_id.to_string()),
            (CORRELATION_ID.to_owned(), self.correlation_id.to_string()),
            (CAUSATION_ID.to_owned(), self.causation_id.to_string()),
            (ACTOR.to_owned(), self.actor.clone()),
        ])
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
        })
    }

    /// The JSON stored with one event: these fields plus its event id.
    pub(crate) fn to_stored_json(&self, event_id: Uuid) -> serde_json::Value {
        serde_json::json!({
            COMMAND_ID: self.command_id,
            CORRELATION_ID: self.correlation_id,
            CAUSATION_ID: self.causation_id,
            ACTOR: self.actor,
            EVENT_ID: event_id,
        })
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
    fn stored_json_holds_only_strings_so_cqrs_can_read_it_back() {
        let meta = EventMetadata::for_command(Uuid::now_v7(), "admin:1");
        let event_id = Uuid::now_v7();
        let stored = meta.to_stored_json(event_id);
        let map: HashMap<String, String> = serde_json::from_value(stored).unwrap();
        assert_eq!(map[EVENT_ID], event_id.to_string());
        assert_eq!(EventMetadata::from_map(&map).unwrap(), meta);
    }
}
