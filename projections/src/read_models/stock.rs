//! The `stock` read model: what can be sold of each SKU in each warehouse,
//! down to its batches and holds, and every unit that moved.
//!
//! Built from the `InventoryReservation` stream of each stock (one per SKU
//! and warehouse). Every event that changes quantities carries the absolute
//! levels of the batches it touched and the stock's availability on its
//! date; they are assigned here, never recomputed.
//!
//! # Tables (exposed as `read.<table>`)
//! - `stock_levels`: one row per SKU and warehouse, for "can I sell it"
//!   and stock dashboards. `available` is the number the latest event
//!   carried, as of that event's date (`as_of`); a batch expiring later
//!   does not lower it until the next event. `on_hand`, `reserved` and
//!   `batches` are sums over the stock's `stock_batches` rows.
//! - `stock_batches`: one row per received batch, for expiry and lot
//!   tracking; `free` is `on_hand - reserved` (a generated column).
//! - `stock_reservations`: one row per hold, with where its units sit.
//! - `stock_movements`: one row per event per batch whose levels it
//!   carries, with the change in on hand and in reserved units, for
//!   shrinkage, write-off and sell-through analytics. The change is the
//!   difference between the batch's levels before and after the event,
//!   both as events carried them, so it is exact whatever the event kind.
//!
//! # Replays and ordering
//! `stock_levels.last_sequence` is the stream sequence of the last applied
//! event; an event at or below it is skipped as a whole (the batch, hold and
//! movement rows of a stock only change with its levels row, in the same
//! transaction). `updated_at` is the event's `recorded_at`, not the clock,
//! so a rebuild yields identical rows; movements are never updated and
//! carry `recorded_at` instead.
//!
//! # Layout
//! - `facts`: the stock, time, movement kind and reservation of any event.
//! - `levels`: `stock_levels`, `stock_batches`, `stock_movements`.
//! - `reservations`: `stock_reservations`.

mod facts;
mod levels;
mod reservations;

use bazaar_domain::inventory::InventoryReservationEvent as E;
use bazaar_event_store::RecordedEvent;
use sqlx::PgConnection;

use crate::projection::{ApplyError, Projection};
use facts::Facts;

/// The persisted aggregate type of the events this model reads.
const AGGREGATE_TYPE: &str = "InventoryReservation";

/// The stock read model.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stock;

impl Projection for Stock {
    const NAME: &'static str = "stock";
    const CODE_VERSION: i32 = 2;

    fn tables(&self) -> &'static str {
        include_str!("stock/tables.sql")
    }

    fn exposed(&self) -> &'static [&'static str] {
        &[
            "stock_levels",
            "stock_batches",
            "stock_reservations",
            "stock_movements",
        ]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: &RecordedEvent,
    ) -> Result<(), ApplyError> {
        if event.aggregate_type != AGGREGATE_TYPE {
            return Ok(());
        }
        let payload: E =
            serde_json::from_value(event.payload.clone()).map_err(ApplyError::poison)?;
        let facts = Facts::of(&payload);
        if !levels::claim(conn, &facts, event).await? {
            return Ok(());
        }
        if let Some(carried) = payload.levels() {
            levels::assign(conn, &facts, carried, event).await?;
        }
        assign_rest(conn, &facts, &payload, event).await
    }
}

/// Assigns what an event says beyond levels: batch facts and holds.
async fn assign_rest(
    conn: &mut PgConnection,
    facts: &Facts<'_>,
    payload: &E,
    event: &RecordedEvent,
) -> Result<(), ApplyError> {
    match payload {
        E::BatchReceived { batch, vendor, .. } => {
            levels::received(conn, facts, batch, vendor).await
        }
        E::ExpiredBatchWrittenOff { batch, on, .. } => {
            levels::written_off(conn, facts, batch, *on).await
        }
        _ => reservations::assign(conn, facts, payload, event).await,
    }
}
