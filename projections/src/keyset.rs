//! Keyset pagination, the one implementation every list uses: the read
//! model queries (`read_models::<model>::queries`) and the search
//! ([`crate::search`]).
//!
//! A list's `next_cursor` is the last row's sort key, serialised as JSON
//! and encoded base64url without padding, so pages stay stable while rows
//! are added and deep pages cost the same as the first. A cursor is
//! opaque to clients; one this code did not give out (not base64, not the
//! list's key, or holding a string Postgres cannot bind) is refused as
//! [`InvalidCursor`], which each caller maps to its own bad-input answer.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One page of a list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    /// The rows, in the list's order.
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A page from `limit + 1` fetched rows: the extra row only says that
    /// another page exists; the cursor is the last kept row's key.
    pub fn from_rows<K: Serialize>(mut rows: Vec<T>, limit: u32, key: impl Fn(&T) -> K) -> Self {
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = if more {
            rows.last().map(|row| encode_cursor(&key(row)))
        } else {
            None
        };
        Self {
            items: rows,
            next_cursor,
        }
    }
}

/// A cursor that no list gave out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the cursor is not one this list gave out")]
pub struct InvalidCursor;

/// A cursor for `key`.
pub fn encode_cursor<K: Serialize>(key: &K) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).unwrap_or_default())
}

/// The key a cursor holds.
pub fn decode_cursor<K: DeserializeOwned>(cursor: &str) -> Result<K, InvalidCursor> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| InvalidCursor)?;
    let storable = serde_json::from_slice(&bytes).is_ok_and(|v| json_is_storable(&v));
    if !storable {
        return Err(InvalidCursor);
    }
    serde_json::from_slice(&bytes).map_err(|_| InvalidCursor)
}

/// Whether every string (and key) in `value` is free of control
/// characters (`bazaar_domain::text`): Postgres cannot bind a NUL, so a
/// forged cursor or query holding one is refused as bad input.
pub fn json_is_storable(value: &serde_json::Value) -> bool {
    use bazaar_domain::text::is_storable;
    use serde_json::Value;
    match value {
        Value::String(text) => is_storable(text),
        Value::Array(items) => items.iter().all(json_is_storable),
        Value::Object(members) => members
            .iter()
            .all(|(key, item)| is_storable(key) && json_is_storable(item)),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        let key = ("2026-11-22T00:00:00Z".to_owned(), "o-1".to_owned());
        let cursor = encode_cursor(&key);
        assert_eq!(decode_cursor::<(String, String)>(&cursor).unwrap(), key);
        assert_eq!(decode_cursor::<(String, String)>("%%%"), Err(InvalidCursor));
        assert!(decode_cursor::<(String, String)>(&encode_cursor(&7)).is_err());
        let nul = encode_cursor(&("a\u{0}".to_owned(), "o-1".to_owned()));
        assert!(decode_cursor::<(String, String)>(&nul).is_err());
    }

    #[test]
    fn a_page_keeps_limit_rows_and_points_past_the_last() {
        let page = Page::from_rows(vec![1, 2, 3], 2, |n| *n);
        assert_eq!(page.items, vec![1, 2]);
        assert_eq!(decode_cursor::<i32>(&page.next_cursor.unwrap()).unwrap(), 2);
        let last = Page::from_rows(vec![1, 2], 2, |n| *n);
        assert!(last.next_cursor.is_none());
    }
}
