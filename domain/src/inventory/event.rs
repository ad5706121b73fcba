//! What happened to the stock of one SKU in one warehouse.

use chrono::{DateTime, NaiveDate, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use crate::ids::{BatchId, ReservationId, Sku, VendorId, WarehouseId};

/// Units of a reservation held on (or moved to or from) one batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchAllocation {
    /// The batch.
    pub batch: BatchId,
    /// Units on that batch.
    pub quantity: u32,
    /// The batch's last good day, so a view can show the buyer's shelf life.
    pub expires_on: Option<NaiveDate>,
}

/// A batch's absolute levels after an event, so views upsert them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchLevel {
    /// The batch.
    pub batch: BatchId,
    /// Its last good day; `None` if it does not perish.
    pub expires_on: Option<NaiveDate>,
    /// Units on hand after the event.
    pub on_hand: u32,
    /// Units reserved after the event.
    pub reserved: u32,
}

/// The stock's levels after an event: availability on the event's date and
/// the levels of every batch the event touched.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockLevels {
    /// Σ over batches unexpired on the event's date of (on hand - reserved).
    pub available: u64,
    /// The touched batches, by batch id.
    pub batches: Vec<BatchLevel>,
}

/// Why a hold was given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReleaseReason {
    /// The buyer or the vendor cancelled the order.
    OrderCancelled,
    /// The order was not paid in time.
    PaymentExpired,
    /// Another line of the order could not be reserved.
    OrderRejected,
    /// The batch holding the units expired and no other batch could take them.
    BatchExpired,
}

/// Events of [`InventoryReservation`](super::InventoryReservation). Each
/// carries the SKU and warehouse and, where quantities change, the
/// resulting [`StockLevels`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum InventoryReservationEvent {
    /// A batch arrived.
    BatchReceived {
        sku: Sku,
        warehouse: WarehouseId,
        vendor: VendorId,
        batch: BatchId,
        quantity: u32,
        expires_on: Option<NaiveDate>,
        levels: StockLevels,
        at: DateTime<Utc>,
    },
    /// Units were held for a reservation, per batch in FEFO order.
    StockReserved {
        sku: Sku,
        warehouse: WarehouseId,
        reservation: ReservationId,
        quantity: u32,
        allocations: Vec<BatchAllocation>,
        expires_at: DateTime<Utc>,
        ship_on: NaiveDate,
        min_shelf_life_days: u32,
        levels: StockLevels,
        at: DateTime<Utc>,
    },
    /// A hold's lapse time moved later.
    ReservationExtended {
        sku: Sku,
        warehouse: WarehouseId,
        reservation: ReservationId,
        previous_expires_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
        at: DateTime<Utc>,
    },
    /// Held units moved off an expired batch onto other eligible batches.
    ReservationReallocated {
        sku: Sku,
        warehouse: WarehouseId,
        reservation: ReservationId,
        /// Units taken off the expired batches.
        from: Vec<BatchAllocation>,
        /// Units now held on other batches.
        to: Vec<BatchAllocation>,
        /// The reservation's whole allocation afterwards.
        allocations: Vec<BatchAllocation>,
        levels: StockLevels,
        at: DateTime<Utc>,
    },
    /// The held units left the warehouse.
    ReservationCommitted {
        sku: Sku,
        warehouse: WarehouseId,
        reservation: ReservationId,
        quantity: u32,
        allocations: Vec<BatchAllocation>,
        levels: StockLevels,
        at: DateTime<Utc>,
    },
    /// A hold was given up; its units are free again.
    ReservationReleased {
        sku: Sku,
        warehouse: WarehouseId,
        reservation: ReservationId,
        quantity: u32,
        allocations: Vec<BatchAllocation>,
        reason: ReleaseReason,
        levels: StockLevels,
        at: DateTime<Utc>,
    },
    /// A hold lapsed; its units are free again.
    ReservationExpired {
        sku: Sku,
        warehouse: WarehouseId,
        reservation: ReservationId,
        quantity: u32,
        allocations: Vec<BatchAllocation>,
        expires_at: DateTime<Utc>,
        levels: StockLevels,
        at: DateTime<Utc>,
    },
    /// A batch's on hand was corrected.
    StockAdjusted {
        sku: Sku,
        warehouse: WarehouseId,
        batch: BatchId,
        delta: i64,
        reason: String,
        levels: StockLevels,
        at: DateTime<Utc>,
    },
    /// An expired batch's remaining units were disposed of.
    ExpiredBatchWrittenOff {
        sku: Sku,
        warehouse: WarehouseId,
        batch: BatchId,
        expires_on: NaiveDate,
        /// Units written off (all that was on hand).
        quantity: u32,
        levels: StockLevels,
        on: NaiveDate,
    },
    /// Undamaged returned units went back on the shelf.
    ReturnRestocked {
        sku: Sku,
        warehouse: WarehouseId,
        batch: BatchId,
        /// True if the return did not name a batch and this one was chosen.
        batch_inferred: bool,
        quantity: u32,
        reason: String,
        levels: StockLevels,
        at: DateTime<Utc>,
    },
}

impl InventoryReservationEvent {
    /// The stock's levels after the event, if it changed quantities.
    pub fn levels(&self) -> Option<&StockLevels> {
        match self {
            Self::BatchReceived { levels, .. }
            | Self::StockReserved { levels, .. }
            | Self::ReservationReallocated { levels, .. }
            | Self::ReservationCommitted { levels, .. }
            | Self::ReservationReleased { levels, .. }
            | Self::ReservationExpired { levels, .. }
            | Self::StockAdjusted { levels, .. }
            | Self::ExpiredBatchWrittenOff { levels, .. }
            | Self::ReturnRestocked { levels, .. } => Some(levels),
            Self::ReservationExtended { .. } => None,
        }
    }
}

impl DomainEvent for InventoryReservationEvent {
    fn event_type(&self) -> String {
        let name = match self {
            Self::BatchReceived { .. } => "BatchReceived",
            Self::StockReserved { .. } => "StockReserved",
            Self::ReservationExtended { .. } => "ReservationExtended",
            Self::ReservationReallocated { .. } => "ReservationReallocated",
            Self::ReservationCommitted { .. } => "ReservationCommitted",
            Self::ReservationReleased { .. } => "ReservationReleased",
            Self::ReservationExpired { .. } => "ReservationExpired",
            Self::StockAdjusted { .. } => "StockAdjusted",
            Self::ExpiredBatchWrittenOff { .. } => "ExpiredBatchWrittenOff",
            Self::ReturnRestocked { .. } => "ReturnRestocked",
        };
        name.to_string()
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}
