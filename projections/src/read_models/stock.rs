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
//!   `batches` are sums over the stock's `stock_batches` rows, kept by
//!   difference: each event adds what it changed its batches by.
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
//! # Batches
//! A batch is applied set-based: the rows of its stocks' levels, of the
//! batches and holds its events name are loaded by key with one statement
//! per table, its events folded into them in order, and the changed rows
//! written with one `unnest` statement per table. The rows are those of
//! applying one event at a time (a single event is a batch of one).
//!
//! A batch never loads a stock's other batches: their number grows with
//! the stock's history (a stock that received 10,000 batches loaded 10,000
//! rows for every batch of events that touched it; `pg_stat_statements`
//! over a short `bazaar bench` run: 5.4 million rows in 1,189 loads, 2.9 ms
//! each; by key, 4,174 rows in 1,873 loads, 0.05 ms each). So
//! the stock's totals are not summed again over its batches: each event
//! adds to them what it changed the levels of its batches by, exact
//! because the batch holds every batch row it changes, as loaded.
//!
//! # Layout
//! - `facts`: the stock, time, movement kind and reservation of any event.
//! - `rows`: the rows as data, and loading them.
//! - `levels`: `stock_levels`, `stock_batches`, `stock_movements`.
//! - `reservations`: `stock_reservations`.
//! - `store`: writing the changed rows.
//! - [`queries`]: the statements that read the tables, for the API.

mod facts;
mod levels;
pub mod queries;
mod reservations;
mod rows;
mod store;

use crate::projection::decode;
use bazaar_domain::inventory::InventoryReservationEvent as E;
use bazaar_event_store::RecordedEvent;
use sqlx::PgConnection;

use crate::projection::{apply_one, ApplyError, BatchError, Projection};
use crate::read_models::table::{distinct, of_type};
use facts::Facts;
use rows::Rows;

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
        apply_one(self, conn, event).await
    }

    async fn apply_batch(
        &self,
        conn: &mut PgConnection,
        events: &[RecordedEvent],
    ) -> Result<(), BatchError> {
        let mine: Vec<(usize, &RecordedEvent, Result<E, ApplyError>)> =
            of_type(events, AGGREGATE_TYPE)
                .into_iter()
                .map(|(index, event)| (index, event, decode(event)))
                .collect();
        if mine.is_empty() {
            return Ok(());
        }
        let payloads = || mine.iter().filter_map(|(_, _, p)| p.as_ref().ok());
        let stocks = distinct(payloads().map(|p| levels::key(&Facts::of(p))).collect());
        let batches = distinct(
            payloads()
                .flat_map(|p| levels::batch_keys(&Facts::of(p), p))
                .collect(),
        );
        let holds = distinct(
            payloads()
                .filter_map(|p| Facts::of(p).reservation.map(AsRef::<str>::as_ref))
                .collect(),
        );
        let mut rows = rows::load(conn, &stocks, &batches, &holds)
            .await
            .map_err(BatchError::whole)?;
        for (index, event, payload) in mine {
            let folded = payload.and_then(|payload| fold(&mut rows, &payload, event));
            folded.map_err(|e| BatchError::at(index, e))?;
        }
        store::write(conn, &rows).await.map_err(BatchError::whole)
    }
}

/// Folds one event of a stock into the batch's rows.
fn fold(rows: &mut Rows, payload: &E, event: &RecordedEvent) -> Result<(), ApplyError> {
    let facts = Facts::of(payload);
    if !levels::claim(rows, &facts, event)? {
        return Ok(());
    }
    if let Some(carried) = payload.levels() {
        levels::assign(rows, &facts, carried, event)?;
    }
    match payload {
        E::BatchReceived { batch, vendor, .. } => levels::received(rows, &facts, batch, vendor),
        E::ExpiredBatchWrittenOff { batch, on, .. } => {
            levels::written_off(rows, &facts, batch, *on)
        }
        _ => reservations::assign(rows, &facts, payload, event),
    }
}
