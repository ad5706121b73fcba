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
//! Idempotent replay: a batch (the runtime runs one at a time per
//! generation) skips every event whose sequence is not newer than its
//! order's `last_sequence`; all three tables of an order change only under
//! that guard.
//!
//! Batches are applied set-based: the events are folded in memory, then
//! written with one statement per kind of change (the placements, the
//! later changes) covering all three tables, so a rebuild is bound by
//! reading the log, not by round trips. The payloads are decoded by the
//! task that read the batch ([`Projection::prepare`]), while the batch
//! before is still being written.
//!
//! # Layout
//! - `orders/tables.sql`: the tables and indexes of one generation.
//! - `changes`, `line_changes`: what every later event assigns, as plain
//!   data (orders and vendor orders; lines).
//! - `fold`: a batch of events merged into rows to insert and patches.
//! - `store`: writing a fold: `insert` (the placements, one statement)
//!   and `patch` (the later changes, one statement).
//! - [`queries`]: the statements that read the tables, for the API.

mod changes;
mod fold;
mod insert;
mod line_changes;
mod patch;
pub mod queries;
mod store;

use crate::projection::{decode, Prepared};
use bazaar_domain::order::OrderEvent;
use bazaar_event_store::RecordedEvent;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::projection::{apply_one, ApplyError, BatchError, Projection};
use fold::Fold;

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
    // a batch finds its rows by primary key only (see `store`)
    const DEFER_INDEXES: bool = true;
    const AGGREGATE_TYPES: &'static [&'static str] = &[AGGREGATE_TYPE];

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
        apply_one(self, conn, event).await
    }

    async fn apply_batch(
        &self,
        conn: &mut PgConnection,
        events: &[RecordedEvent],
    ) -> Result<(), BatchError> {
        apply_decoded(conn, events, Decoded::of(events)).await
    }

    /// Decodes the batch's Order payloads, most of the client's work on a
    /// batch (about 20 ms for 5,000 events), on the task that read it.
    fn prepare(events: &[RecordedEvent]) -> Option<Prepared> {
        Some(Box::new(Decoded::of(events)))
    }

    async fn apply_prepared(
        &self,
        conn: &mut PgConnection,
        events: &[RecordedEvent],
        prepared: Prepared,
    ) -> Result<(), BatchError> {
        match prepared.downcast::<Decoded>() {
            Ok(decoded) if decoded.fits(events) => apply_decoded(conn, events, *decoded).await,
            _ => self.apply_batch(conn, events).await,
        }
    }
}

/// A batch's Order events, each with its index in the batch and its payload
/// decoded (or why it cannot be).
struct Decoded(Vec<(usize, Result<OrderEvent, ApplyError>)>);

impl Decoded {
    fn of(events: &[RecordedEvent]) -> Self {
        Self(
            events
                .iter()
                .enumerate()
                .filter(|(_, event)| event.aggregate_type == AGGREGATE_TYPE)
                .map(|(index, event)| (index, decode(event)))
                .collect(),
        )
    }

    /// Whether these are decoded from `events` (their Order events are at
    /// the indexes recorded), as `apply_prepared` is promised.
    fn fits(&self, events: &[RecordedEvent]) -> bool {
        let orders = events.iter().filter(|e| e.aggregate_type == AGGREGATE_TYPE);
        orders.count() == self.0.len()
            && self.0.iter().all(|(index, _)| {
                events
                    .get(*index)
                    .is_some_and(|e| e.aggregate_type == AGGREGATE_TYPE)
            })
    }
}

/// Loads the applied sequences of the batch's orders, folds the decoded
/// events in log order and writes the fold; an event that cannot be
/// decoded or folded is named by its index, as applying it alone would.
async fn apply_decoded(
    conn: &mut PgConnection,
    events: &[RecordedEvent],
    decoded: Decoded,
) -> Result<(), BatchError> {
    if decoded.0.is_empty() {
        return Ok(());
    }
    let mut ids: Vec<&str> = decoded
        .0
        .iter()
        .map(|(index, _)| events[*index].aggregate_id.as_str())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let applied = store::applied(conn, &ids)
        .await
        .map_err(BatchError::whole)?;
    let mut fold = Fold::new(applied);
    for (index, event) in decoded.0 {
        let event = event.map_err(|e| BatchError::at(index, e))?;
        fold.add(stamp(&events[index]), event)
            .map_err(|reason| BatchError::at(index, ApplyError::Poison(reason)))?;
    }
    if fold.is_empty() {
        return Ok(());
    }
    store::write(conn, &fold).await.map_err(BatchError::whole)
}

fn stamp(event: &RecordedEvent) -> Stamp<'_> {
    Stamp {
        order_id: &event.aggregate_id,
        sequence: event.sequence,
        recorded_at: event.recorded_at,
    }
}
