//! Splitting the store into ranges of whole streams, walked at once.
//!
//! Boundaries are stream keys taken from a small random sample of the
//! table (`TABLESAMPLE SYSTEM`), sorted the way the primary key is, so each
//! range is one index range scan and no stream is split between two. Small
//! stores, and single streams, are one range.

use sqlx::PgPool;

use super::Scope;
use crate::error::Result;

/// Below this many events per range a range is not worth a connection.
const MIN_EVENTS_PER_RANGE: f64 = 100_000.0;
/// About how many keys the sample holds.
const SAMPLE_KEYS: f64 = 20_000.0;
/// The most ranges walked at once by default.
const MAX_WORKERS: usize = 8;

/// A stream key: `(aggregate_type, aggregate_id)`.
pub(super) type Key = (String, String);

/// The streams from `from` (inclusive) to `to` (exclusive); `None` is
/// unbounded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Range {
    pub(super) from: Option<Key>,
    pub(super) to: Option<Key>,
}

/// The ranges to walk for `scope`, in stream order.
pub(super) async fn ranges(pool: &PgPool, scope: &Scope) -> Result<Vec<Range>> {
    let workers = workers(pool, scope.workers);
    if scope.stream.is_some() || workers == 1 {
        return Ok(vec![Range::default()]);
    }
    let estimate: f32 =
        sqlx::query_scalar("select reltuples from pg_class where oid = 'events'::regclass")
            .fetch_one(pool)
            .await?;
    let estimate = f64::from(estimate);
    let count = match scope.workers {
        0 => workers.min((estimate / MIN_EVENTS_PER_RANGE) as usize),
        asked => asked,
    };
    if count <= 1 {
        return Ok(vec![Range::default()]);
    }
    // reltuples is -1 before the first ANALYZE: sample everything
    let percent = if estimate <= SAMPLE_KEYS {
        100.0
    } else {
        (SAMPLE_KEYS / estimate * 100.0).clamp(0.001, 100.0)
    };
    let sample: Vec<Key> = sqlx::query_as(
        "select aggregate_type, aggregate_id from events tablesample system ($1) \
          order by aggregate_type, aggregate_id",
    )
    .bind(percent as f32)
    .fetch_all(pool)
    .await?;
    Ok(split(&sample, count))
}

/// `count` ranges cut at evenly spaced keys of the sorted `sample`.
fn split(sample: &[Key], count: usize) -> Vec<Range> {
    let mut cuts: Vec<&Key> = (1..count)
        .filter_map(|n| sample.get(n * sample.len() / count))
        .collect();
    cuts.dedup();
    let mut ranges = Vec::with_capacity(cuts.len() + 1);
    let mut from = None;
    for cut in cuts {
        ranges.push(Range {
            from: from.take(),
            to: Some(cut.clone()),
        });
        from = Some(cut.clone());
    }
    ranges.push(Range { from, to: None });
    ranges
}

/// How many ranges to walk at once: as asked, or one per CPU, at most
/// [`MAX_WORKERS`] and half the pool (and only ranges of at least
/// [`MIN_EVENTS_PER_RANGE`] events).
fn workers(pool: &PgPool, asked: usize) -> usize {
    if asked > 0 {
        return asked;
    }
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let half_pool = (pool.options().get_max_connections() / 2).max(1) as usize;
    cpus.min(MAX_WORKERS).min(half_pool).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str) -> Key {
        ("Order".to_owned(), id.to_owned())
    }

    #[test]
    fn ranges_cover_everything_once_and_cut_at_sampled_keys() {
        let sample: Vec<Key> = ["a", "b", "c", "d", "e", "f"].map(key).to_vec();
        let ranges = split(&sample, 3);
        assert_eq!(
            ranges,
            [
                Range {
                    from: None,
                    to: Some(key("c"))
                },
                Range {
                    from: Some(key("c")),
                    to: Some(key("e"))
                },
                Range {
                    from: Some(key("e")),
                    to: None
                },
            ]
        );
        assert_eq!(split(&[key("a"), key("a")], 3).len(), 2);
        assert_eq!(split(&[], 4), [Range::default()]);
    }
}
