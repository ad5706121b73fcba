//! Recomputing the hash chains to prove the log was not altered.
//!
//! Streams are walked in `(aggregate_type, aggregate_id, sequence)` order
//! with a streaming cursor, so memory stays flat however large the store.
//! The first broken link is named: a changed event (its stored hash no
//! longer matches), a removed one (a gap in the sequence) or a reordered one
//! (the hash covers the sequence and the previous hash). Cutting off a
//! stream's last events, or deleting a whole stream, leaves the remaining
//! chains intact: that needs an anchor kept outside the database (signed
//! checkpoints of the chain heads, an auditor feature still to come).

use futures::TryStreamExt;
use serde::Serialize;
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};

use crate::chain::{event_hash, ChainFields, GENESIS};
use crate::error::Result;

/// What a verification found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// Streams walked.
    pub streams: u64,
    /// Events whose hash was recomputed.
    pub events: u64,
    /// The first broken link, if any; verification stops there.
    pub broken: Option<BrokenLink>,
}

/// The first event at which a chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokenLink {
    /// Stream type.
    pub aggregate_type: String,
    /// Stream id.
    pub aggregate_id: String,
    /// Sequence of the offending event.
    pub sequence: i64,
    /// Its global position.
    pub global_position: i64,
    /// What is wrong.
    pub reason: BreakReason,
}

/// Why a link is broken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BreakReason {
    /// The event's content or its predecessor changed: the stored hash is not
    /// the hash of what is stored.
    HashMismatch,
    /// Events are missing before this one (deleted, or moved elsewhere).
    SequenceGap {
        /// The sequence that should have come next.
        expected: i64,
    },
}

const SELECT: &str = "select aggregate_type, aggregate_id, sequence, event_type, event_version, \
        event_id, global_position, (extract(epoch from recorded_at) * 1000000)::bigint as recorded_us, \
        payload::text as payload, metadata::text as metadata, hash from events";

/// Verifies every stream in the store.
pub async fn verify_all(pool: &PgPool) -> Result<Verification> {
    let sql = format!("{SELECT} order by aggregate_type, aggregate_id, sequence");
    walk(sqlx::query(&sql).fetch(pool)).await
}

/// Verifies one stream.
pub async fn verify_stream(
    pool: &PgPool,
    aggregate_type: &str,
    aggregate_id: &str,
) -> Result<Verification> {
    let sql = format!("{SELECT} where aggregate_type = $1 and aggregate_id = $2 order by sequence");
    let rows = sqlx::query(&sql)
        .bind(aggregate_type)
        .bind(aggregate_id)
        .fetch(pool);
    walk(rows).await
}

async fn walk(
    mut rows: impl futures::Stream<Item = Result<PgRow, sqlx::Error>> + Unpin,
) -> Result<Verification> {
    let mut report = Verification::default();
    let mut cursor = Cursor::default();
    while let Some(row) = rows.try_next().await? {
        report.events += 1;
        if let Some(link) = cursor.check(&row, &mut report.streams)? {
            report.broken = Some(link);
            break;
        }
    }
    Ok(report)
}

/// The chain state while walking: the current stream, its last sequence and
/// hash.
#[derive(Default)]
struct Cursor {
    stream: Option<(String, String)>,
    sequence: i64,
    hash: Vec<u8>,
}

impl Cursor {
    fn check(&mut self, row: &PgRow, streams: &mut u64) -> Result<Option<BrokenLink>> {
        let aggregate_type: String = row.try_get("aggregate_type")?;
        let aggregate_id: String = row.try_get("aggregate_id")?;
        let sequence: i64 = row.try_get("sequence")?;
        if self.stream.as_ref() != Some(&(aggregate_type.clone(), aggregate_id.clone())) {
            *streams += 1;
            self.stream = Some((aggregate_type.clone(), aggregate_id.clone()));
            self.sequence = 0;
            self.hash = GENESIS.to_vec();
        }
        let broken = |reason| BrokenLink {
            aggregate_type: aggregate_type.clone(),
            aggregate_id: aggregate_id.clone(),
            sequence,
            global_position: row.try_get("global_position").unwrap_or_default(),
            reason,
        };
        if sequence != self.sequence + 1 {
            return Ok(Some(broken(BreakReason::SequenceGap {
                expected: self.sequence + 1,
            })));
        }
        let computed = event_hash(&self.hash, &fields(row, &aggregate_type, &aggregate_id)?);
        let stored: Vec<u8> = row.try_get("hash")?;
        if stored != computed {
            return Ok(Some(broken(BreakReason::HashMismatch)));
        }
        self.sequence = sequence;
        self.hash = stored;
        Ok(None)
    }
}

fn fields<'r>(
    row: &'r PgRow,
    aggregate_type: &'r str,
    aggregate_id: &'r str,
) -> Result<ChainFields<'r>> {
    Ok(ChainFields {
        aggregate_type,
        aggregate_id,
        sequence: row.try_get("sequence")?,
        event_type: row.try_get("event_type")?,
        event_version: row.try_get("event_version")?,
        event_id: row.try_get("event_id")?,
        global_position: row.try_get("global_position")?,
        recorded_at_micros: row.try_get("recorded_us")?,
        payload: row.try_get("payload")?,
        metadata: row.try_get("metadata")?,
    })
}
