//! The fields of a stored event's metadata that its readers use (the relay's
//! headers, the saga's correlation and trace, the invoices' causes), read
//! straight from the stored text into one struct, without building a
//! `serde_json::Value` of the whole metadata.
//!
//! Bazaar writes every field as a string ([`crate::EventMetadata`]); a field
//! another writer stored as something else reads as absent, as the readers'
//! `as_str()` on a `Value` did.

use std::fmt;

use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// The provenance of one stored event: each field when present as a string.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Provenance {
    /// The command that wrote the event ([`crate::metadata::COMMAND_ID`]).
    #[serde(default, deserialize_with = "text")]
    pub command_id: Option<String>,
    /// The business flow ([`crate::metadata::CORRELATION_ID`]).
    #[serde(default, deserialize_with = "text")]
    pub correlation_id: Option<String>,
    /// What caused the command ([`crate::metadata::CAUSATION_ID`]).
    #[serde(default, deserialize_with = "text")]
    pub causation_id: Option<String>,
    /// Who issued it ([`crate::metadata::ACTOR`]).
    #[serde(default, deserialize_with = "text")]
    pub actor: Option<String>,
    /// The W3C trace context ([`crate::metadata::TRACEPARENT`]).
    #[serde(default, deserialize_with = "text")]
    pub traceparent: Option<String>,
}

/// A string field as `Some`; any other JSON value as `None`.
fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    deserializer.deserialize_any(Text)
}

struct Text;

impl<'de> Visitor<'de> for Text {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E>(self, value: &str) -> Result<Self::Value, E> {
        Ok(Some(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Self::Value, E> {
        Ok(Some(value))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_fields_are_read_and_others_are_absent() {
        let text = r#"{"actor": "buyer:1", "event_id": "e", "command_id": 7, "causation_id": null,
                      "correlation_id": {"x": [1]}, "traceparent": "00-ab"}"#;
        let provenance: Provenance = serde_json::from_str(text).unwrap();
        assert_eq!(
            provenance,
            Provenance {
                actor: Some("buyer:1".into()),
                traceparent: Some("00-ab".into()),
                ..Provenance::default()
            }
        );
        let empty: Provenance = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, Provenance::default());
    }
}
