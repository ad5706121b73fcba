//! An event's payload or metadata as the JSON text Postgres stores.
//!
//! Reading a `jsonb` column into a `serde_json::Value` builds a tree of
//! maps, strings and vectors for every event, which the reader then walks
//! once to deserialise its typed event and drops: a rebuild spent most of
//! its CPU allocating and freeing those trees. [`StoredJson`] keeps the
//! text Postgres sends instead (the binary form of `jsonb` is a version
//! byte followed by the text), and [`StoredJson::decode`] deserialises the
//! typed value straight from it.
//!
//! The text is Postgres's rendering of the `jsonb` (its key order, `", "`
//! and `": "` separators), so two values are compared as JSON, never as
//! text.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use sqlx::error::BoxDynError;
use sqlx::postgres::types::Oid;
use sqlx::postgres::{PgTypeInfo, PgValueFormat, PgValueRef, Postgres};
use sqlx::{Decode, Type, ValueRef};

/// The type oid of `jsonb` (fixed in Postgres's catalog).
const JSONB: Oid = Oid(3802);

/// JSON text read from a `jsonb` (or `json`) column: always valid JSON.
#[derive(Clone)]
pub struct StoredJson(Box<str>);

impl StoredJson {
    /// The JSON text.
    pub fn get(&self) -> &str {
        &self.0
    }

    /// The typed value, deserialised from the text (borrowing from it
    /// where `T` borrows).
    pub fn decode<'a, T: Deserialize<'a>>(&'a self) -> serde_json::Result<T> {
        serde_json::from_str(&self.0)
    }

    /// The JSON as a tree, for code that edits or inspects it freely
    /// (upcasters, tests); it costs what reading a `Value` always cost.
    pub fn to_value(&self) -> Value {
        // the text came from Postgres's jsonb or from a Value: valid JSON
        serde_json::from_str(&self.0).unwrap_or(Value::Null)
    }
}

impl From<Value> for StoredJson {
    fn from(value: Value) -> Self {
        Self::from(&value)
    }
}

impl From<&Value> for StoredJson {
    fn from(value: &Value) -> Self {
        Self(value.to_string().into_boxed_str())
    }
}

/// Equal when the JSON is, whatever the formatting.
impl PartialEq for StoredJson {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0 || self.to_value() == other.to_value()
    }
}

impl PartialEq<Value> for StoredJson {
    fn eq(&self, other: &Value) -> bool {
        self.to_value() == *other
    }
}

impl fmt::Debug for StoredJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for StoredJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Serialised as the JSON it holds (not as a string of it).
impl Serialize for StoredJson {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw: &RawValue = serde_json::from_str(&self.0).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

impl Type<Postgres> for StoredJson {
    fn type_info() -> PgTypeInfo {
        <Value as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <Value as Type<Postgres>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Postgres> for StoredJson {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        let jsonb = value.type_info().oid() == Some(JSONB);
        let mut bytes = value.as_bytes()?;
        if value.format() == PgValueFormat::Binary && jsonb {
            match bytes.split_first() {
                Some((1, text)) => bytes = text,
                _ => return Err("unsupported jsonb binary format version".into()),
            }
        }
        Ok(Self(std::str::from_utf8(bytes)?.into()))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[derive(Debug, PartialEq, Deserialize)]
    enum Event {
        Placed { buyer: String, lines: Vec<u32> },
    }

    #[test]
    fn the_typed_value_is_read_from_the_text() {
        let stored = StoredJson(r#"{"Placed": {"lines": [1, 2], "buyer": "b-1"}}"#.into());
        let event: Event = stored.decode().unwrap();
        assert_eq!(
            event,
            Event::Placed {
                buyer: "b-1".into(),
                lines: vec![1, 2]
            }
        );
    }

    #[test]
    fn values_compare_as_json_and_serialise_as_json() {
        let stored = StoredJson(r#"{"b": 1, "a": [true, null]}"#.into());
        let value = json!({"a": [true, null], "b": 1});
        assert_eq!(stored, StoredJson::from(&value));
        assert_eq!(stored, value);
        assert_eq!(stored.to_value(), value);
        #[derive(Serialize)]
        struct Recorded<'a> {
            payload: &'a StoredJson,
        }
        let text = serde_json::to_string(&Recorded { payload: &stored }).unwrap();
        assert_eq!(text, r#"{"payload":{"b": 1, "a": [true, null]}}"#);
    }
}
