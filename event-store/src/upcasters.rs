//! Turning stored events of an older schema version into the current one.
//!
//! Stored events are never rewritten (the table is append-only), so when an
//! event's shape changes its `event_version` is raised and an upcaster
//! converts older payloads on read. Bazaar's events are serde enums in the
//! externally tagged form `{"EventType": {fields}}`; [`fields_upcaster`]
//! edits the fields of one event type. Aggregates list their upcasters next
//! to their events and hand them to [`crate::PgEventStore::with_upcasters`].
//! Each upcaster is tested against a stored JSON fixture of the old version.

use cqrs_es::persist::{EventUpcaster, SemanticVersionEventUpcaster};
use serde_json::{Map, Value};

/// An upcaster that raises events of `event_type` older than `to_version`
/// to `to_version` by applying `edit` to the payload's fields.
///
/// # Panics
/// If `to_version` is not a semantic version such as `"2.0"`: upcasters are
/// declared with literal versions, so this is a programming error caught by
/// the upcaster's own test.
pub fn fields_upcaster(
    event_type: &'static str,
    to_version: &'static str,
    edit: fn(&mut Map<String, Value>),
) -> Box<dyn EventUpcaster> {
    Box::new(SemanticVersionEventUpcaster::new(
        event_type,
        to_version,
        Box::new(move |mut payload: Value| {
            if let Some(Value::Object(fields)) = payload.get_mut(event_type) {
                edit(fields);
            }
            payload
        }),
    ))
}

#[cfg(test)]
mod tests {
    use cqrs_es::persist::SerializedEvent;
    use serde_json::json;

    use super::*;

    fn stored(version: &str, payload: Value) -> SerializedEvent {
        SerializedEvent::new(
            "a".into(),
            1,
            "T".into(),
            "Renamed".into(),
            version.into(),
            payload,
            json!({}),
        )
    }

    #[test]
    fn older_versions_of_the_event_are_edited_and_relabelled() {
        let upcaster = fields_upcaster("Renamed", "2.0", |f| {
            let old = f.remove("name").unwrap_or(Value::Null);
            f.insert("display_name".into(), old);
        });
        assert!(upcaster.can_upcast("Renamed", "1.0"));
        assert!(!upcaster.can_upcast("Renamed", "2.0"));
        assert!(!upcaster.can_upcast("Other", "1.0"));
        let event = upcaster.upcast(stored("1.0", json!({"Renamed": {"name": "x"}})));
        assert_eq!(event.event_version, "2.0.0");
        assert_eq!(event.payload, json!({"Renamed": {"display_name": "x"}}));
    }
}
