//! What every query shares: read-your-writes waits and cursor pages.
//!
//! Read models are eventually consistent. A command's response carries the
//! position of its last event; a query given `min_position` waits, up to a
//! bound, until every read model it reads has applied that position, so a
//! client reads its own write without polling. If the bound passes first
//! the answer is 503 `read-model-behind` with `Retry-After`, never stale
//! data presented as fresh.
//!
//! With hot standbys configured (`BAZAAR_READ_DATABASE_URL`, [`replicas`]),
//! a request's wait and its statements run on the one [`ReadPool`] it
//! took, so read-your-writes holds across the replica too.
//!
//! Lists are keyset-paginated: `next_cursor` encodes the last row's sort
//! key, so pages stay stable while rows are added, and deep pages cost
//! the same as the first.

pub mod replicas;

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use bazaar_projections::reached::Reached;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::problem::Problem;
use crate::write::parse_position;

pub use replicas::ReadPool;

/// Default and largest page sizes.
pub const DEFAULT_LIMIT: u32 = 50;
/// The largest page a client may ask for.
pub const MAX_LIMIT: u32 = 200;

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

/// The page size asked for, checked.
pub fn limit(asked: Option<u32>) -> Result<u32, Problem> {
    match asked {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(n) => Err(Problem::bad_request(
            "invalid-limit",
            format!("limit {n} is not between 1 and {MAX_LIMIT}"),
        )),
    }
}

/// A cursor for `key`.
pub fn encode_cursor<K: Serialize>(key: &K) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).unwrap_or_default())
}

/// The key a cursor holds, or 400.
pub fn decode_cursor<K: DeserializeOwned>(cursor: &str) -> Result<K, Problem> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .filter(|bytes| {
            serde_json::from_slice(bytes)
                .is_ok_and(|v| bazaar_projections::search::criteria::json_is_storable(&v))
        })
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| {
            Problem::bad_request("invalid-cursor", "the cursor is not one this list gave out")
        })
}

/// Waits until every projection in `projections` has applied `min` (a
/// position token) on `db`, for at most `bound`.
///
/// On the primary the positions are known in memory (pushed by this
/// process's workers, polled from other processes' only while a wait is
/// not answered; see `bazaar_projections::reached`), so a query whose read
/// models are there costs no statement beyond its own. On a hot standby
/// they are not: what the workers pushed was committed on the primary and
/// may not be replayed there yet, and `LISTEN` hears nothing on a standby.
/// So a replica's wait reads the checkpoints the replica has replayed (they
/// replicate with the rows, in the same transactions), at once and then
/// every `bazaar_projections::reached::POLL`: one statement more per
/// `min_position` query, never a stale answer.
pub async fn wait_for(
    db: &ReadPool,
    projections: &[&str],
    min: Option<&str>,
    bound: Duration,
) -> Result<(), Problem> {
    let Some(token) = min else {
        return Ok(());
    };
    let position = parse_position(token)?;
    let reached = if db.is_replica() {
        Reached::new()
    } else {
        Reached::of(&db.pool)
    };
    if reached
        .wait_for(&db.pool, projections, position, bound)
        .await?
    {
        return Ok(());
    }
    Err(Problem::unavailable(
        "read-model-behind",
        format!("the read model has not reached position {token} yet; retry"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_400() {
        let key = ("2026-11-22T00:00:00Z".to_owned(), "o-1".to_owned());
        let cursor = encode_cursor(&key);
        assert_eq!(decode_cursor::<(String, String)>(&cursor).unwrap(), key);
        assert_eq!(
            decode_cursor::<(String, String)>("%%%")
                .unwrap_err()
                .status(),
            400
        );
        assert!(decode_cursor::<(String, String)>(&encode_cursor(&7)).is_err());
    }

    #[test]
    fn a_page_keeps_limit_rows_and_points_past_the_last() {
        let page = Page::from_rows(vec![1, 2, 3], 2, |n| *n);
        assert_eq!(page.items, vec![1, 2]);
        assert_eq!(decode_cursor::<i32>(&page.next_cursor.unwrap()).unwrap(), 2);
        let last = Page::from_rows(vec![1, 2], 2, |n| *n);
        assert!(last.next_cursor.is_none());
    }

    #[test]
    fn limits_outside_the_range_are_refused() {
        assert_eq!(limit(None).unwrap(), DEFAULT_LIMIT);
        assert!(limit(Some(0)).is_err());
        assert!(limit(Some(MAX_LIMIT + 1)).is_err());
    }
}
