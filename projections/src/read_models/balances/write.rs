//! The statements on `vendor_order_balances`, `vendor_balances`,
//! `platform_fees` and the internal `escrow_milestone`.

use bazaar_domain::escrow::MilestoneBalance;
use bazaar_domain::payment_split::{Hold, SplitTotals, VendorBalance};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::Stamp;

/// Inserts or, if the event is newer, overwrites a vendor order row; a new
/// row takes what the escrow already holds for the vendor.
const UPSERT_VENDOR_ORDER: &str = "\
    insert into vendor_order_balances as b (order_id, vendor_id, currency, allocated, fee, net, \
        fee_refunded, net_refunded, held, available, paid_out, debt, hold_state, hold_until, \
        held_in_escrow, last_split_sequence, last_escrow_sequence, updated_at) \
    select $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
        coalesce(m.remaining, 0), $15, coalesce(m.last_sequence, 0), $16 \
    from (select 1) as one \
    left join escrow_milestone m on m.escrow_id = $1 and m.milestone_id = $2 \
    on conflict (order_id, vendor_id) do update set \
        currency = excluded.currency, allocated = excluded.allocated, fee = excluded.fee, \
        net = excluded.net, fee_refunded = excluded.fee_refunded, \
        net_refunded = excluded.net_refunded, held = excluded.held, \
        available = excluded.available, paid_out = excluded.paid_out, debt = excluded.debt, \
        hold_state = excluded.hold_state, hold_until = excluded.hold_until, \
        last_split_sequence = excluded.last_split_sequence, updated_at = excluded.updated_at \
    where b.last_split_sequence < excluded.last_split_sequence";

/// Assigns `balance` to the (order, vendor) row, creating it on the first
/// split event (with what the order's escrow already holds for the vendor);
/// ignored unless the event is newer than the row's last split event.
pub(super) async fn vendor_order(
    conn: &mut PgConnection,
    stamp: Stamp<'_>,
    vendor: &str,
    balance: &VendorBalance,
) -> sqlx::Result<()> {
    let (hold_state, hold_until) = hold(balance.hold);
    sqlx::query(UPSERT_VENDOR_ORDER)
        .bind(stamp.order_id)
        .bind(vendor)
        .bind(balance.allocated.currency().to_string())
        .bind(balance.allocated.amount())
        .bind(balance.fee.amount())
        .bind(balance.net.amount())
        .bind(balance.fee_refunded.amount())
        .bind(balance.net_refunded.amount())
        .bind(balance.held.amount())
        .bind(balance.available.amount())
        .bind(balance.paid_out.amount())
        .bind(balance.debt.amount())
        .bind(hold_state)
        .bind(hold_until)
        .bind(stamp.sequence)
        .bind(stamp.recorded_at)
        .execute(conn)
        .await?;
    Ok(())
}

fn hold(hold: Hold) -> (&'static str, Option<DateTime<Utc>>) {
    match hold {
        Hold::Unscheduled => ("unscheduled", None),
        Hold::Scheduled { until } => ("scheduled", Some(until)),
        Hold::Lifted { until } => ("lifted", Some(until)),
    }
}

/// Records what remains in an escrow milestone and copies it to the vendor
/// order row it belongs to, if any; both ignore events that are not newer.
pub(super) async fn milestone(
    conn: &mut PgConnection,
    stamp: Stamp<'_>,
    milestone: &MilestoneBalance,
) -> sqlx::Result<()> {
    let milestone_id = milestone.id.as_ref();
    let remaining = milestone.remaining.amount();
    sqlx::query(
        "insert into escrow_milestone as m (escrow_id, milestone_id, currency, remaining, last_sequence, updated_at) \
         values ($1, $2, $3, $4, $5, $6) \
         on conflict (escrow_id, milestone_id) do update set \
                remaining = excluded.remaining, last_sequence = excluded.last_sequence, \
                updated_at = excluded.updated_at \
          where m.last_sequence < excluded.last_sequence",
    )
    .bind(stamp.order_id)
    .bind(milestone_id)
    .bind(milestone.remaining.currency().to_string())
    .bind(remaining)
    .bind(stamp.sequence)
    .bind(stamp.recorded_at)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "update vendor_order_balances \
            set held_in_escrow = $3, last_escrow_sequence = $4, updated_at = $5 \
          where order_id = $1 and vendor_id = $2 and last_escrow_sequence < $4",
    )
    .bind(stamp.order_id)
    .bind(milestone_id)
    .bind(remaining)
    .bind(stamp.sequence)
    .bind(stamp.recorded_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether the order has a split row for the vendor (an escrow milestone of
/// a checkout).
pub(super) async fn has_vendor_order(
    conn: &mut PgConnection,
    order_id: &str,
    vendor: &str,
) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "select exists (select 1 from vendor_order_balances where order_id = $1 and vendor_id = $2)",
    )
    .bind(order_id)
    .bind(vendor)
    .fetch_one(conn)
    .await
}

/// Recomputes one vendor's `vendor_balances` rows from its order rows.
const SUM_VENDOR_TOTALS: &str = "\
    insert into vendor_balances (vendor_id, currency, earned, held, held_in_escrow, available, \
        paid_out, debt, orders, updated_at) \
    select vendor_id, currency, sum(net - net_refunded)::bigint, sum(held)::bigint, \
        sum(held_in_escrow)::bigint, sum(available)::bigint, sum(paid_out)::bigint, \
        sum(debt)::bigint, count(*), max(updated_at) \
    from vendor_order_balances where vendor_id = $1 \
    group by vendor_id, currency \
    on conflict (vendor_id, currency) do update set \
        earned = excluded.earned, held = excluded.held, \
        held_in_escrow = excluded.held_in_escrow, available = excluded.available, \
        paid_out = excluded.paid_out, debt = excluded.debt, orders = excluded.orders, \
        updated_at = excluded.updated_at";

/// Recomputes the vendor's `vendor_balances` rows: plain sums over its
/// `vendor_order_balances` rows, one per currency.
pub(super) async fn vendor_totals(conn: &mut PgConnection, vendor: &str) -> sqlx::Result<()> {
    sqlx::query(SUM_VENDOR_TOTALS)
        .bind(vendor)
        .execute(conn)
        .await?;
    Ok(())
}

/// What `SplitComputed` says about the payment beyond its totals.
pub(super) struct Payment<'a> {
    /// The capture at the payment provider.
    pub(super) payment_id: &'a str,
    /// The fee rate applied, in basis points.
    pub(super) fee_rate_bps: i32,
    /// When the split was computed.
    pub(super) at: DateTime<Utc>,
}

/// The order's `platform_fees` row as the split left it.
const INSERT_PLATFORM_FEES: &str = "\
    insert into platform_fees (order_id, payment_id, currency, fee_rate_bps, captured, platform_fee, \
        platform_fee_refunded, refunded, charged_back, remaining, split_at, last_sequence, updated_at) \
    values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
    on conflict (order_id) do nothing";

/// Inserts the order's `platform_fees` row (a replay changes nothing).
pub(super) async fn payment(
    conn: &mut PgConnection,
    stamp: Stamp<'_>,
    payment: &Payment<'_>,
    totals: &SplitTotals,
) -> sqlx::Result<()> {
    sqlx::query(INSERT_PLATFORM_FEES)
        .bind(stamp.order_id)
        .bind(payment.payment_id)
        .bind(totals.captured.currency().to_string())
        .bind(payment.fee_rate_bps)
        .bind(totals.captured.amount())
        .bind(totals.platform_fee.amount())
        .bind(totals.platform_fee_refunded.amount())
        .bind(totals.refunded.amount())
        .bind(totals.charged_back.amount())
        .bind(totals.remaining.amount())
        .bind(payment.at)
        .bind(stamp.sequence)
        .bind(stamp.recorded_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Assigns the payment's totals after a refund or chargeback, unless the
/// row already saw a newer event.
pub(super) async fn totals(
    conn: &mut PgConnection,
    stamp: Stamp<'_>,
    totals: &SplitTotals,
) -> sqlx::Result<()> {
    sqlx::query(
        "update platform_fees \
            set captured = $2, platform_fee = $3, platform_fee_refunded = $4, refunded = $5, \
                charged_back = $6, remaining = $7, last_sequence = $8, updated_at = $9 \
          where order_id = $1 and last_sequence < $8",
    )
    .bind(stamp.order_id)
    .bind(totals.captured.amount())
    .bind(totals.platform_fee.amount())
    .bind(totals.platform_fee_refunded.amount())
    .bind(totals.refunded.amount())
    .bind(totals.charged_back.amount())
    .bind(totals.remaining.amount())
    .bind(stamp.sequence)
    .bind(stamp.recorded_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The order's payment id, once its split is computed.
pub(super) async fn payment_id(
    conn: &mut PgConnection,
    order_id: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("select payment_id from platform_fees where order_id = $1")
        .bind(order_id)
        .fetch_optional(conn)
        .await
}
