//! The Kafka record of one event, in CloudEvents 1.0 binary content mode
//! (the Kafka protocol binding): the value is the event's JSON payload as
//! stored, the attributes travel as `ce_*` headers.
//!
//! Extension attributes follow CloudEvents naming (lowercase letters and
//! digits, at most 20 characters) so CloudEvents SDKs expose them as
//! extensions. The stream sequence is `ce_aggregatesequence`, not the
//! standard `sequence` extension: that one orders a whole source by string
//! comparison, while ours is a number per aggregate (`ce_subject`). Their names are part of the contract in
//! `docs/kafka-topics.md`: never rename one.

use bazaar_event_store::{Provenance, RecordedEvent};
use chrono::SecondsFormat;
use rdkafka::message::{Header, OwnedHeaders};

/// The `ce_specversion` of every record.
pub const SPEC_VERSION: &str = "1.0";
/// The `content-type` of every record's value.
pub const CONTENT_TYPE: &str = "application/json";

/// Extension headers taken from the event's metadata (its provenance). The
/// W3C trace context travels as the plain `traceparent` header that
/// OpenTelemetry's Kafka instrumentations read, when the event has one.
fn metadata_headers(provenance: Provenance) -> [(&'static str, Option<String>); 5] {
    [
        ("ce_commandid", provenance.command_id),
        ("ce_correlationid", provenance.correlation_id),
        ("ce_causationid", provenance.causation_id),
        ("ce_actor", provenance.actor),
        ("traceparent", provenance.traceparent),
    ]
}

/// The topic of an aggregate type: `prefix` + type, with any character
/// Kafka refuses in a topic name (anything but `[A-Za-z0-9._-]`) replaced
/// by `_`, so an odd type name cannot wedge the relay.
pub fn topic_name(prefix: &str, aggregate_type: &str) -> String {
    format!("{prefix}{aggregate_type}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The `ce_source` of an aggregate type's events.
pub fn source(aggregate_type: &str) -> String {
    format!("/bazaar/{aggregate_type}")
}

/// Every header of `event`'s record, as `(name, value)` pairs, in a fixed
/// order: the CloudEvents context attributes, then Bazaar's extensions.
pub fn header_pairs(event: &RecordedEvent) -> Vec<(&'static str, String)> {
    let mut pairs = vec![
        ("ce_specversion", SPEC_VERSION.to_owned()),
        ("ce_id", event.event_id.to_string()),
        ("ce_type", event.event_type.clone()),
        ("ce_source", source(&event.aggregate_type)),
        ("ce_subject", event.aggregate_id.clone()),
        (
            "ce_time",
            event
                .recorded_at
                .to_rfc3339_opts(SecondsFormat::Micros, true),
        ),
        ("content-type", CONTENT_TYPE.to_owned()),
        ("ce_aggregatetype", event.aggregate_type.clone()),
        ("ce_aggregatesequence", event.sequence.to_string()),
        ("ce_eventversion", event.event_version.clone()),
        (
            "ce_globalposition",
            event.position.global_position.to_string(),
        ),
        ("ce_txid", event.position.tx_id.to_string()),
    ];
    for (header, value) in metadata_headers(event.provenance()) {
        if let Some(value) = value {
            pairs.push((header, value));
        }
    }
    pairs
}

/// The headers of `event`'s record.
pub fn headers(event: &RecordedEvent) -> OwnedHeaders {
    header_pairs(event)
        .into_iter()
        .fold(OwnedHeaders::new(), |headers, (key, value)| {
            headers.insert(Header {
                key,
                value: Some(value.as_bytes()),
            })
        })
}

/// The record's value: the stored payload, `{"EventType": {fields}}`,
/// serialised compactly with its keys in serde_json's order, byte for byte
/// what the relay has always published (Postgres's own rendering differs in
/// spacing and key order, and a republished record keeps the same value).
pub fn value(event: &RecordedEvent) -> Vec<u8> {
    // serialising a serde_json::Value cannot fail
    serde_json::to_vec(&event.payload.to_value()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use bazaar_event_store::{EventMetadata, Position};
    use chrono::{TimeZone, Utc};
    use serde_json::json;
    use uuid::Uuid;

    use super::*;

    fn event() -> RecordedEvent {
        let command = Uuid::now_v7();
        let event_id = Uuid::now_v7();
        let mut metadata =
            serde_json::to_value(EventMetadata::for_command(command, "buyer:b-1").to_map())
                .unwrap();
        metadata["event_id"] = json!(event_id.to_string());
        RecordedEvent {
            position: Position::new(901, 42),
            event_id,
            aggregate_type: "Order".into(),
            aggregate_id: "o-1".into(),
            sequence: 3,
            event_type: "OrderPlaced".into(),
            event_version: "1.0".into(),
            payload: json!({"OrderPlaced": {"buyer": "b-1"}}).into(),
            metadata: metadata.into(),
            recorded_at: Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap(),
        }
    }

    #[test]
    fn the_topic_is_the_prefix_and_the_aggregate_type() {
        assert_eq!(topic_name("bazaar.", "Order"), "bazaar.Order");
        assert_eq!(topic_name("", "PaymentSplit"), "PaymentSplit");
    }

    #[test]
    fn characters_kafka_refuses_in_topic_names_become_underscores() {
        assert_eq!(topic_name("bazaar.", "Odd type/ü"), "bazaar.Odd_type__");
    }

    #[test]
    fn headers_carry_the_cloudevents_attributes_and_the_metadata() {
        let event = event();
        let pairs: std::collections::HashMap<_, _> = header_pairs(&event).into_iter().collect();

        assert_eq!(pairs["ce_specversion"], "1.0");
        assert_eq!(pairs["ce_id"], event.event_id.to_string());
        assert_eq!(pairs["ce_type"], "OrderPlaced");
        assert_eq!(pairs["ce_source"], "/bazaar/Order");
        assert_eq!(pairs["ce_subject"], "o-1");
        assert_eq!(pairs["ce_time"], "2026-11-02T09:00:00.000000Z");
        assert_eq!(pairs["content-type"], "application/json");
        assert_eq!(pairs["ce_aggregatesequence"], "3");
        assert_eq!(pairs["ce_globalposition"], "42");
        assert_eq!(pairs["ce_txid"], "901");
        assert_eq!(pairs["ce_eventversion"], "1.0");
        assert_eq!(pairs["ce_actor"], "buyer:b-1");
        assert_eq!(pairs["ce_commandid"], pairs["ce_correlationid"]);
        assert_eq!(pairs.len(), 16);
    }

    #[test]
    fn extension_names_follow_the_cloudevents_naming_rules() {
        for (name, _) in header_pairs(&event()) {
            let Some(attribute) = name.strip_prefix("ce_") else {
                assert_eq!(name, "content-type");
                continue;
            };
            assert!(attribute.len() <= 20, "{name} is too long");
            assert!(
                attribute
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
                "{name} is not lowercase alphanumeric"
            );
        }
    }

    #[test]
    fn the_value_is_the_stored_payload() {
        let value: serde_json::Value = serde_json::from_slice(&value(&event())).unwrap();
        assert_eq!(value, json!({"OrderPlaced": {"buyer": "b-1"}}));
    }
}
