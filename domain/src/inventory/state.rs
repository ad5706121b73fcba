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
        ledger::available(&self.batches, on)
    }

    /// The batches by id.
    pub fn batches(&self) -> &std::collections::BTreeMap<BatchId, Batch> {
        &self.batches
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

    /// Takes over the batch levels an event carries.
    pub(super) fn assign(&mut self, levels: &StockLevels) {
        for level in &levels.batches {
            let batch = Batch {
                expires_on: level.expires_on,
                on_hand: level.on_hand,
                reserved: level.reserved,
            };
            self.batches.insert(level.batch.clone(), batch);
        }
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
