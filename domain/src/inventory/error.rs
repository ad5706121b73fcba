//! Why a command on the stock was rejected. A rejection writes no events.

use chrono::{DateTime, NaiveDate, Utc};

use super::ReservationStatus;
use crate::ids::{BatchId, ReservationId, Sku, VendorId, WarehouseId};

/// Rejections of [`InventoryReservation`](super::InventoryReservation) commands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum InventoryReservationError {
    /// A quantity outside 1..=[`MAX_QUANTITY`](super::MAX_QUANTITY).
    #[error("quantity {quantity} is not between 1 and 1000000")]
    InvalidQuantity { quantity: u32 },
    /// An adjustment of zero or of more than `MAX_QUANTITY` units either way.
    #[error("adjustment {delta} must be non-zero and at most 1000000 units either way")]
    InvalidAdjustment { delta: i64 },
    /// An adjustment or return reason that is blank or longer than 200 characters.
    #[error("reason must be 1 to 200 characters without control characters")]
    InvalidReason,
    /// A result would not fit the quantity type.
    #[error("quantity out of range")]
    QuantityOutOfRange,
    /// The stock has never received a batch.
    #[error("no batch has been received for this stock")]
    NoStockReceived,
    /// The batch belongs to another SKU or warehouse.
    #[error("this stock holds {sku} in {warehouse}")]
    StockMismatch { sku: Sku, warehouse: WarehouseId },
    /// Another vendor owns this stock (it received the first batch).
    #[error("this stock belongs to vendor {owner}")]
    NotOwner { owner: VendorId },
    /// The batch id was already received.
    #[error("batch {batch} was already received")]
    BatchAlreadyReceived { batch: BatchId },
    /// The batch arrived past its expiry date.
    #[error("batch {batch} expired on {expires_on}")]
    BatchAlreadyExpired {
        batch: BatchId,
        expires_on: NaiveDate,
    },
    /// No such batch in this stock.
    #[error("unknown batch {batch}")]
    UnknownBatch { batch: BatchId },
    /// The eligible free units do not cover the request; nothing was reserved.
    #[error("insufficient stock: {requested} requested, {available} available")]
    InsufficientStock { requested: u32, available: u64 },
    /// A hold deadline that is not after the command's time.
    #[error("hold expiry {expires_at} is not in the future")]
    HoldExpiryNotInFuture { expires_at: DateTime<Utc> },
    /// The reservation id was already used.
    #[error("reservation {reservation} already exists")]
    ReservationAlreadyExists { reservation: ReservationId },
    /// No such reservation in this stock.
    #[error("unknown reservation {reservation}")]
    UnknownReservation { reservation: ReservationId },
    /// The hold lapsed (whether or not the expiry has been processed).
    #[error("reservation {reservation} expired at {expires_at}")]
    ReservationExpired {
        reservation: ReservationId,
        expires_at: DateTime<Utc>,
    },
    /// The hold was released.
    #[error("reservation {reservation} was released")]
    ReservationReleased { reservation: ReservationId },
    /// The units already left the warehouse.
    #[error("reservation {reservation} was committed")]
    ReservationCommitted { reservation: ReservationId },
    /// An extension that would move the hold's deadline earlier.
    #[error("reservation {reservation} already holds until {expires_at}")]
    NotAnExtension {
        reservation: ReservationId,
        expires_at: DateTime<Utc>,
    },
    /// Expiry of a reservation that is no longer active.
    #[error("reservation {reservation} is no longer active ({status})")]
    ReservationNotActive {
        reservation: ReservationId,
        status: ReservationStatus,
    },
    /// Expiry fired before the hold's deadline.
    #[error("reservation {reservation} holds until {expires_at}")]
    TooEarly {
        reservation: ReservationId,
        expires_at: DateTime<Utc>,
    },
    /// A commit found an expired batch in its allocation and no eligible
    /// batch to move those units to.
    #[error("reservation {reservation} holds expired batch {batch}")]
    AllocatedBatchExpired {
        reservation: ReservationId,
        batch: BatchId,
    },
    /// An adjustment that would take on hand below zero.
    #[error("batch {batch} has only {on_hand} on hand")]
    AdjustmentBelowZero { batch: BatchId, on_hand: u32 },
    /// An adjustment that would take on hand below what is reserved.
    #[error("batch {batch} has {reserved} reserved; release holds first")]
    AdjustmentBelowReserved { batch: BatchId, reserved: u32 },
    /// Write-off of a batch without an expiry date.
    #[error("batch {batch} does not perish")]
    BatchDoesNotPerish { batch: BatchId },
    /// Write-off on or before the batch's last good day.
    #[error("batch {batch} is good until {expires_on}")]
    BatchNotExpired {
        batch: BatchId,
        expires_on: NaiveDate,
    },
    /// Write-off of a batch with nothing on hand (already written off or sold).
    #[error("batch {batch} has nothing on hand to write off")]
    NothingToWriteOff { batch: BatchId },
    /// A return into a batch that has expired: dispose of it instead.
    #[error("batch {batch} expired on {expires_on}; dispose of the return")]
    BatchExpired {
        batch: BatchId,
        expires_on: NaiveDate,
    },
    /// A return without a batch and no unexpired batch to put it in.
    #[error("no unexpired batch to restock the return into")]
    NoBatchForReturn,
}
