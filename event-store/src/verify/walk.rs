//! Walking ranges of streams, each on its own connection and task, and
//! merging what they found into one [`Verification`].

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Postgres, QueryBuilder, Row};

use super::partition::Range;
use super::{BreakReason, BrokenLink, Scope, Verification};
use crate::chain::{event_hash_with, ChainFields};
use crate::error::{Error, Result};
use crate::verify::heads::{HeadsDigest, StreamHead};

/// The columns, in the order the walker reads them by index. `recorded_at`
/// comes as a timestamp (exact microseconds) and is turned into the hash's
/// microsecond count here: computing it in SQL (numeric arithmetic) cost
/// the database about a sixth of the walk.
const SELECT: &str = "select aggregate_type, aggregate_id, sequence, event_type, event_version, \
        event_id, global_position, recorded_at, payload::text, metadata::text, hash \
   from events where true";

/// What one range's walk found.
#[derive(Default)]
pub(super) struct Part {
    streams: u64,
    events: u64,
    max_global_position: i64,
    broken: Option<BrokenLink>,
    heads: HeadsDigest,
}

/// Walks every range at once; the parts come back in range order.
pub(super) async fn walk_ranges(
    pool: &PgPool,
    scope: &Scope,
    ranges: Vec<Range>,
) -> Result<Vec<Part>> {
    // the lowest range with a broken link: ranges above it may stop
    let first_broken = Arc::new(AtomicUsize::new(usize::MAX));
    let mut tasks: Vec<_> = ranges
        .into_iter()
        .enumerate()
        .map(|(index, range)| {
            let (pool, scope) = (pool.clone(), scope.clone());
            let first_broken = Arc::clone(&first_broken);
            tokio::spawn(
                async move { walk_range(&pool, &scope, &range, index, &first_broken).await },
            )
        })
        .collect();
    let mut parts = Vec::with_capacity(tasks.len());
    for n in 0..tasks.len() {
        let joined = (&mut tasks[n]).await;
        match joined
            .map_err(|_| Error::Database(sqlx::Error::WorkerCrashed))
            .and_then(|r| r)
        {
            Ok(part) => parts.push(part),
            Err(error) => {
                tasks[n + 1..].iter().for_each(|task| task.abort());
                return Err(error);
            }
        }
    }
    Ok(parts)
}

/// The parts summed in range order up to the first broken link, as one
/// walk in stream order would have found them.
pub(super) fn merge(parts: Vec<Part>, digest_heads: bool) -> Verification {
    let mut report = Verification::default();
    let mut heads = HeadsDigest::default();
    for part in parts {
        report.streams += part.streams;
        report.events += part.events;
        report.max_global_position = report.max_global_position.max(part.max_global_position);
        heads.extend(part.heads);
        if part.broken.is_some() {
            report.broken = part.broken;
            return report;
        }
    }
    report.heads = digest_heads.then(|| heads.finish());
    report
}

async fn walk_range(
    pool: &PgPool,
    scope: &Scope,
    range: &Range,
    index: usize,
    first_broken: &AtomicUsize,
) -> Result<Part> {
    let mut query = range_query(scope, range);
    let mut rows = query.build().fetch(pool);
    let mut walker = Walker {
        part: Part::default(),
        head: None,
        digest_heads: scope.digest_heads,
        buffer: String::with_capacity(1_024),
    };
    while let Some(row) = rows.try_next().await? {
        if first_broken.load(Ordering::Relaxed) < index {
            break;
        }
        walker.part.events += 1;
        if let Some(link) = walker.check(&row)? {
            walker.part.broken = Some(link);
            first_broken.fetch_min(index, Ordering::Relaxed);
            return Ok(walker.part);
        }
    }
    walker.end_stream();
    Ok(walker.part)
}

fn range_query(scope: &Scope, range: &Range) -> QueryBuilder<'static, Postgres> {
    let mut query = QueryBuilder::new(SELECT);
    if let Some(tx) = scope.below_tx {
        query
            .push(" and tx_id < ")
            .push_bind(tx.to_string())
            .push("::text::xid8");
    }
    if let Some((aggregate_type, aggregate_id)) = &scope.stream {
        query
            .push(" and aggregate_type = ")
            .push_bind(aggregate_type.clone());
        query
            .push(" and aggregate_id = ")
            .push_bind(aggregate_id.clone());
        query.push(" order by sequence");
        return query;
    }
    for (bound, operator) in [(&range.from, " >= "), (&range.to, " < ")] {
        if let Some((aggregate_type, aggregate_id)) = bound {
            query
                .push(" and (aggregate_type, aggregate_id)")
                .push(operator)
                .push("(");
            query.push_bind(aggregate_type.clone()).push(", ");
            query.push_bind(aggregate_id.clone()).push(")");
        }
    }
    query.push(" order by aggregate_type, aggregate_id, sequence");
    query
}

/// The chain state while walking a range: the current stream's last event.
struct Walker {
    part: Part,
    head: Option<StreamHead>,
    digest_heads: bool,
    buffer: String,
}

impl Walker {
    fn check(&mut self, row: &PgRow) -> Result<Option<BrokenLink>> {
        let aggregate_type: &str = row.try_get(0)?;
        let aggregate_id: &str = row.try_get(1)?;
        let sequence: i64 = row.try_get(2)?;
        let global_position: i64 = row.try_get(6)?;
        self.part.max_global_position = self.part.max_global_position.max(global_position);
        if !self
            .head
            .as_ref()
            .is_some_and(|h| h.is_of(aggregate_type, aggregate_id))
        {
            self.end_stream();
            self.part.streams += 1;
            self.head = Some(StreamHead::genesis(aggregate_type, aggregate_id));
        }
        let Some(head) = self.head.as_mut() else {
            return Ok(None);
        };
        let broken = |reason| BrokenLink {
            aggregate_type: aggregate_type.to_owned(),
            aggregate_id: aggregate_id.to_owned(),
            sequence,
            global_position,
            reason,
        };
        if sequence != head.sequence + 1 {
            let expected = head.sequence + 1;
            self.head = None;
            return Ok(Some(broken(BreakReason::SequenceGap { expected })));
        }
        let fields = fields(row, aggregate_type, aggregate_id, sequence, global_position)?;
        let computed = event_hash_with(&mut self.buffer, &head.hash, &fields);
        let stored: &[u8] = row.try_get(10)?;
        if stored != computed {
            self.head = None;
            return Ok(Some(broken(BreakReason::HashMismatch)));
        }
        head.sequence = sequence;
        head.hash = computed;
        Ok(None)
    }

    /// Digests the finished stream's head.
    fn end_stream(&mut self) {
        if let Some(head) = self.head.take() {
            if self.digest_heads {
                self.part.heads.add(&head);
            }
        }
    }
}

fn fields<'r>(
    row: &'r PgRow,
    aggregate_type: &'r str,
    aggregate_id: &'r str,
    sequence: i64,
    global_position: i64,
) -> Result<ChainFields<'r>> {
    Ok(ChainFields {
        aggregate_type,
        aggregate_id,
        sequence,
        event_type: row.try_get(3)?,
        event_version: row.try_get(4)?,
        event_id: row.try_get(5)?,
        global_position,
        recorded_at_micros: row.try_get::<DateTime<Utc>, _>(7)?.timestamp_micros(),
        payload: row.try_get(8)?,
        metadata: row.try_get(9)?,
    })
}
