//! The orders read model: what buyers, vendors, support and analytics ask
//! about orders, without loading aggregates.
//!
//! - `orders`: one row per order (buyer, total, status, payment,
//!   cancellation, refunds so far): the buyer's order list and the order
//!   funnel.
//! - `order_lines`: one row per order line with its shipped, returned,
//!   damaged and refunded units and amounts: product and SKU analytics.
//! - `vendor_orders`: one row per vendor's part of an order, with the buyer
//!   and the fulfilment milestones: a vendor's order queue needs no join.
//!
//! Built from `Order` events only. Every value is a fact the event carries
//! (statuses, running totals such as `shipped_total` or
//! `vendor_refunded_total`), assigned as is; the only arithmetic is
//! `orders.refunded_total`, the sum of the vendor orders' `refunded`, and
//! `damaged_quantity`, the sum of the damaged units each receipt reports
//! (the events carry no running total of it).
//!
//! Idempotent replay: every event of an order locks the order's row and is
//! skipped unless its sequence is newer than the row's `last_sequence`; all
//! three tables of an order change only under that guard.
//!
//! # Layout
//! - `orders/tables.sql`: the tables and indexes of one generation.
//! - `placement`: `OrderPlaced` inserts the order, its vendor orders and lines.
//! - `changes`, `line_changes`: what every later event assigns, as plain
//!   data (orders and vendor orders; lines).
//! - `write`: the statements that apply those changes.

mod changes;
mod line_changes;
mod placement;
mod write;

use bazaar_domain::order::OrderEvent;
use bazaar_event_store::RecordedEvent;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::projection::{ApplyError, Projection};

/// The Order aggregate's persisted type name (`Order::TYPE`, never changed).
const AGGREGATE_TYPE: &str = "Order";

/// The orders read model (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct Orders;

/// Which event of which order is being applied.
#[derive(Debug, Clone, Copy)]
struct Stamp<'a> {
    /// The order (the event's aggregate id).
    order_id: &'a str,
    /// The event's sequence in the order's stream.
    sequence: i64,
    /// When the event was recorded: every row's `updated_at`.
    recorded_at: DateTime<Utc>,
}

impl Projection for Orders {
    const NAME: &'static str = "orders";
    const CODE_VERSION: i32 = 1;

    fn tables(&self) -> &'static str {
        include_str!("orders/tables.sql")
    }

    fn exposed(&self) -> &'static [&'static str] {
        &["orders", "order_lines", "vendor_orders"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: &RecordedEvent,
    ) -> Result<(), ApplyError> {
        if event.aggregate_type != AGGREGATE_TYPE {
            return Ok(());
        }
        let payload: OrderEvent = serde_json::from_value(event.payload.clone()).map_err(|e| {
            ApplyError::poison(format!("unreadable {} payload: {e}", event.event_type))
        })?;
        let stamp = Stamp {
            order_id: &event.aggregate_id,
            sequence: event.sequence,
            recorded_at: event.recorded_at,
        };
        match write::last_sequence(conn, stamp.order_id).await? {
            None => placement::insert(conn, stamp, &payload).await,
            Some(last) if last >= stamp.sequence => Ok(()),
            Some(_) => apply_later(conn, stamp, &payload).await,
        }
    }
}

/// Applies an event after `OrderPlaced`.
async fn apply_later(
    conn: &mut PgConnection,
    stamp: Stamp<'_>,
    event: &OrderEvent,
) -> Result<(), ApplyError> {
    if matches!(event, OrderEvent::OrderPlaced { .. }) {
        return Err(ApplyError::poison(format!(
            "order {} placed a second time",
            stamp.order_id
        )));
    }
    write::order(conn, stamp, event.order_status(), &changes::order(event)).await?;
    let vendors = changes::vendors(event);
    for change in &vendors {
        write::vendor_order(conn, stamp, change).await?;
    }
    write::lines(conn, stamp, &line_changes::lines(event)).await?;
    if vendors.iter().any(|change| change.refunded.is_some()) {
        write::refunded_total(conn, stamp).await?;
    }
    Ok(())
}
