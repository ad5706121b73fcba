//! The rows of the balances read model as plain data, loaded for the
//! orders a batch touches (a split's and a checkout escrow's id are the
//! order's id).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::totals::{sums, SumsByVendor};
use crate::read_models::table::{rows_of, Table};

type Time = DateTime<Utc>;

/// One `vendor_order_balances` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(super) struct VendorOrderRow {
    pub(super) order_id: String,
    pub(super) vendor_id: String,
    pub(super) currency: String,
    pub(super) allocated: i64,
    pub(super) fee: i64,
    pub(super) net: i64,
    pub(super) fee_refunded: i64,
    pub(super) net_refunded: i64,
    pub(super) held: i64,
    pub(super) available: i64,
    pub(super) paid_out: i64,
    pub(super) debt: i64,
    pub(super) hold_state: String,
    pub(super) hold_until: Option<Time>,
    pub(super) held_in_escrow: i64,
    pub(super) last_split_sequence: i64,
    pub(super) last_escrow_sequence: i64,
    pub(super) updated_at: Time,
}

/// One `platform_fees` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(super) struct FeeRow {
    pub(super) order_id: String,
    pub(super) payment_id: String,
    pub(super) currency: String,
    pub(super) fee_rate_bps: i32,
    pub(super) captured: i64,
    pub(super) platform_fee: i64,
    pub(super) platform_fee_refunded: i64,
    pub(super) refunded: i64,
    pub(super) charged_back: i64,
    pub(super) remaining: i64,
    pub(super) split_at: Time,
    pub(super) last_sequence: i64,
    pub(super) updated_at: Time,
}

/// One row of the internal `escrow_milestone`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(super) struct MilestoneRow {
    pub(super) escrow_id: String,
    pub(super) milestone_id: String,
    pub(super) currency: String,
    pub(super) remaining: i64,
    pub(super) last_sequence: i64,
    pub(super) updated_at: Time,
}

/// One `payout_ledger` row.
#[derive(Debug, Clone)]
pub(super) struct LedgerRow {
    pub(super) entry_id: Uuid,
    pub(super) vendor_id: String,
    pub(super) order_id: String,
    pub(super) currency: String,
    pub(super) kind: &'static str,
    pub(super) amount: i64,
    pub(super) in_balance: bool,
    pub(super) reference: Option<String>,
    pub(super) detail: Option<&'static str>,
    pub(super) occurred_at: Time,
    pub(super) event_id: Uuid,
    pub(super) position: i64,
    pub(super) recorded_at: Time,
}

/// (order, vendor), or (escrow, milestone).
pub(super) type PairKey = (String, String);

/// The rows of a batch's orders, its new ledger entries, and the vendor
/// sums over its vendor orders as loaded.
#[derive(Debug, Default)]
pub(super) struct Rows {
    pub(super) vendor_orders: Table<PairKey, VendorOrderRow>,
    pub(super) fees: Table<String, FeeRow>,
    pub(super) milestones: Table<PairKey, MilestoneRow>,
    pub(super) ledger: Vec<LedgerRow>,
    /// Ids of `ledger`: a second entry with one is dropped, as the table's
    /// `on conflict do nothing` does.
    pub(super) entered: HashSet<Uuid>,
    /// The sums over `vendor_orders` as loaded (`super::totals`).
    pub(super) loaded: SumsByVendor,
}

/// Loads the rows of `order_ids`. No row locks: one batch of a generation
/// runs at a time, and a lock would take a transaction id before the batch
/// writes.
pub(super) async fn load(conn: &mut PgConnection, order_ids: &[&str]) -> sqlx::Result<Rows> {
    let vendor_orders: Vec<VendorOrderRow> =
        rows_of(&mut *conn, "vendor_order_balances", "order_id", order_ids).await?;
    let fees: Vec<FeeRow> = rows_of(&mut *conn, "platform_fees", "order_id", order_ids).await?;
    let milestones: Vec<MilestoneRow> =
        rows_of(&mut *conn, "escrow_milestone", "escrow_id", order_ids).await?;
    Ok(Rows {
        loaded: sums(vendor_orders.iter()),
        vendor_orders: Table::loaded(
            vendor_orders
                .into_iter()
                .map(|r| ((r.order_id.clone(), r.vendor_id.clone()), r)),
        ),
        fees: Table::loaded(fees.into_iter().map(|r| (r.order_id.clone(), r))),
        milestones: Table::loaded(
            milestones
                .into_iter()
                .map(|r| ((r.escrow_id.clone(), r.milestone_id.clone()), r)),
        ),
        ..Rows::default()
    })
}
