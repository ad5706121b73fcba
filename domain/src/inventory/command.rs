//! What can be asked of the stock of one SKU in one warehouse.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::ReleaseReason;
use crate::ids::{BatchId, ReservationId, Sku, VendorId, WarehouseId};

/// Commands of [`InventoryReservation`](super::InventoryReservation). Time
/// always comes from the caller (`at`, `on`); the aggregate reads no clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum InventoryReservationCommand {
    /// Record a new batch arriving in the warehouse.
    ReceiveBatch {
        /// The SKU; must match the stock's.
        sku: Sku,
        /// The warehouse; must match the stock's.
        warehouse: WarehouseId,
        /// The vendor who sells it: the first batch's vendor owns the stock
        /// and no other vendor may receive into it.
        vendor: VendorId,
        /// A batch id not used before in this stock.
        batch: BatchId,
        /// Units received, 1 to [`MAX_QUANTITY`](super::MAX_QUANTITY).
        quantity: u32,
        /// Last good day; `None` if the goods do not perish.
        expires_on: Option<NaiveDate>,
        /// When the batch was received.
        at: DateTime<Utc>,
    },
    /// Hold units for a checkout, all or nothing, first expiry first out.
    Reserve {
        /// A reservation id not used before in this stock.
        reservation: ReservationId,
        /// Units to hold (the sum of the order's lines for this SKU).
        quantity: u32,
        /// When the hold lapses unless committed or extended.
        expires_at: DateTime<Utc>,
        /// The date the goods are to ship.
        ship_on: NaiveDate,
        /// Days of shelf life the goods must still have on `ship_on`.
        min_shelf_life_days: u32,
        /// When the hold is asked for.
        at: DateTime<Utc>,
    },
    /// Move an active hold's lapse time later.
    ExtendReservation {
        /// The reservation.
        reservation: ReservationId,
        /// The new lapse time, not earlier than the current one.
        expires_at: DateTime<Utc>,
        /// When the extension is asked for.
        at: DateTime<Utc>,
    },
    /// The order is paid: the held units leave the stock. Idempotent.
    CommitReservation {
        /// The reservation.
        reservation: ReservationId,
        /// When the payment was confirmed.
        at: DateTime<Utc>,
    },
    /// Give up a hold; its units are free again. Idempotent.
    ReleaseReservation {
        /// The reservation.
        reservation: ReservationId,
        /// Why the hold is given up.
        reason: ReleaseReason,
        /// When.
        at: DateTime<Utc>,
    },
    /// Scheduled at the hold's `expires_at`: free the units of a lapsed hold.
    ExpireReservation {
        /// The reservation.
        reservation: ReservationId,
        /// When the scheduler fired.
        at: DateTime<Utc>,
    },
    /// Correct one batch's on hand (cycle count, shrinkage, found goods).
    AdjustStock {
        /// The batch.
        batch: BatchId,
        /// Units to add (positive) or remove (negative), never zero.
        delta: i64,
        /// Why, for the audit trail (1 to 200 characters).
        reason: String,
        /// When the count or loss was recorded.
        at: DateTime<Utc>,
    },
    /// From the day after a batch's expiry date: dispose of it (sent by an
    /// operator through the API; no timer sends it).
    WriteOffExpiredBatch {
        /// The batch.
        batch: BatchId,
        /// The date of the write-off, after the batch's `expires_on`.
        on: NaiveDate,
    },
    /// Put undamaged returned units back on the shelf.
    RestockReturn {
        /// The batch the units came from, if known; see the module docs.
        batch: Option<BatchId>,
        /// Units returned, 1 to [`MAX_QUANTITY`](super::MAX_QUANTITY).
        quantity: u32,
        /// Why, for the audit trail (1 to 200 characters), e.g. the return id.
        reason: String,
        /// When the units were received back.
        at: DateTime<Utc>,
    },
}
