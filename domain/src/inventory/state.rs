//! The aggregate's state types, read access, and the assignments `apply`
//! makes (no rules here: events already carry the decided values).

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{
    ledger, BatchAllocation, InventoryReservation, InventoryReservationError,
    InventoryReservationEvent, StockKey, StockLevels,
};
use crate::ids::{BatchId, ReservationId, VendorId};

/// One received batch of the SKU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    /// Last good day; `None` if the goods do not perish.
    pub expires_on: Option<NaiveDate>,
    /// Units physically in the warehouse.
    pub on_hand: u32,
    /// Units of `on_hand` promised to active reservations.
    pub reserved: u32,
}

/// One hold on the stock, for one order's units of this SKU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reservation {
    /// Units held.
    pub quantity: u32,
    /// Where the units are held, in FEFO order; sums to `quantity`.
    pub allocations: Vec<BatchAllocation>,
    /// When the hold lapses.
    pub expires_at: DateTime<Utc>,
    /// The date the goods are to ship.
    pub ship_on: NaiveDate,
    /// Days of shelf life the goods must have left on `ship_on`.
    pub min_shelf_life_days: u32,
    /// Where the reservation is in its lifecycle.
    pub status: ReservationStatus,
}

/// The lifecycle of a reservation: `Active` then exactly one of the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReservationStatus {
    /// Units are held.
    Active,
    /// The units left the warehouse.
    Committed,
    /// The hold was given up; the units are free again.
    Released,
    /// The hold lapsed; the units are free again.
    Expired,
}

impl fmt::Display for ReservationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Active => "active",
            Self::Committed => "committed",
            Self::Released => "released",
            Self::Expired => "expired",
        })
    }
}

impl InventoryReservation {
    /// The vendor who owns this stock; `None` before its first batch.
    pub fn owner(&self) -> Option<&VendorId> {
        self.stock.as_ref().map(|key| &key.vendor)
    }

    /// Units that can still be reserved on `on`, over all unexpired batches.
    pub fn available(&self, on: NaiveDate) -> u64 {
        self.batches.available(on)
    }

    /// The batches that hold units, by id; batches emptied by shipments,
    /// adjustments or write-offs are left out (see [`Self::batch`]).
    pub fn batches(&self) -> &std::collections::BTreeMap<BatchId, Batch> {
        self.batches.map()
    }

    /// Any batch ever received, emptied ones included (with no units).
    pub fn batch(&self, id: &BatchId) -> Option<Batch> {
        if let Some(batch) = self.batches.get(id) {
            return Some(batch.clone());
        }
        self.emptied.get(id).map(|expires_on| Batch {
            expires_on: *expires_on,
            on_hand: 0,
            reserved: 0,
        })
    }

    /// Whether a batch with this id was ever received.
    pub(super) fn knows_batch(&self, id: &BatchId) -> bool {
        self.batches.contains(id) || self.emptied.contains_key(id)
    }

    /// Every batch ever received with its last good day, emptied ones
    /// included, in no particular order.
    pub(super) fn expiries(&self) -> impl Iterator<Item = (&BatchId, Option<NaiveDate>)> {
        let holding = self.batches.map().iter().map(|(id, b)| (id, b.expires_on));
        holding.chain(self.emptied.iter().map(|(id, e)| (id, *e)))
    }

    /// A scratch copy of the batches that hold units, plus `named` if it
    /// is an emptied batch (a command about to put units back into it).
    pub(super) fn scratch_with(&self, named: &BatchId) -> ledger::Ledger<'_> {
        let mut scratch = ledger::Ledger::new(&self.batches);
        if let Some(batch) = self.batch(named).filter(|_| !self.batches.contains(named)) {
            scratch.insert(named.clone(), batch);
        }
        scratch
    }

    /// A reservation by id, in whatever state it is.
    pub fn reservation(&self, id: &ReservationId) -> Option<&Reservation> {
        self.reservations.get(id)
    }

    /// The stock's SKU and warehouse; every command but `ReceiveBatch` needs
    /// a received batch first.
    pub(super) fn key(&self) -> Result<&StockKey, InventoryReservationError> {
        self.stock
            .as_ref()
            .ok_or(InventoryReservationError::NoStockReceived)
    }

    /// Takes over the batch levels an event carries; a batch left with no
    /// units moves out of the decision state (its events keep it).
    pub(super) fn assign(&mut self, levels: &StockLevels) {
        for level in &levels.batches {
            let id = level.batch.clone();
            if level.on_hand == 0 && level.reserved == 0 {
                self.batches.remove(&id);
                self.emptied.insert(id, level.expires_on);
                continue;
            }
            let batch = Batch {
                expires_on: level.expires_on,
                on_hand: level.on_hand,
                reserved: level.reserved,
            };
            self.emptied.remove(&id);
            self.batches.insert(id, batch);
        }
    }

    /// The same state with its emptied batches back among the others, as
    /// it was kept before they moved out: decisions must not differ.
    #[cfg(test)]
    pub(super) fn with_emptied_batches_kept(mut self) -> Self {
        for (id, expires_on) in std::mem::take(&mut self.emptied) {
            let batch = Batch {
                expires_on,
                on_hand: 0,
                reserved: 0,
            };
            self.batches.insert(id, batch);
        }
        self
    }

    /// Records the hold a `StockReserved` event made.
    pub(super) fn record_hold(&mut self, event: InventoryReservationEvent) {
        if let InventoryReservationEvent::StockReserved {
            reservation,
            quantity,
            allocations,
            expires_at,
            ship_on,
            min_shelf_life_days,
            ..
        } = event
        {
            let status = ReservationStatus::Active;
            let held = Reservation {
                quantity,
                allocations,
                expires_at,
                ship_on,
                min_shelf_life_days,
                status,
            };
            self.reservations.insert(reservation, held);
        }
    }

    /// Changes one field of a reservation; unknown ids change nothing.
    pub(super) fn update(&mut self, id: &ReservationId, change: impl FnOnce(&mut Reservation)) {
        if let Some(reservation) = self.reservations.get_mut(id) {
            change(reservation);
        }
    }
}
