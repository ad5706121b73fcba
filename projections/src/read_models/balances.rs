//! The vendor balances and payout ledger read model: where each vendor's
//! money is, per order and in total, every movement of it, and what the
//! platform earns, for vendor dashboards and statements, payout operations,
//! dunning of vendor debt and finance analytics.
//!
//! - `vendor_order_balances`: one row per (order, vendor): the vendor's
//!   [`VendorBalance`] in that order's payment split, plus what is still in
//!   the order's escrow for the vendor (`held_in_escrow`).
//! - `vendor_balances`: one row per (vendor, currency): plain sums over the
//!   vendor's `vendor_order_balances` rows, kept in the same transaction
//!   whenever one of them changes (by difference: `balances/totals.rs`).
//! - `payout_ledger`: one row per money movement per vendor (sale, fee,
//!   payout, failed payout, refund, chargeback, debt, escrow release or
//!   refund), signed from the vendor's point of view.
//! - `platform_fees`: one row per paid order: the payment's [`SplitTotals`].
//!
//! Built from `PaymentSplit` and `Escrow` events. A split's id is its
//! order's id. A checkout escrow's id is the order id too, and its milestone
//! ids are vendor ids: escrow milestones join a vendor order row on
//! (escrow id, milestone id) = (order id, vendor id). Escrows that are not a
//! checkout's (no split row for that pair) are kept only in an internal
//! table and never reach the exposed ones.
//!
//! No business rule is recomputed: balances, totals and milestone remainders
//! are assigned as the events carry them. The only arithmetic is the sums of
//! `vendor_balances`, `earned = net - net_refunded` there, and the sign of
//! each ledger amount.
//!
//! # Ledger sign convention
//! `amount` is positive when money moves towards the vendor and negative
//! when it moves away. Entries with `in_balance = true` (`earned`, `fee`,
//! `refund`, `chargeback`, `payout`, `payout_failed`) add up, per vendor and
//! currency, to `earned - paid_out = held + available - debt` of
//! `vendor_balances`: what the platform owes the vendor (negative: what the
//! vendor owes). The others are memo entries about money that those already
//! count: `debt_incurred` (negative) and `debt_recovered` (positive) add up
//! to `-debt`; `escrow_released` (positive) and `escrow_refunded`
//! (negative) are money leaving the order's escrow.
//!
//! # Idempotency
//! Each `vendor_order_balances` row keeps the last applied split and escrow
//! sequence of its order and ignores events that are not newer;
//! `platform_fees` and the internal `escrow_milestone` do the same. Ledger
//! entry ids are derived from the event id, vendor and kind, so a replayed
//! entry conflicts and is dropped. `vendor_balances` always equals the sums
//! of the rows it follows: a batch adds exactly what it changed them by. `updated_at` is the recorded time of the last event
//! that changed a row, so a rebuild produces identical rows.
//!
//! # Batches
//! A batch is applied set-based: the rows of its orders are loaded with one
//! statement per table, its events folded into them in order, the changed
//! rows and new ledger entries written with one `unnest` statement per
//! table, and the change of every vendor's totals added with one more
//! (not summed again over the vendor's history). The rows are those of applying one event at a time (a single
//! event is a batch of one).
//!
//! # Layout
//! - `balances/tables.sql`: the tables and indexes of one generation.
//! - `split`: what each `PaymentSplit` event changes.
//! - `escrow`: what each `Escrow` event changes.
//! - `totals`: the change of the vendors' totals a batch makes.
//! - `ledger`: ledger entries, their kinds and ids.
//! - `write`: what an event does to the balance and fee rows.
//! - `rows`: the rows as data, and loading them.
//! - `store`: writing the changed rows.
//! - [`queries`]: the statements that read the tables, for the API.
//!
//! [`VendorBalance`]: bazaar_domain::payment_split::VendorBalance
//! [`SplitTotals`]: bazaar_domain::payment_split::SplitTotals

mod escrow;
mod ledger;
pub mod queries;
mod rows;
mod split;
mod store;
mod totals;
mod write;

use bazaar_domain::escrow::EscrowEvent;
use bazaar_domain::payment_split::PaymentSplitEvent;
use bazaar_event_store::RecordedEvent;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::projection::{apply_one, ApplyError, BatchError, Projection};
use crate::read_models::table::{fold_batch, StreamRows};
use rows::Rows;

/// The persisted aggregate type of payment splits.
const PAYMENT_SPLIT: &str = "PaymentSplit";
/// The persisted aggregate type of escrows.
const ESCROW: &str = "Escrow";

/// The balances read model (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct Balances;

/// Which event of which stream is being applied.
#[derive(Debug, Clone, Copy)]
struct Stamp<'a> {
    /// The order: the split's or the checkout escrow's aggregate id.
    order_id: &'a str,
    /// The event's sequence in its stream.
    sequence: i64,
    /// The event's id, from which ledger entry ids are derived.
    event_id: Uuid,
    /// The event's global position.
    position: i64,
    /// When the event was recorded: `updated_at` of the rows it changes.
    recorded_at: DateTime<Utc>,
}

impl Projection for Balances {
    const NAME: &'static str = "balances";
    const CODE_VERSION: i32 = 1;
    const AGGREGATE_TYPES: &'static [&'static str] = <Rows as StreamRows>::AGGREGATE_TYPES;

    fn tables(&self) -> &'static str {
        include_str!("balances/tables.sql")
    }

    fn exposed(&self) -> &'static [&'static str] {
        &[
            "vendor_order_balances",
            "vendor_balances",
            "payout_ledger",
            "platform_fees",
        ]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: &RecordedEvent,
    ) -> Result<(), ApplyError> {
        apply_one(self, conn, event).await
    }

    async fn apply_batch(
        &self,
        conn: &mut PgConnection,
        events: &[RecordedEvent],
    ) -> Result<(), BatchError> {
        fold_batch::<Rows>(conn, events).await
    }
}

impl StreamRows for Rows {
    const AGGREGATE_TYPES: &'static [&'static str] = &[PAYMENT_SPLIT, ESCROW];

    async fn load(conn: &mut PgConnection, ids: &[&str]) -> sqlx::Result<Self> {
        rows::load(conn, ids).await
    }

    fn fold(&mut self, event: &RecordedEvent) -> Result<(), ApplyError> {
        fold(self, event)
    }

    async fn write(&self, conn: &mut PgConnection) -> sqlx::Result<()> {
        store::write(conn, self).await
    }
}

/// Folds one event of a split or an escrow into the batch's rows.
fn fold(rows: &mut Rows, event: &RecordedEvent) -> Result<(), ApplyError> {
    let stamp = Stamp {
        order_id: &event.aggregate_id,
        sequence: event.sequence,
        event_id: event.event_id,
        position: event.position.global_position,
        recorded_at: event.recorded_at,
    };
    match event.aggregate_type.as_str() {
        PAYMENT_SPLIT => split::apply(rows, stamp, parse::<PaymentSplitEvent>(event)?),
        _ => {
            escrow::apply(rows, stamp, parse::<EscrowEvent>(event)?);
            Ok(())
        }
    }
}

fn parse<T: DeserializeOwned>(event: &RecordedEvent) -> Result<T, ApplyError> {
    event.payload.decode().map_err(|e| {
        ApplyError::poison(format!(
            "unreadable {} {} payload: {e}",
            event.aggregate_type, event.event_type
        ))
    })
}
