//! Snapshots that always match their sequence.
//!
//! postgres-es and cqrs-es 0.5 get this wrong in two ways when one command
//! emits several events: cqrs-es serialises a snapshot of only some of them
//! (and, since 0.5's `EventSink` already applied them, applies them twice),
//! while the repository records the last event's sequence; and postgres-es
//! commits the snapshot before checking that a row was updated. Here a
//! snapshot is the aggregate after *all* of a commit's events, stored with
//! the last event's sequence in the commit's own transaction, and an update
//! that finds a newer snapshot fails the whole commit.

use serde_json::Value;
use sqlx::PgExecutor;

use crate::error::{Error, Result};

/// A stored snapshot: the aggregate's state after `last_sequence`.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// The serialised aggregate.
    pub payload: Value,
    /// The sequence of the last event folded into `payload`.
    pub last_sequence: i64,
    /// How many snapshots of this aggregate have been taken.
    pub current_snapshot: i64,
}

/// Whether a commit that moves a stream from `before` to `after` crosses a
/// multiple of `every` and so should store a snapshot.
pub(crate) fn is_due(every: usize, before: usize, after: usize) -> bool {
    every > 0 && after / every > before / every
}

/// The latest snapshot of a stream.
pub(crate) async fn load<'e>(
    executor: impl PgExecutor<'e>,
    aggregate_type: &str,
    aggregate_id: &str,
) -> Result<Option<Snapshot>> {
    let row: Option<(Value, i64, i64)> = sqlx::query_as(
        "select payload, last_sequence, current_snapshot from snapshots \
          where aggregate_type = $1 and aggregate_id = $2",
    )
    .bind(aggregate_type)
    .bind(aggregate_id)
    .fetch_optional(executor)
    .await?;
    Ok(
        row.map(|(payload, last_sequence, current_snapshot)| Snapshot {
            payload,
            last_sequence,
            current_snapshot,
        }),
    )
}

/// Stores `snapshot`, refusing to replace a snapshot of a later sequence.
pub(crate) async fn store<'e>(
    executor: impl PgExecutor<'e>,
    aggregate_type: &str,
    aggregate_id: &str,
    snapshot: &Snapshot,
) -> Result<()> {
    let updated = sqlx::query(
        "insert into snapshots (aggregate_type, aggregate_id, last_sequence, current_snapshot, payload) \
         values ($1, $2, $3, $4, $5) \
         on conflict (aggregate_type, aggregate_id) do update \
            set last_sequence = excluded.last_sequence, current_snapshot = excluded.current_snapshot, \
                payload = excluded.payload, updated_at = clock_timestamp() \
          where snapshots.last_sequence < excluded.last_sequence",
    )
    .bind(aggregate_type)
    .bind(aggregate_id)
    .bind(snapshot.last_sequence)
    .bind(snapshot.current_snapshot)
    .bind(&snapshot.payload)
    .execute(executor)
    .await?
    .rows_affected();
    if updated == 0 {
        return Err(Error::Conflict {
            aggregate_type: aggregate_type.to_owned(),
            aggregate_id: aggregate_id.to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::is_due;

    #[test]
    fn a_snapshot_is_due_when_a_commit_crosses_a_multiple() {
        assert!(!is_due(10, 0, 9));
        assert!(is_due(10, 0, 10));
        assert!(is_due(10, 8, 13));
        assert!(!is_due(10, 10, 19));
        assert!(is_due(10, 19, 45));
        assert!(!is_due(0, 0, 100));
    }
}
