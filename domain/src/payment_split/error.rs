//! Why a payment split command was rejected.

use chrono::{DateTime, Utc};

use super::ChargebackId;
use crate::ids::{PayoutId, RefundId, VendorId};
use crate::money::{Money, MoneyError};

/// A rejected [`PaymentSplitCommand`](super::PaymentSplitCommand). A
/// rejection writes no events.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum PaymentSplitError {
    /// Only `ComputeSplit` is accepted before the split exists.
    #[error("payment split is not computed yet")]
    NotComputed,
    /// The split is computed once per payment.
    #[error("payment split is already computed")]
    AlreadyComputed,
    /// A split needs at least one vendor.
    #[error("a split needs at least one vendor")]
    NoVendors,
    /// A vendor appears twice in a split or an allocation.
    #[error("vendor {vendor} is listed twice")]
    DuplicateVendor {
        /// The vendor.
        vendor: VendorId,
    },
    /// A vendor's gross must be more than zero.
    #[error("gross of vendor {vendor} must be positive")]
    NonPositiveGross {
        /// The vendor.
        vendor: VendorId,
    },
    /// Captured, payout, refund and chargeback amounts must be more than zero.
    #[error("amount must be positive")]
    NonPositiveAmount,
    /// The vendor has no share in this payment.
    #[error("vendor {vendor} is not part of this split")]
    UnknownVendor {
        /// The vendor.
        vendor: VendorId,
    },
    /// A payout is released only after it was scheduled.
    #[error("payout of vendor {vendor} is not scheduled")]
    PayoutNotScheduled {
        /// The vendor.
        vendor: VendorId,
    },
    /// The release came before the end of the hold.
    #[error("share of vendor {vendor} is held until {hold_until}")]
    TooEarly {
        /// The vendor.
        vendor: VendorId,
        /// When the share becomes payable.
        hold_until: DateTime<Utc>,
    },
    /// The hold ended already; there is nothing to schedule.
    #[error("hold on the share of vendor {vendor} is already lifted")]
    HoldAlreadyLifted {
        /// The vendor.
        vendor: VendorId,
    },
    /// The payout id was used before in this split.
    #[error("payout {payout_id} is already recorded")]
    DuplicatePayout {
        /// The payout.
        payout_id: PayoutId,
    },
    /// The vendor's available balance is zero: paid out or refunded already.
    #[error("vendor {vendor} has nothing available to pay out")]
    NothingAvailable {
        /// The vendor.
        vendor: VendorId,
    },
    /// A payout may not exceed the available balance.
    #[error("payout exceeds the available balance of {available}")]
    ExceedsAvailable {
        /// The vendor's available balance.
        available: Money,
    },
    /// No payout with this id was released in this split.
    #[error("payout {payout_id} is unknown")]
    UnknownPayout {
        /// The payout.
        payout_id: PayoutId,
    },
    /// The payout belongs to another vendor than the command names.
    #[error("payout {payout_id} belongs to vendor {vendor}")]
    PayoutOfAnotherVendor {
        /// The payout.
        payout_id: PayoutId,
        /// The vendor it was paid to.
        vendor: VendorId,
    },
    /// The payout's failure was recorded already.
    #[error("payout {payout_id} has already failed")]
    PayoutAlreadyFailed {
        /// The payout.
        payout_id: PayoutId,
    },
    /// The refund id was used before in this split.
    #[error("refund {refund_id} is already recorded")]
    DuplicateRefund {
        /// The refund.
        refund_id: RefundId,
    },
    /// The chargeback id was used before in this split.
    #[error("chargeback {chargeback_id} is already recorded")]
    DuplicateChargeback {
        /// The chargeback.
        chargeback_id: ChargebackId,
    },
    /// More than what remains of the payment would be given back.
    #[error("amount exceeds the {remaining} that remains of the payment")]
    ExceedsRemaining {
        /// What remains of the payment.
        remaining: Money,
    },
    /// More than what remains of a vendor's share would be given back.
    #[error("amount exceeds the {remaining} that remains for vendor {vendor}")]
    ExceedsVendorRemaining {
        /// The vendor.
        vendor: VendorId,
        /// What remains of the vendor's share.
        remaining: Money,
    },
    /// A refund's allocation must sum to the refund amount.
    #[error("allocation sums to {allocated}, not to the refund amount")]
    AllocationMismatch {
        /// What the allocation sums to.
        allocated: Money,
    },
    /// Money arithmetic failed: mixed currencies, overflow, a negative amount.
    #[error(transparent)]
    Money(#[from] MoneyError),
}
