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
//! the same as the first. The cursors and pages are
//! `bazaar_projections::keyset` (one implementation for these lists and
//! the search); [`list`] is the skeleton of a list handler. The statements
//! themselves live with the read model that owns the tables
//! (`bazaar_projections::read_models::<model>::queries`, as
//! docs/adr/0002-runtime-checked-sql.md has it).

pub mod replicas;

use std::time::Duration;

use std::future::Future;

use bazaar_projections::keyset;
use bazaar_projections::reached::Reached;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::http::problem::Problem;
use crate::write::parse_position;

pub use bazaar_projections::keyset::{encode_cursor, Page};
pub use replicas::ReadPool;

/// Default and largest page sizes.
pub const DEFAULT_LIMIT: u32 = 50;
/// The largest page a client may ask for.
pub const MAX_LIMIT: u32 = 200;

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

/// The key a cursor holds, or 400.
pub fn decode_cursor<K: DeserializeOwned>(cursor: &str) -> Result<K, Problem> {
    keyset::decode_cursor(cursor)
        .map_err(|invalid| Problem::bad_request("invalid-cursor", invalid.to_string()))
}

/// What a list request asks for besides its filters.
#[derive(Debug, Clone, Copy)]
pub struct Paging<'a> {
    /// The page size asked for (checked by [`list`]).
    pub limit: Option<u32>,
    /// The previous page's `next_cursor`.
    pub cursor: Option<&'a str>,
    /// Wait until the read models have applied this position.
    pub min_position: Option<&'a str>,
}

/// One page of a list, the skeleton every list handler shares: the limit
/// checked, the cursor decoded (both 400 before any wait), the wait for
/// `min_position` on `db` ([`wait_for`]), then `fetch(after, limit + 1)`
/// and the page cut by `key` ([`Page::from_rows`]).
pub async fn list<K, T, E, F, Fut>(
    db: &ReadPool,
    (projections, bound): (&[&str], Duration),
    paging: Paging<'_>,
    fetch: F,
    key: impl Fn(&T) -> K,
) -> Result<Page<T>, Problem>
where
    K: Serialize + DeserializeOwned,
    F: FnOnce(Option<K>, i64) -> Fut,
    Fut: Future<Output = Result<Vec<T>, E>>,
    Problem: From<E>,
{
    let limit = limit(paging.limit)?;
    let after: Option<K> = paging.cursor.map(decode_cursor).transpose()?;
    wait_for(db, projections, paging.min_position, bound).await?;
    let rows = fetch(after, i64::from(limit) + 1).await?;
    Ok(Page::from_rows(rows, limit, key))
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
    fn foreign_cursors_are_400() {
        let key = ("2026-11-22T00:00:00Z".to_owned(), "o-1".to_owned());
        let cursor = encode_cursor(&key);
        assert_eq!(decode_cursor::<(String, String)>(&cursor).unwrap(), key);
        let invalid = decode_cursor::<(String, String)>("%%%").unwrap_err();
        assert_eq!(invalid.status(), 400);
    }

    #[test]
    fn limits_outside_the_range_are_refused() {
        assert_eq!(limit(None).unwrap(), DEFAULT_LIMIT);
        assert!(limit(Some(0)).is_err());
        assert!(limit(Some(MAX_LIMIT + 1)).is_err());
    }
}
