//! The InventoryReservation aggregate: the stock of one SKU in one warehouse,
//! kept per batch, and the holds (reservations) that checkouts put on it.
//!
//! The aggregate id is [`stock_id`]`(sku, warehouse)` = `"{sku}@{warehouse}"`.
//! The first [`BatchReceived`](InventoryReservationEvent::BatchReceived) fixes
//! the SKU and warehouse; a batch of another stock is rejected, so two stocks
//! whose ids happen to collide (ids may contain `@`) can never be mixed.
//!
//! # Batches
//! Each batch has an id, units on hand, units reserved and an optional expiry
//! date (`None`: does not perish). Per batch `0 <= reserved <= on_hand`,
//! always. `expires_on` is the last good day: on `expires_on` the batch can
//! still be sold and shipped, from the next day on it is expired. "Today" is
//! the UTC date of the command's `at` (or the `on` of a write-off);
//! availability is
//! `available(today) = Σ over unexpired batches of (on_hand - reserved)`,
//! and every event that changes quantities carries the resulting
//! [`StockLevels`]: that availability plus the absolute levels of the batches
//! it touched, so projections upsert and never recompute a rule.
//!
//! # Reservations
//! `Reserve` allocates first-expiry-first-out (batches without expiry last,
//! ties by batch id), like Odoo's FEFO removal strategy, and skips batches
//! that expire before `max(ship_on, today) + min_shelf_life_days` (a ship
//! date in the past never lets expired stock through). One reservation may
//! span several batches; it is all-or-nothing: if the eligible free units do
//! not cover it, nothing is reserved and the error is
//! `InsufficientStock { requested, available }` where `available` is what
//! *this* request could get (eligible free units), which is what a caller can
//! retry with. A stock that never received a batch answers the same way.
//!
//! A reservation is `Active` until it is committed, released or expired.
//! The hold ends at `expires_at`, strictly: from that instant it can no
//! longer be committed or extended even if the scheduler has not fired
//! `ExpireReservation` yet, so the outcome never depends on scheduler lag
//! (Saleor likewise ignores checkout reservations past `reserved_until`).
//! Commit means the goods leave (payment confirmed, per the checkout saga):
//! the units go out of both on hand and reserved, like Shopify moving units
//! from `committed` out of `on_hand`. Commit and release are idempotent per
//! reservation id: committing a committed reservation, or releasing a
//! released or expired one, succeeds with no events. Commit after expiry or
//! release, release after commit and extending a finished hold are typed
//! errors. `ExtendReservation` only moves the hold later; the same deadline
//! again is a no-op. `ExpireReservation` is the scheduler's: too early is
//! `TooEarly`, a finished reservation is `ReservationNotActive`.
//!
//! # A batch expiring while reserved
//! Perishables must never ship past their date, so reserved units are never
//! kept on an expired batch. `WriteOffExpiredBatch` (accepted from the day after
//! `expires_on`) writes off the whole batch, after first freeing its
//! reserved units reservation by reservation (earliest `ship_on` first, ties
//! by id): a hold that has already lapsed is expired; any other is moved onto
//! other batches that are still eligible for its ship date and shelf life
//! (FEFO, [`ReservationReallocated`](InventoryReservationEvent::ReservationReallocated));
//! if they cannot take all of its units it is released with
//! [`ReleaseReason::BatchExpired`] so the order can react. A commit that
//! finds an expired, not yet written-off batch in its allocation makes the
//! same move first and is rejected with `AllocatedBatchExpired` if it cannot.
//! Events caused by a write-off are stamped with the start of `on` (UTC).
//!
//! # Adjustments and returns
//! `AdjustStock` (cycle counts, shrinkage) changes one batch's on hand by a
//! non-zero delta and may never take it below zero or below what is
//! reserved: a count that finds fewer units than are promised needs the
//! holds released first. `RestockReturn` puts undamaged returned units back
//! (damaged ones never come here). Into a named batch unless that batch has
//! expired (expired returns are disposed of, not sold). When the original
//! batch is unknown the units join the unexpired batch that expires first
//! (FEFO order): assuming the shortest shelf life never sells a returned
//! unit as fresher than it may be. Shopify restocks a refund line to a
//! location without lots; for perishables the return should name its batch.
//!
//! # Ids, retries and limits
//! A reservation id is used once: `Reserve` with a known id is
//! `ReservationAlreadyExists` (retries are deduplicated by command id in
//! `commands/`). Finished reservations stay in the state so that commit and
//! release stay idempotent for good; the state grows with the stock's order
//! history, which snapshots absorb. Batches do not weigh on it once empty:
//! a batch left with no units (shipped, counted to zero, written off)
//! leaves the batches that availability, FEFO planning and every command's
//! scratch ledger work on, and only its id and last good day are kept, for
//! the rules that name it (a second receipt, an adjustment, a write-off, a
//! return). The events keep it whole; the decisions are the same as with
//! it kept (a property test checks this). Nor do the batches that still
//! hold units weigh on a command: availability is summed per last good day
//! and FEFO planning walks a kept order only as far as it needs (`holding`),
//! and a command's scratch ledger reads through to the state, copying only
//! the batches it changes (`ledger`), so receiving, reserving, committing
//! or releasing on a stock with 10,000 batches costs what it costs on one
//! with a single batch (what still reads every batch: a reservation that
//! finds too few units counts all eligible ones for its answer; a return
//! without a batch id, and a write-off's search for the holds on its batch).
//! Quantities are 1 to [`MAX_QUANTITY`];
//! adjustment and return reasons are 1 to 200 characters. Every command but
//! `ReceiveBatch` on a stock that never received a batch is
//! `NoStockReceived` (except `Reserve`, see above); a second write-off of a
//! batch is `NothingToWriteOff`, which the scheduler reads as nothing to do.
//!
//! # Contract for callers
//! One aggregate serialises all holds on one stock through the event
//! store's optimistic concurrency, so concurrent checkouts cannot oversell.
//! Two order lines drawing on one SKU are summed by the caller into one
//! `Reserve`. An order reserving several SKUs is several aggregates: the
//! caller reserves them one at a time in ascending [`stock_id`] order and on
//! any shortage releases what it got (`ReleaseReason::OrderRejected`); no
//! lock is held across aggregates, so there is nothing to deadlock, and the
//! fixed order makes competing orders fail at the same stock first.
//!
//! # Layout
//! - [`command`], [`event`], [`error`]: the aggregate's vocabulary.
//! - `state`: [`Batch`], [`Reservation`], [`ReservationStatus`] and what
//!   `apply` assigns.
//! - `holds`: reserve, extend, commit, release, expire.
//! - `stock`: receive, adjust, write off, restock.
//! - `moves`: moving held units off expired batches and freeing them.
//! - `holding`: the batches that hold units, with their FEFO order and
//!   free units per last good day kept beside them.
//! - `ledger`: FEFO planning and checked batch arithmetic on a scratch view
//!   of the batches.

pub mod command;
pub mod error;
pub mod event;
mod holding;
mod holds;
mod ledger;
mod moves;
mod state;
mod stock;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

pub use command::InventoryReservationCommand;
pub use error::InventoryReservationError;
pub use event::{
    BatchAllocation, BatchLevel, InventoryReservationEvent, ReleaseReason, StockLevels,
};
pub use state::{Batch, Reservation, ReservationStatus};

use crate::ids::{BatchId, ReservationId, Sku, VendorId, WarehouseId};
use holding::Holding;

/// The largest quantity one command may receive, reserve or restock.
pub const MAX_QUANTITY: u32 = 1_000_000;

/// The aggregate id of the stock of `sku` in `warehouse`: `"{sku}@{warehouse}"`.
pub fn stock_id(sku: &Sku, warehouse: &WarehouseId) -> String {
    format!("{sku}@{warehouse}")
}

/// The stock of one SKU in one warehouse, per batch, and its reservations.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct InventoryReservation {
    stock: Option<StockKey>,
    /// Batches that hold units: what availability, FEFO planning and every
    /// scratch ledger work on (stored as a map by id; see `holding`).
    batches: Holding,
    /// Batches that hold none (written off, shipped or counted to zero):
    /// only their last good day, which the rules that name a batch still
    /// read (a second receipt, an adjustment, a write-off, a return).
    /// Snapshots taken before this field existed lack it: their empty
    /// batches sit in `batches`, which decides the same.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    emptied: BTreeMap<BatchId, Option<NaiveDate>>,
    reservations: BTreeMap<ReservationId, Reservation>,
}

/// Which stock this is, fixed by the first batch received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct StockKey {
    sku: Sku,
    warehouse: WarehouseId,
    /// The vendor who owns and sells this stock.
    vendor: VendorId,
}

impl InventoryReservation {
    /// The events `command` makes on this state, or why it is refused; the
    /// state itself does not change (see [`Aggregate::handle`]).
    pub fn decide(
        &self,
        command: InventoryReservationCommand,
    ) -> Result<Vec<InventoryReservationEvent>, InventoryReservationError> {
        use InventoryReservationCommand as C;
        match command {
            C::ReceiveBatch {
                sku,
                warehouse,
                vendor,
                batch,
                quantity,
                expires_on,
                at,
            } => {
                let key = StockKey {
                    sku,
                    warehouse,
                    vendor,
                };
                self.receive_batch(key, batch, quantity, expires_on, at)
            }
            C::Reserve {
                reservation,
                quantity,
                expires_at,
                ship_on,
                min_shelf_life_days,
                at,
            } => self.reserve(
                reservation,
                quantity,
                expires_at,
                ship_on,
                min_shelf_life_days,
                at,
            ),
            C::ExtendReservation {
                reservation,
                expires_at,
                at,
            } => self.extend(reservation, expires_at, at),
            C::CommitReservation { reservation, at } => self.commit(reservation, at),
            C::ReleaseReservation {
                reservation,
                reason,
                at,
            } => self.release(reservation, reason, at),
            C::ExpireReservation { reservation, at } => self.expire(reservation, at),
            C::AdjustStock {
                batch,
                delta,
                reason,
                at,
            } => self.adjust(batch, delta, reason, at),
            C::WriteOffExpiredBatch { batch, on } => self.write_off(batch, on),
            C::RestockReturn {
                batch,
                quantity,
                reason,
                at,
            } => self.restock(batch, quantity, reason, at),
        }
    }
}

impl Aggregate for InventoryReservation {
    const TYPE: &'static str = "InventoryReservation";
    type Command = InventoryReservationCommand;
    type Event = InventoryReservationEvent;
    type Error = InventoryReservationError;
    type Services = ();

    /// Decides every event first, then writes them all: a rejection writes
    /// nothing.
    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        use InventoryReservationEvent as E;
        use ReservationStatus::{Committed, Expired, Released};
        if let Some(levels) = event.levels() {
            self.assign(levels);
        }
        match event {
            E::BatchReceived {
                sku,
                warehouse,
                vendor,
                ..
            } => {
                self.stock = Some(StockKey {
                    sku,
                    warehouse,
                    vendor,
                })
            }
            E::StockReserved { .. } => self.record_hold(event),
            E::ReservationExtended {
                reservation: id,
                expires_at: at,
                ..
            } => self.update(&id, |held| held.expires_at = at),
            E::ReservationReallocated {
                reservation: id,
                allocations,
                ..
            } => self.update(&id, |held| held.allocations = allocations),
            E::ReservationCommitted {
                reservation: id, ..
            } => self.update(&id, |h| h.status = Committed),
            E::ReservationReleased {
                reservation: id, ..
            } => self.update(&id, |h| h.status = Released),
            E::ReservationExpired {
                reservation: id, ..
            } => self.update(&id, |h| h.status = Expired),
            E::StockAdjusted { .. }
            | E::ExpiredBatchWrittenOff { .. }
            | E::ReturnRestocked { .. } => {}
        }
    }
}
