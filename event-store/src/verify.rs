//! Recomputing the hash chains to prove the log was not altered.
//!
//! Streams are walked in `(aggregate_type, aggregate_id, sequence)` order
//! with streaming cursors, so memory stays flat however large the store.
//! The store is split into ranges of streams walked at once on separate
//! connections (see `verify/partition`): rendering `jsonb` as text costs the
//! database more than hashing costs us, so the work is spread over its
//! cores. The first broken link (in stream order) is named: a changed event (its stored hash no
//! longer matches), a removed one (a gap in the sequence) or a reordered one
//! (the hash covers the sequence and the previous hash). Cutting off a
//! stream's last events, or deleting a whole stream, leaves the remaining
//! chains intact: that needs an anchor kept outside the database, the
//! signed checkpoints of the chain heads in [`crate::audit::checkpoint`],
//! which walk the store with [`verify`] and a [`Scope`] below a commit
//! horizon.

use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use crate::error::Result;
use heads::Digested;

pub mod heads;
mod partition;
mod walk;

/// What a verification found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// Streams walked.
    pub streams: u64,
    /// Events whose hash was recomputed.
    pub events: u64,
    /// The highest global position among them (0: none).
    pub max_global_position: i64,
    /// The first broken link, if any; verification stops there.
    pub broken: Option<BrokenLink>,
    /// The digest of the streams' heads (see [`heads`]), when
    /// the scope asked for it and no link broke.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heads: Option<Digested>,
}

/// The first event at which a chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

impl std::fmt::Display for BrokenLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{} sequence {} (global position {}): ",
            self.aggregate_type, self.aggregate_id, self.sequence, self.global_position
        )?;
        match self.reason {
            BreakReason::HashMismatch => {
                f.write_str("stored hash is not the hash of the stored event")
            }
            BreakReason::SequenceGap { expected } => write!(f, "sequence {expected} is missing"),
        }
    }
}

/// Why a link is broken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// Which events a verification walks, and how.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Only this stream (aggregate type, aggregate id); none: every stream.
    pub stream: Option<(String, String)>,
    /// Only events of transactions below this id: the events visible below
    /// a commit horizon, a set later appends never change.
    pub below_tx: Option<u64>,
    /// Also digest the heads of the streams walked (32 bytes of memory per
    /// stream until the end).
    pub digest_heads: bool,
    /// Connections walking at once (0: one per CPU, at most 8 and half the
    /// pool).
    pub workers: usize,
}

impl Scope {
    /// One stream, every event.
    pub fn stream(aggregate_type: &str, aggregate_id: &str) -> Self {
        Self {
            stream: Some((aggregate_type.to_owned(), aggregate_id.to_owned())),
            ..Self::default()
        }
    }
}

/// Verifies every stream in the store.
pub async fn verify_all(pool: &PgPool) -> Result<Verification> {
    verify(pool, &Scope::default()).await
}

/// Verifies one stream.
pub async fn verify_stream(
    pool: &PgPool,
    aggregate_type: &str,
    aggregate_id: &str,
) -> Result<Verification> {
    verify(pool, &Scope::stream(aggregate_type, aggregate_id)).await
}

/// Verifies the streams in `scope`.
pub async fn verify(pool: &PgPool, scope: &Scope) -> Result<Verification> {
    let ranges = partition::ranges(pool, scope).await?;
    let parts = walk::walk_ranges(pool, scope, ranges).await?;
    Ok(walk::merge(parts, scope.digest_heads))
}
