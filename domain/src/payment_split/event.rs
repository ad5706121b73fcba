//! What happened to a payment split.
//!
//! Every event that moves money carries the resulting [`VendorBalance`] of
//! each vendor it touches (and the resulting [`SplitTotals`] where the
//! payment's totals change), so a read model assigns values and never
//! recomputes a rule.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::{ChargebackId, PayoutFailureReason, SplitTotals, VendorBalance};
use crate::ids::{OrderId, PaymentId, PayoutId, RefundId, VendorId};
use crate::money::{FeeRate, Money};

/// Events of the [`PaymentSplit`](super::PaymentSplit) aggregate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PaymentSplitEvent {
    /// The captured payment was split between vendors and the platform.
    SplitComputed {
        /// The order paid for.
        order: OrderId,
        /// The capture at the payment provider.
        payment_id: PaymentId,
        /// The captured amount; the vendors' `allocated` amounts sum to it.
        captured: Money,
        /// The fee rate applied to each vendor's allocated amount.
        fee_rate: FeeRate,
        /// The sum of the vendors' fees.
        platform_fee: Money,
        /// Each vendor's share, in the order the command listed them.
        vendors: Vec<VendorSplit>,
        /// The payment's totals after the split.
        totals: SplitTotals,
        /// When.
        at: DateTime<Utc>,
    },
    /// A vendor's share will be payable from `hold_until`.
    PayoutScheduled {
        /// Whose share.
        vendor: VendorId,
        /// When the share becomes payable.
        hold_until: DateTime<Utc>,
        /// The vendor's balance after scheduling.
        balance: VendorBalance,
        /// When.
        at: DateTime<Utc>,
    },
    /// The hold ended: everything held moved to the available balance.
    HoldLifted {
        /// Whose share.
        vendor: VendorId,
        /// How much moved from held to available.
        amount: Money,
        /// The vendor's balance after the move.
        balance: VendorBalance,
        /// When.
        at: DateTime<Utc>,
    },
    /// Money left the vendor's available balance in a payout.
    PayoutReleased {
        /// Whose payout.
        vendor: VendorId,
        /// The payout at the payment provider.
        payout_id: PayoutId,
        /// How much was paid out.
        amount: Money,
        /// The vendor's balance after the payout.
        balance: VendorBalance,
        /// When.
        at: DateTime<Utc>,
    },
    /// A refund to the buyer was recorded and taken from the vendors.
    RefundRecorded {
        /// The refund at the payment provider.
        refund_id: RefundId,
        /// How much was refunded.
        amount: Money,
        /// Each vendor's part, for the vendors that gave something back.
        vendors: Vec<VendorReturn>,
        /// The payment's totals after the refund.
        totals: SplitTotals,
        /// When.
        at: DateTime<Utc>,
    },
    /// A chargeback was recorded and taken from the vendors.
    ChargebackRecorded {
        /// The chargeback at the payment provider.
        chargeback_id: ChargebackId,
        /// How much the card network took back.
        amount: Money,
        /// Each vendor's part, for the vendors that gave something back.
        vendors: Vec<VendorReturn>,
        /// The payment's totals after the chargeback.
        totals: SplitTotals,
        /// When.
        at: DateTime<Utc>,
    },
    /// A vendor now owes the platform money: part of a refund or chargeback
    /// was already paid out. Follows the refund or chargeback event; the
    /// balance is the same one that event carries.
    VendorDebtIncurred {
        /// Who owes.
        vendor: VendorId,
        /// How much more is owed.
        amount: Money,
        /// What caused the debt.
        cause: DebtCause,
        /// The vendor's balance, debt included.
        balance: VendorBalance,
        /// When.
        at: DateTime<Utc>,
    },
    /// A payout did not reach the vendor; its amount is available again.
    PayoutFailed {
        /// Whose payout.
        vendor: VendorId,
        /// The payout that failed.
        payout_id: PayoutId,
        /// The amount returned to the available balance.
        amount: Money,
        /// Why.
        reason: PayoutFailureReason,
        /// The vendor's balance after the money came back.
        balance: VendorBalance,
        /// When.
        at: DateTime<Utc>,
    },
    /// Money that came back from a failed payout settled (part of) the
    /// vendor's debt.
    VendorDebtRecovered {
        /// Who owed.
        vendor: VendorId,
        /// How much of the debt was settled.
        amount: Money,
        /// The failed payout whose money settled it.
        payout_id: PayoutId,
        /// The vendor's balance after settling.
        balance: VendorBalance,
        /// When.
        at: DateTime<Utc>,
    },
}

/// One vendor's share in [`PaymentSplitEvent::SplitComputed`]. The
/// allocated amount, fee and net are in `balance`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorSplit {
    /// The vendor.
    pub vendor: VendorId,
    /// The vendor's gross as ordered, before order-level adjustments.
    pub gross: Money,
    /// The vendor's balance right after the split: all of the net held.
    pub balance: VendorBalance,
}

/// One vendor's part of a refund or chargeback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorReturn {
    /// The vendor.
    pub vendor: VendorId,
    /// How much of the refund or chargeback falls on this vendor's share.
    pub amount: Money,
    /// The part of `amount` that was platform fee (given back by the platform).
    pub fee_part: Money,
    /// The part of `amount` that was the vendor's net.
    pub net_part: Money,
    /// The part of `net_part` already paid out, now owed by the vendor.
    pub debt_incurred: Money,
    /// The vendor's balance afterwards.
    pub balance: VendorBalance,
}

/// Why a vendor owes money.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DebtCause {
    /// A refund after payout.
    Refund {
        /// The refund.
        refund_id: RefundId,
    },
    /// A chargeback after payout.
    Chargeback {
        /// The chargeback.
        chargeback_id: ChargebackId,
    },
}

impl DomainEvent for PaymentSplitEvent {
    fn event_type(&self) -> String {
        let name = match self {
            Self::SplitComputed { .. } => "SplitComputed",
            Self::PayoutScheduled { .. } => "PayoutScheduled",
            Self::HoldLifted { .. } => "HoldLifted",
            Self::PayoutReleased { .. } => "PayoutReleased",
            Self::RefundRecorded { .. } => "RefundRecorded",
            Self::ChargebackRecorded { .. } => "ChargebackRecorded",
            Self::VendorDebtIncurred { .. } => "VendorDebtIncurred",
            Self::PayoutFailed { .. } => "PayoutFailed",
            Self::VendorDebtRecovered { .. } => "VendorDebtRecovered",
        };
        name.to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}
