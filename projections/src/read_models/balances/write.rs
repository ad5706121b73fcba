//! What an event does to `vendor_order_balances`, `vendor_balances`,
//! `platform_fees` and the internal `escrow_milestone`, in the batch's
//! rows: each operation changes them as its one-row statement did.

use bazaar_domain::escrow::MilestoneBalance;
use bazaar_domain::payment_split::{Hold, SplitTotals, VendorBalance};
use chrono::{DateTime, Utc};

use super::rows::{FeeRow, MilestoneRow, Rows, VendorOrderRow};
use super::Stamp;

/// Assigns `balance` to the (order, vendor) row, creating it on the first
/// split event (with what the order's escrow already holds for the vendor);
/// ignored unless the event is newer than the row's last split event.
pub(super) fn vendor_order(
    rows: &mut Rows,
    stamp: Stamp<'_>,
    vendor: &str,
    balance: &VendorBalance,
) {
    let key = (stamp.order_id.to_owned(), vendor.to_owned());
    let escrow = rows
        .milestones
        .get(&key)
        .map(|m| (m.remaining, m.last_sequence));
    let row = match rows.vendor_orders.get(&key) {
        Some(row) if row.last_split_sequence >= stamp.sequence => return,
        Some(_) => rows.vendor_orders.get_mut(&key),
        None => {
            let (held_in_escrow, last_escrow_sequence) = escrow.unwrap_or((0, 0));
            let row = VendorOrderRow {
                order_id: key.0.clone(),
                vendor_id: key.1.clone(),
                currency: String::new(),
                allocated: 0,
                fee: 0,
                net: 0,
                fee_refunded: 0,
                net_refunded: 0,
                held: 0,
                available: 0,
                paid_out: 0,
                debt: 0,
                hold_state: String::new(),
                hold_until: None,
                held_in_escrow,
                last_split_sequence: 0,
                last_escrow_sequence,
                updated_at: stamp.recorded_at,
            };
            rows.vendor_orders.insert(key.clone(), row);
            rows.vendor_orders.get_mut(&key)
        }
    };
    if let Some(row) = row {
        assign(row, stamp, balance);
    }
}

fn assign(row: &mut VendorOrderRow, stamp: Stamp<'_>, balance: &VendorBalance) {
    let (hold_state, hold_until) = hold(balance.hold);
    row.currency = balance.allocated.currency().to_string();
    row.allocated = balance.allocated.amount();
    row.fee = balance.fee.amount();
    row.net = balance.net.amount();
    row.fee_refunded = balance.fee_refunded.amount();
    row.net_refunded = balance.net_refunded.amount();
    row.held = balance.held.amount();
    row.available = balance.available.amount();
    row.paid_out = balance.paid_out.amount();
    row.debt = balance.debt.amount();
    row.hold_state = hold_state.to_owned();
    row.hold_until = hold_until;
    row.last_split_sequence = stamp.sequence;
    row.updated_at = stamp.recorded_at;
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
pub(super) fn milestone(rows: &mut Rows, stamp: Stamp<'_>, milestone: &MilestoneBalance) {
    let key = (stamp.order_id.to_owned(), milestone.id.to_string());
    let remaining = milestone.remaining.amount();
    match rows.milestones.get(&key) {
        Some(row) if row.last_sequence >= stamp.sequence => {}
        Some(_) => {
            if let Some(row) = rows.milestones.get_mut(&key) {
                row.remaining = remaining;
                row.last_sequence = stamp.sequence;
                row.updated_at = stamp.recorded_at;
            }
        }
        None => {
            let row = MilestoneRow {
                escrow_id: key.0.clone(),
                milestone_id: key.1.clone(),
                currency: milestone.remaining.currency().to_string(),
                remaining,
                last_sequence: stamp.sequence,
                updated_at: stamp.recorded_at,
            };
            rows.milestones.insert(key.clone(), row);
        }
    }
    let newer = rows
        .vendor_orders
        .get(&key)
        .is_some_and(|row| row.last_escrow_sequence < stamp.sequence);
    if !newer {
        return;
    }
    if let Some(row) = rows.vendor_orders.get_mut(&key) {
        row.held_in_escrow = remaining;
        row.last_escrow_sequence = stamp.sequence;
        row.updated_at = stamp.recorded_at;
    }
}

/// Whether the order has a split row for the vendor (an escrow milestone of
/// a checkout).
pub(super) fn has_vendor_order(rows: &Rows, order_id: &str, vendor: &str) -> bool {
    let key = (order_id.to_owned(), vendor.to_owned());
    rows.vendor_orders.get(&key).is_some()
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

/// Inserts the order's `platform_fees` row (a replay changes nothing).
pub(super) fn payment(
    rows: &mut Rows,
    stamp: Stamp<'_>,
    payment: &Payment<'_>,
    totals: &SplitTotals,
) {
    if rows.fees.get(stamp.order_id).is_some() {
        return;
    }
    let row = FeeRow {
        order_id: stamp.order_id.to_owned(),
        payment_id: payment.payment_id.to_owned(),
        currency: totals.captured.currency().to_string(),
        fee_rate_bps: payment.fee_rate_bps,
        captured: totals.captured.amount(),
        platform_fee: totals.platform_fee.amount(),
        platform_fee_refunded: totals.platform_fee_refunded.amount(),
        refunded: totals.refunded.amount(),
        charged_back: totals.charged_back.amount(),
        remaining: totals.remaining.amount(),
        split_at: payment.at,
        last_sequence: stamp.sequence,
        updated_at: stamp.recorded_at,
    };
    rows.fees.insert(stamp.order_id.to_owned(), row);
}

/// Assigns the payment's totals after a refund or chargeback, unless the
/// row already saw a newer event (or there is none).
pub(super) fn totals(rows: &mut Rows, stamp: Stamp<'_>, totals: &SplitTotals) {
    let newer = rows
        .fees
        .get(stamp.order_id)
        .is_some_and(|row| row.last_sequence < stamp.sequence);
    if !newer {
        return;
    }
    let Some(row) = rows.fees.get_mut(stamp.order_id) else {
        return;
    };
    row.captured = totals.captured.amount();
    row.platform_fee = totals.platform_fee.amount();
    row.platform_fee_refunded = totals.platform_fee_refunded.amount();
    row.refunded = totals.refunded.amount();
    row.charged_back = totals.charged_back.amount();
    row.remaining = totals.remaining.amount();
    row.last_sequence = stamp.sequence;
    row.updated_at = stamp.recorded_at;
}

/// The order's payment id, once its split is computed.
pub(super) fn payment_id(rows: &Rows, order_id: &str) -> Option<String> {
    rows.fees.get(order_id).map(|row| row.payment_id.clone())
}
