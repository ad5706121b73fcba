//! The statements that write a batch's changed stock rows: one `unnest`
//! statement per table, whatever the number of events.

use sqlx::PgConnection;

use super::rows::Rows;

/// Writes every changed row and every new movement.
pub(super) async fn write(conn: &mut PgConnection, rows: &Rows) -> sqlx::Result<()> {
    if rows.levels.changed_count() > 0 {
        levels(conn, rows).await?;
    }
    if rows.batches.changed_count() > 0 {
        batches(conn, rows).await?;
    }
    if rows.holds.changed_count() > 0 {
        holds(conn, rows).await?;
    }
    if !rows.movements.is_empty() {
        movements(conn, rows).await?;
    }
    Ok(())
}

async fn levels(conn: &mut PgConnection, rows: &Rows) -> sqlx::Result<()> {
    let r = || rows.levels.changed();
    sqlx::query(
        "insert into stock_levels (sku, warehouse_id, stock_id, vendor_id, available, on_hand, reserved, \
                batches, as_of, last_sequence, updated_at) \
         select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::int8[], \
                $7::int8[], $8::int4[], $9::timestamptz[], $10::int8[], $11::timestamptz[]) \
         on conflict (sku, warehouse_id) do update set \
                vendor_id = excluded.vendor_id, available = excluded.available, \
                on_hand = excluded.on_hand, reserved = excluded.reserved, batches = excluded.batches, \
                as_of = excluded.as_of, last_sequence = excluded.last_sequence, \
                updated_at = excluded.updated_at",
    )
    .bind(r().map(|l| l.sku.as_str()).collect::<Vec<_>>())
    .bind(r().map(|l| l.warehouse_id.as_str()).collect::<Vec<_>>())
    .bind(r().map(|l| l.stock_id.as_str()).collect::<Vec<_>>())
    .bind(r().map(|l| l.vendor_id.as_deref()).collect::<Vec<_>>())
    .bind(r().map(|l| l.available).collect::<Vec<_>>())
    .bind(r().map(|l| l.on_hand).collect::<Vec<_>>())
    .bind(r().map(|l| l.reserved).collect::<Vec<_>>())
    .bind(r().map(|l| l.batches).collect::<Vec<_>>())
    .bind(r().map(|l| l.as_of).collect::<Vec<_>>())
    .bind(r().map(|l| l.last_sequence).collect::<Vec<_>>())
    .bind(r().map(|l| l.updated_at).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

async fn batches(conn: &mut PgConnection, rows: &Rows) -> sqlx::Result<()> {
    let r = || rows.batches.changed();
    sqlx::query(
        "insert into stock_batches (sku, warehouse_id, batch_id, expires_on, on_hand, reserved, \
                written_off, written_off_on, received_at, updated_at) \
         select * from unnest($1::text[], $2::text[], $3::text[], $4::date[], $5::int8[], $6::int8[], \
                $7::bool[], $8::date[], $9::timestamptz[], $10::timestamptz[]) \
         on conflict (sku, warehouse_id, batch_id) do update set \
                expires_on = excluded.expires_on, on_hand = excluded.on_hand, \
                reserved = excluded.reserved, written_off = excluded.written_off, \
                written_off_on = excluded.written_off_on, received_at = excluded.received_at, \
                updated_at = excluded.updated_at",
    )
    .bind(r().map(|b| b.sku.as_str()).collect::<Vec<_>>())
    .bind(r().map(|b| b.warehouse_id.as_str()).collect::<Vec<_>>())
    .bind(r().map(|b| b.batch_id.as_str()).collect::<Vec<_>>())
    .bind(r().map(|b| b.expires_on).collect::<Vec<_>>())
    .bind(r().map(|b| b.on_hand).collect::<Vec<_>>())
    .bind(r().map(|b| b.reserved).collect::<Vec<_>>())
    .bind(r().map(|b| b.written_off).collect::<Vec<_>>())
    .bind(r().map(|b| b.written_off_on).collect::<Vec<_>>())
    .bind(r().map(|b| b.received_at).collect::<Vec<_>>())
    .bind(r().map(|b| b.updated_at).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

async fn holds(conn: &mut PgConnection, rows: &Rows) -> sqlx::Result<()> {
    let r = || rows.holds.changed();
    sqlx::query(
        "insert into stock_reservations (reservation_id, sku, warehouse_id, quantity, status, expires_at, \
                ship_on, min_shelf_life_days, allocations, release_reason, reserved_at, ended_at, \
                updated_at) \
         select * from unnest($1::text[], $2::text[], $3::text[], $4::int8[], $5::text[], \
                $6::timestamptz[], $7::date[], $8::int4[], $9::jsonb[], $10::text[], \
                $11::timestamptz[], $12::timestamptz[], $13::timestamptz[]) \
         on conflict (reservation_id) do update set \
                status = excluded.status, allocations = excluded.allocations, \
                expires_at = excluded.expires_at, release_reason = excluded.release_reason, \
                ended_at = excluded.ended_at, updated_at = excluded.updated_at",
    )
    .bind(r().map(|h| h.reservation_id.as_str()).collect::<Vec<_>>())
    .bind(r().map(|h| h.sku.as_str()).collect::<Vec<_>>())
    .bind(r().map(|h| h.warehouse_id.as_str()).collect::<Vec<_>>())
    .bind(r().map(|h| h.quantity).collect::<Vec<_>>())
    .bind(r().map(|h| h.status.as_str()).collect::<Vec<_>>())
    .bind(r().map(|h| h.expires_at).collect::<Vec<_>>())
    .bind(r().map(|h| h.ship_on).collect::<Vec<_>>())
    .bind(r().map(|h| h.min_shelf_life_days).collect::<Vec<_>>())
    .bind(r().map(|h| h.allocations.clone()).collect::<Vec<_>>())
    .bind(r().map(|h| h.release_reason.as_deref()).collect::<Vec<_>>())
    .bind(r().map(|h| h.reserved_at).collect::<Vec<_>>())
    .bind(r().map(|h| h.ended_at).collect::<Vec<_>>())
    .bind(r().map(|h| h.updated_at).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

async fn movements(conn: &mut PgConnection, rows: &Rows) -> sqlx::Result<()> {
    let r = || rows.movements.iter();
    sqlx::query(
        "insert into stock_movements (event_id, batch_id, sku, warehouse_id, kind, reservation_id, \
                on_hand_delta, reserved_delta, on_hand_after, reserved_after, occurred_at, position, \
                recorded_at) \
         select * from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], \
                $7::int8[], $8::int8[], $9::int8[], $10::int8[], $11::timestamptz[], $12::int8[], \
                $13::timestamptz[]) \
         on conflict (event_id, batch_id) do nothing",
    )
    .bind(r().map(|m| m.event_id).collect::<Vec<_>>())
    .bind(r().map(|m| m.batch_id.as_str()).collect::<Vec<_>>())
    .bind(r().map(|m| m.sku.as_str()).collect::<Vec<_>>())
    .bind(r().map(|m| m.warehouse_id.as_str()).collect::<Vec<_>>())
    .bind(r().map(|m| m.kind).collect::<Vec<_>>())
    .bind(r().map(|m| m.reservation_id.as_deref()).collect::<Vec<_>>())
    .bind(r().map(|m| m.on_hand_delta).collect::<Vec<_>>())
    .bind(r().map(|m| m.reserved_delta).collect::<Vec<_>>())
    .bind(r().map(|m| m.on_hand_after).collect::<Vec<_>>())
    .bind(r().map(|m| m.reserved_after).collect::<Vec<_>>())
    .bind(r().map(|m| m.occurred_at).collect::<Vec<_>>())
    .bind(r().map(|m| m.position).collect::<Vec<_>>())
    .bind(r().map(|m| m.recorded_at).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}
