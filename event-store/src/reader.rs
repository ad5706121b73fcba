//! Reading the whole log in commit order, for projectors, the relay and the
//! saga, and keeping each subscriber's durable checkpoint.
//!
//! The read returns only events of transactions older than the oldest
//! transaction still running (`tx_id < pg_snapshot_xmin(pg_current_snapshot())`),
//! ordered by `(tx_id, global_position)`. Every transaction that can still
//! commit has an id at or above that horizon, so nothing can later appear
//! behind a checkpoint. Writers pay nothing for this; the cost is that a long
//! transaction anywhere holds readers back, which is why the pool sets
//! `idle_in_transaction_session_timeout`.

use std::sync::LazyLock;

use futures::TryStreamExt;
use sqlx::PgExecutor;

use crate::error::{Error, Result};
use crate::position::Position;
use crate::recorded::{RecordedEvent, COLUMNS};

/// Up to `limit` events after `after`, in commit order, never skipping one
/// whose transaction commits late.
pub async fn read_after<'e>(
    executor: impl PgExecutor<'e>,
    after: Position,
    limit: i64,
) -> Result<Vec<RecordedEvent>> {
    read_after_of(executor, after, limit, &[]).await
}

/// The one statement of [`read_after_of`], built once: an empty `$4`
/// selects every aggregate type in full.
static READ_AFTER_OF: LazyLock<String> = LazyLock::new(|| {
    let only = |column: &str| {
        format!(
            "case when cardinality($4::text[]) = 0 or aggregate_type = any($4) \
             then {column} else 'null' end as {column}"
        )
    };
    let columns = COLUMNS.replacen(
        "payload, metadata",
        &format!("{}, {}", only("payload"), only("metadata")),
        1,
    );
    format!(
        "select {columns} from events \
          where tx_id < pg_snapshot_xmin(pg_current_snapshot()) \
            and (tx_id, global_position) > ($1::text::xid8, $2) \
          order by events.tx_id, events.global_position \
          limit $3"
    )
});

/// [`read_after`] for a reader that looks only at events of
/// `aggregate_types` (every type if empty): the others come in their place
/// with payload and metadata `null`, so the reader still counts them and
/// moves its checkpoint past them. Rendering a `jsonb` value as text is
/// most of what reading the log costs Postgres (its payload and metadata
/// are about 1 KB an event), so a read model of one aggregate among many
/// reads its share of the log for a fraction of the cost.
pub async fn read_after_of<'e>(
    executor: impl PgExecutor<'e>,
    after: Position,
    limit: i64,
    aggregate_types: &[&str],
) -> Result<Vec<RecordedEvent>> {
    let query = sqlx::query(&READ_AFTER_OF)
        .bind(after.tx_id.to_string())
        .bind(after.global_position)
        .bind(limit)
        .bind(aggregate_types);
    // each row is decoded as it arrives, while Postgres still sends the
    // next ones (a rebuild reads 5,000 at a time)
    let mut rows = query.fetch(executor);
    let mut events = Vec::new();
    while let Some(row) = rows.try_next().await? {
        events.push(RecordedEvent::from_row(&row)?);
    }
    Ok(events)
}

/// Whether committed events exist after `after`. Asked when [`read_after`]
/// came back empty, `true` means the read horizon holds them back behind a
/// transaction still running, so the reader should look again shortly
/// rather than sleep until the next wake-up.
///
/// Ordered by the commit-order index and limited to one row, so Postgres
/// walks that index from `after`. The `exists (...)` form of the same
/// question gets a sequential scan under a generic plan: the planner
/// guesses a third of the log matches and expects an early hit, but the
/// rows after a checkpoint are the newest, at the end of the table. That
/// scan took 16 ms a call over a few hundred thousand events, polled every
/// few milliseconds by every worker, and held one of two cores busy under
/// load (pg_stat_statements of a `bazaar bench` run).
pub async fn held_back<'e>(executor: impl PgExecutor<'e>, after: Position) -> Result<bool> {
    let next: Option<i32> = sqlx::query_scalar(
        "select 1 from events \
          where (tx_id, global_position) > ($1::text::xid8, $2) \
          order by tx_id, global_position \
          limit 1",
    )
    .bind(after.tx_id.to_string())
    .bind(after.global_position)
    .fetch_optional(executor)
    .await?;
    Ok(next.is_some())
}

/// The subscriber's checkpoint, or [`Position::START`] if it has none.
pub async fn load_checkpoint<'e>(executor: impl PgExecutor<'e>, name: &str) -> Result<Position> {
    let row: Option<(String, i64)> = sqlx::query_as(
        "select tx_id::text, position from subscription_checkpoint where subscription_name = $1",
    )
    .bind(name)
    .fetch_optional(executor)
    .await?;
    match row {
        Some((tx_id, position)) => Ok(Position::new(crate::append::parse_xid8(&tx_id)?, position)),
        None => Ok(Position::START),
    }
}

/// Moves the subscriber's checkpoint forward. Run it in the same transaction
/// as the effects of the events up to `to`, so each takes effect exactly
/// once. Moving a checkpoint backwards is refused.
pub async fn save_checkpoint<'e>(
    executor: impl PgExecutor<'e>,
    name: &str,
    to: Position,
) -> Result<()> {
    let updated = sqlx::query(
        "insert into subscription_checkpoint (subscription_name, tx_id, position) \
         values ($1, $2::text::xid8, $3) \
         on conflict (subscription_name) do update \
            set tx_id = excluded.tx_id, position = excluded.position, updated_at = clock_timestamp() \
          where (subscription_checkpoint.tx_id, subscription_checkpoint.position) \
                <= (excluded.tx_id, excluded.position)",
    )
    .bind(name)
    .bind(to.tx_id.to_string())
    .bind(to.global_position)
    .execute(executor)
    .await?
    .rows_affected();
    if updated == 0 {
        return Err(Error::CheckpointRegressed {
            subscription: name.to_owned(),
            to,
        });
    }
    Ok(())
}
