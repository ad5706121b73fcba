//! The statements that write a batch's balances: one `unnest` statement
//! per table, then one that adds the batch's changes to the vendors'
//! totals.

use sqlx::PgConnection;

use super::rows::Rows;
use super::totals::{self, Change};

/// Writes every changed row and new ledger entry, then the totals.
pub(super) async fn write(conn: &mut PgConnection, rows: &Rows) -> sqlx::Result<()> {
    if rows.milestones.changed_count() > 0 {
        milestones(conn, rows).await?;
    }
    if rows.vendor_orders.changed_count() > 0 {
        vendor_orders(conn, rows).await?;
    }
    if rows.fees.changed_count() > 0 {
        fees(conn, rows).await?;
    }
    if !rows.ledger.is_empty() {
        ledger(conn, rows).await?;
    }
    let changes = totals::changes(
        &rows.loaded,
        rows.vendor_orders.rows(),
        rows.vendor_orders.changed(),
    );
    if !changes.is_empty() {
        vendor_totals(conn, &changes).await?;
    }
    Ok(())
}

async fn vendor_orders(conn: &mut PgConnection, rows: &Rows) -> sqlx::Result<()> {
    let r = || rows.vendor_orders.changed();
    sqlx::query(
        "insert into vendor_order_balances (order_id, vendor_id, currency, allocated, fee, net, \
                fee_refunded, net_refunded, held, available, paid_out, debt, hold_state, hold_until, \
                held_in_escrow, last_split_sequence, last_escrow_sequence, updated_at) \
         select * from unnest($1::text[], $2::text[], $3::text[], $4::int8[], $5::int8[], $6::int8[], \
                $7::int8[], $8::int8[], $9::int8[], $10::int8[], $11::int8[], $12::int8[], $13::text[], \
                $14::timestamptz[], $15::int8[], $16::int8[], $17::int8[], $18::timestamptz[]) \
         on conflict (order_id, vendor_id) do update set \
                currency = excluded.currency, allocated = excluded.allocated, fee = excluded.fee, \
                net = excluded.net, fee_refunded = excluded.fee_refunded, \
                net_refunded = excluded.net_refunded, held = excluded.held, \
                available = excluded.available, paid_out = excluded.paid_out, debt = excluded.debt, \
                hold_state = excluded.hold_state, hold_until = excluded.hold_until, \
                held_in_escrow = excluded.held_in_escrow, \
                last_split_sequence = excluded.last_split_sequence, \
                last_escrow_sequence = excluded.last_escrow_sequence, updated_at = excluded.updated_at",
    )
    .bind(r().map(|v| v.order_id.as_str()).collect::<Vec<_>>())
    .bind(r().map(|v| v.vendor_id.as_str()).collect::<Vec<_>>())
    .bind(r().map(|v| v.currency.as_str()).collect::<Vec<_>>())
    .bind(r().map(|v| v.allocated).collect::<Vec<_>>())
    .bind(r().map(|v| v.fee).collect::<Vec<_>>())
    .bind(r().map(|v| v.net).collect::<Vec<_>>())
    .bind(r().map(|v| v.fee_refunded).collect::<Vec<_>>())
    .bind(r().map(|v| v.net_refunded).collect::<Vec<_>>())
    .bind(r().map(|v| v.held).collect::<Vec<_>>())
    .bind(r().map(|v| v.available).collect::<Vec<_>>())
    .bind(r().map(|v| v.paid_out).collect::<Vec<_>>())
    .bind(r().map(|v| v.debt).collect::<Vec<_>>())
    .bind(r().map(|v| v.hold_state.as_str()).collect::<Vec<_>>())
    .bind(r().map(|v| v.hold_until).collect::<Vec<_>>())
    .bind(r().map(|v| v.held_in_escrow).collect::<Vec<_>>())
    .bind(r().map(|v| v.last_split_sequence).collect::<Vec<_>>())
    .bind(r().map(|v| v.last_escrow_sequence).collect::<Vec<_>>())
    .bind(r().map(|v| v.updated_at).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

async fn fees(conn: &mut PgConnection, rows: &Rows) -> sqlx::Result<()> {
    let r = || rows.fees.changed();
    sqlx::query(
        "insert into platform_fees (order_id, payment_id, currency, fee_rate_bps, captured, platform_fee, \
                platform_fee_refunded, refunded, charged_back, remaining, split_at, last_sequence, \
                updated_at) \
         select * from unnest($1::text[], $2::text[], $3::text[], $4::int4[], $5::int8[], $6::int8[], \
                $7::int8[], $8::int8[], $9::int8[], $10::int8[], $11::timestamptz[], $12::int8[], \
                $13::timestamptz[]) \
         on conflict (order_id) do update set \
                captured = excluded.captured, platform_fee = excluded.platform_fee, \
                platform_fee_refunded = excluded.platform_fee_refunded, refunded = excluded.refunded, \
                charged_back = excluded.charged_back, remaining = excluded.remaining, \
                last_sequence = excluded.last_sequence, updated_at = excluded.updated_at",
    )
    .bind(r().map(|f| f.order_id.as_str()).collect::<Vec<_>>())
    .bind(r().map(|f| f.payment_id.as_str()).collect::<Vec<_>>())
    .bind(r().map(|f| f.currency.as_str()).collect::<Vec<_>>())
    .bind(r().map(|f| f.fee_rate_bps).collect::<Vec<_>>())
    .bind(r().map(|f| f.captured).collect::<Vec<_>>())
    .bind(r().map(|f| f.platform_fee).collect::<Vec<_>>())
    .bind(r().map(|f| f.platform_fee_refunded).collect::<Vec<_>>())
    .bind(r().map(|f| f.refunded).collect::<Vec<_>>())
    .bind(r().map(|f| f.charged_back).collect::<Vec<_>>())
    .bind(r().map(|f| f.remaining).collect::<Vec<_>>())
    .bind(r().map(|f| f.split_at).collect::<Vec<_>>())
    .bind(r().map(|f| f.last_sequence).collect::<Vec<_>>())
    .bind(r().map(|f| f.updated_at).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

async fn milestones(conn: &mut PgConnection, rows: &Rows) -> sqlx::Result<()> {
    let r = || rows.milestones.changed();
    sqlx::query(
        "insert into escrow_milestone (escrow_id, milestone_id, currency, remaining, last_sequence, \
                updated_at) \
         select * from unnest($1::text[], $2::text[], $3::text[], $4::int8[], $5::int8[], \
                $6::timestamptz[]) \
         on conflict (escrow_id, milestone_id) do update set \
                remaining = excluded.remaining, last_sequence = excluded.last_sequence, \
                updated_at = excluded.updated_at",
    )
    .bind(r().map(|m| m.escrow_id.as_str()).collect::<Vec<_>>())
    .bind(r().map(|m| m.milestone_id.as_str()).collect::<Vec<_>>())
    .bind(r().map(|m| m.currency.as_str()).collect::<Vec<_>>())
    .bind(r().map(|m| m.remaining).collect::<Vec<_>>())
    .bind(r().map(|m| m.last_sequence).collect::<Vec<_>>())
    .bind(r().map(|m| m.updated_at).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

async fn ledger(conn: &mut PgConnection, rows: &Rows) -> sqlx::Result<()> {
    let r = || rows.ledger.iter();
    sqlx::query(
        "insert into payout_ledger (entry_id, vendor_id, order_id, currency, kind, amount, in_balance, \
                reference, detail, occurred_at, event_id, position, recorded_at) \
         select * from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int8[], \
                $7::bool[], $8::text[], $9::text[], $10::timestamptz[], $11::uuid[], $12::int8[], \
                $13::timestamptz[]) \
         on conflict (entry_id) do nothing",
    )
    .bind(r().map(|e| e.entry_id).collect::<Vec<_>>())
    .bind(r().map(|e| e.vendor_id.as_str()).collect::<Vec<_>>())
    .bind(r().map(|e| e.order_id.as_str()).collect::<Vec<_>>())
    .bind(r().map(|e| e.currency.as_str()).collect::<Vec<_>>())
    .bind(r().map(|e| e.kind).collect::<Vec<_>>())
    .bind(r().map(|e| e.amount).collect::<Vec<_>>())
    .bind(r().map(|e| e.in_balance).collect::<Vec<_>>())
    .bind(r().map(|e| e.reference.as_deref()).collect::<Vec<_>>())
    .bind(r().map(|e| e.detail).collect::<Vec<_>>())
    .bind(r().map(|e| e.occurred_at).collect::<Vec<_>>())
    .bind(r().map(|e| e.event_id).collect::<Vec<_>>())
    .bind(r().map(|e| e.position).collect::<Vec<_>>())
    .bind(r().map(|e| e.recorded_at).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

/// Adds to the `vendor_balances` rows what the batch changed them by
/// (`super::totals`).
async fn vendor_totals(conn: &mut PgConnection, changes: &[Change]) -> sqlx::Result<()> {
    let c = || changes.iter();
    sqlx::query(
        "insert into vendor_balances (vendor_id, currency, earned, held, held_in_escrow, available, \
                paid_out, debt, orders, updated_at) \
         select * from unnest($1::text[], $2::text[], $3::int8[], $4::int8[], $5::int8[], $6::int8[], \
                $7::int8[], $8::int8[], $9::int8[], $10::timestamptz[]) \
         on conflict (vendor_id, currency) do update set \
                earned = vendor_balances.earned + excluded.earned, \
                held = vendor_balances.held + excluded.held, \
                held_in_escrow = vendor_balances.held_in_escrow + excluded.held_in_escrow, \
                available = vendor_balances.available + excluded.available, \
                paid_out = vendor_balances.paid_out + excluded.paid_out, \
                debt = vendor_balances.debt + excluded.debt, \
                orders = vendor_balances.orders + excluded.orders, \
                updated_at = greatest(vendor_balances.updated_at, excluded.updated_at)",
    )
    .bind(c().map(|c| c.vendor_id.as_str()).collect::<Vec<_>>())
    .bind(c().map(|c| c.currency.as_str()).collect::<Vec<_>>())
    .bind(c().map(|c| c.by.earned).collect::<Vec<_>>())
    .bind(c().map(|c| c.by.held).collect::<Vec<_>>())
    .bind(c().map(|c| c.by.held_in_escrow).collect::<Vec<_>>())
    .bind(c().map(|c| c.by.available).collect::<Vec<_>>())
    .bind(c().map(|c| c.by.paid_out).collect::<Vec<_>>())
    .bind(c().map(|c| c.by.debt).collect::<Vec<_>>())
    .bind(c().map(|c| c.by.orders).collect::<Vec<_>>())
    .bind(c().map(|c| c.updated_at).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}
