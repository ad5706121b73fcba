//! Writes to `stock_levels`, `stock_batches` and `stock_movements`.

use bazaar_domain::ids::{BatchId, VendorId};
use bazaar_domain::inventory::{BatchLevel, StockLevels};
use bazaar_event_store::RecordedEvent;
use chrono::NaiveDate;
use sqlx::PgConnection;

use super::facts::Facts;
use crate::projection::ApplyError;

/// Takes the event's sequence for its stock: `false` if the stock's row
/// already holds this sequence or a later one (a replay), so nothing else
/// is written. A second stream writing the same SKU and warehouse would
/// make the sequence guard meaningless, so it poisons.
pub(super) async fn claim(
    conn: &mut PgConnection,
    facts: &Facts<'_>,
    event: &RecordedEvent,
) -> Result<bool, ApplyError> {
    let claimed: Option<i64> = sqlx::query_scalar(
        "insert into stock_levels (sku, warehouse_id, stock_id, as_of, last_sequence, updated_at) \
         values ($1, $2, $3, $4, $5, $6) \
         on conflict (sku, warehouse_id) do update \
            set last_sequence = excluded.last_sequence, updated_at = excluded.updated_at \
          where stock_levels.last_sequence < excluded.last_sequence \
            and stock_levels.stock_id = excluded.stock_id \
         returning last_sequence",
    )
    .bind(facts.sku.as_ref())
    .bind(facts.warehouse.as_ref())
    .bind(&event.aggregate_id)
    .bind(facts.at)
    .bind(event.sequence)
    .bind(event.recorded_at)
    .fetch_optional(&mut *conn)
    .await?;
    if claimed.is_some() {
        return Ok(true);
    }
    let owner: String = sqlx::query_scalar(
        "select stock_id from stock_levels where sku = $1 and warehouse_id = $2",
    )
    .bind(facts.sku.as_ref())
    .bind(facts.warehouse.as_ref())
    .fetch_one(&mut *conn)
    .await?;
    if owner != event.aggregate_id {
        return Err(ApplyError::poison(format!(
            "stock {}@{} is already written by stream {owner}",
            facts.sku, facts.warehouse
        )));
    }
    Ok(false)
}

/// Assigns the levels an event carries: each touched batch's absolute
/// levels (with one movement row each), then the stock's availability and
/// its totals over its batches.
pub(super) async fn assign(
    conn: &mut PgConnection,
    facts: &Facts<'_>,
    levels: &StockLevels,
    event: &RecordedEvent,
) -> Result<(), ApplyError> {
    for level in &levels.batches {
        batch_level(conn, facts, level, event).await?;
    }
    let available = i64::try_from(levels.available).map_err(ApplyError::poison)?;
    sqlx::query(
        "update stock_levels l \
            set available = $3, as_of = $4, on_hand = t.on_hand, reserved = t.reserved, \
                batches = t.batches \
           from (select coalesce(sum(on_hand), 0)::bigint as on_hand, \
                        coalesce(sum(reserved), 0)::bigint as reserved, \
                        count(*)::integer as batches \
                   from stock_batches where sku = $1 and warehouse_id = $2) t \
          where l.sku = $1 and l.warehouse_id = $2",
    )
    .bind(facts.sku.as_ref())
    .bind(facts.warehouse.as_ref())
    .bind(available)
    .bind(facts.at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Upserts one batch's levels and records the movement: the difference
/// between the levels before (none: zero) and after, in one statement.
async fn batch_level(
    conn: &mut PgConnection,
    facts: &Facts<'_>,
    level: &BatchLevel,
    event: &RecordedEvent,
) -> Result<(), ApplyError> {
    let kind = facts
        .kind
        .ok_or_else(|| ApplyError::poison("levels on an event that moves no units"))?;
    sqlx::query(
        "with before as ( \
            select on_hand, reserved from stock_batches \
             where sku = $1 and warehouse_id = $2 and batch_id = $3 \
         ), after as ( \
            insert into stock_batches \
                   (sku, warehouse_id, batch_id, expires_on, on_hand, reserved, updated_at) \
            values ($1, $2, $3, $4, $5, $6, $7) \
            on conflict (sku, warehouse_id, batch_id) do update \
               set expires_on = excluded.expires_on, on_hand = excluded.on_hand, \
                   reserved = excluded.reserved, updated_at = excluded.updated_at \
            returning on_hand, reserved \
         ) \
         insert into stock_movements \
                (event_id, batch_id, sku, warehouse_id, kind, reservation_id, on_hand_delta, \
                 reserved_delta, on_hand_after, reserved_after, occurred_at, position, recorded_at) \
         select $8, $3, $1, $2, $9, $10, \
                after.on_hand - coalesce(before.on_hand, 0), \
                after.reserved - coalesce(before.reserved, 0), \
                after.on_hand, after.reserved, $11, $12, $7 \
           from after left join before on true \
         on conflict (event_id, batch_id) do nothing",
    )
    .bind(facts.sku.as_ref())
    .bind(facts.warehouse.as_ref())
    .bind(level.batch.as_ref())
    .bind(level.expires_on)
    .bind(i64::from(level.on_hand))
    .bind(i64::from(level.reserved))
    .bind(event.recorded_at)
    .bind(event.event_id)
    .bind(kind)
    .bind(facts.reservation.map(AsRef::<str>::as_ref))
    .bind(facts.at)
    .bind(event.position.global_position)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records when a batch arrived.
pub(super) async fn received(
    conn: &mut PgConnection,
    facts: &Facts<'_>,
    batch: &BatchId,
    vendor: &VendorId,
) -> Result<(), ApplyError> {
    sqlx::query("update stock_levels set vendor_id = $3 where sku = $1 and warehouse_id = $2")
        .bind(facts.sku.as_ref())
        .bind(facts.warehouse.as_ref())
        .bind(vendor.as_ref())
        .execute(&mut *conn)
        .await?;
    let updated = sqlx::query(
        "update stock_batches set received_at = $4 \
          where sku = $1 and warehouse_id = $2 and batch_id = $3",
    )
    .bind(facts.sku.as_ref())
    .bind(facts.warehouse.as_ref())
    .bind(batch.as_ref())
    .bind(facts.at)
    .execute(&mut *conn)
    .await?;
    known_batch(updated.rows_affected(), batch)
}

/// Marks a batch written off on `on`.
pub(super) async fn written_off(
    conn: &mut PgConnection,
    facts: &Facts<'_>,
    batch: &BatchId,
    on: NaiveDate,
) -> Result<(), ApplyError> {
    let updated = sqlx::query(
        "update stock_batches set written_off = true, written_off_on = $4 \
          where sku = $1 and warehouse_id = $2 and batch_id = $3",
    )
    .bind(facts.sku.as_ref())
    .bind(facts.warehouse.as_ref())
    .bind(batch.as_ref())
    .bind(on)
    .execute(&mut *conn)
    .await?;
    known_batch(updated.rows_affected(), batch)
}

/// The batch row was just upserted from the same event's levels; missing,
/// the event did not carry its level, which this code cannot handle.
fn known_batch(rows: u64, batch: &BatchId) -> Result<(), ApplyError> {
    if rows == 0 {
        return Err(ApplyError::poison(format!("no levels for batch {batch}")));
    }
    Ok(())
}
