//! Loading a stream in one round trip: its snapshot, if any, and the
//! events after it, as one `UNION ALL` (the snapshot's row first).

use sqlx::postgres::PgRow;
use sqlx::{PgExecutor, Row};

use crate::error::Result;
use crate::recorded::{RecordedEvent, COLUMNS};
use crate::snapshot::Snapshot;

/// The latest snapshot of a stream and the events after it, in sequence
/// order (all events when there is no snapshot).
pub(crate) async fn snapshot_and_events<'e>(
    executor: impl PgExecutor<'e>,
    aggregate_type: &str,
    aggregate_id: &str,
) -> Result<(Option<Snapshot>, Vec<RecordedEvent>)> {
    let sql = format!(
        "with snapshot as ( \
             select payload, last_sequence, current_snapshot from snapshots \
              where aggregate_type = $1 and aggregate_id = $2) \
         select 0 as part, null::text as aggregate_type, null::text as aggregate_id, \
                last_sequence as sequence, null::text as event_type, \
                null::text as event_version, payload, null::jsonb as metadata, \
                current_snapshot as global_position, null::text as tx_id, \
                null::timestamptz as recorded_at, null::uuid as event_id \
           from snapshot \
         union all \
         (select 1 as part, {COLUMNS} from events \
           where aggregate_type = $1 and aggregate_id = $2 \
             and sequence > coalesce((select last_sequence from snapshot), 0)) \
         order by part, sequence"
    );
    let rows = sqlx::query(&sql)
        .bind(aggregate_type)
        .bind(aggregate_id)
        .fetch_all(executor)
        .await?;
    let mut snapshot = None;
    let mut events = Vec::with_capacity(rows.len());
    for row in &rows {
        if row.try_get::<i32, _>("part")? == 0 {
            snapshot = Some(snapshot_of(row)?);
        } else {
            events.push(RecordedEvent::from_row(row)?);
        }
    }
    Ok((snapshot, events))
}

fn snapshot_of(row: &PgRow) -> Result<Snapshot> {
    Ok(Snapshot {
        payload: row.try_get("payload")?,
        last_sequence: row.try_get("sequence")?,
        current_snapshot: row.try_get("global_position")?,
    })
}
