//! What can be asked of a payment split.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ChargebackId;
use crate::ids::{OrderId, PaymentId, PayoutId, RefundId, VendorId};
use crate::money::{FeeRate, Money};

/// Commands of the [`PaymentSplit`](super::PaymentSplit) aggregate. Every
/// command carries `at`, the time the caller decided it; the domain never
/// reads a clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PaymentSplitCommand {
    /// Splits a captured payment between the order's vendors and the
    /// platform. Sent once, when the payment is confirmed.
    ComputeSplit {
        /// The order paid for (also the aggregate id).
        order: OrderId,
        /// The capture at the payment provider.
        payment_id: PaymentId,
        /// The amount captured; may differ from the sum of the gross amounts
        /// (an order-level discount or shipping).
        captured: Money,
        /// The platform fee rate snapshotted into the order at checkout.
        fee_rate: FeeRate,
        /// Each vendor's gross (its vendor order subtotal), one entry per vendor.
        vendors: Vec<(VendorId, Money)>,
        /// When the split was asked for.
        at: DateTime<Utc>,
    },
    /// Says when a vendor's share stops being held (after delivery and the
    /// inspection window). Repeating it before the hold is lifted moves the
    /// date; repeating it with the same date changes nothing.
    SchedulePayout {
        /// Whose share.
        vendor: VendorId,
        /// The share becomes payable at this time.
        hold_until: DateTime<Utc>,
        /// When the payout was scheduled.
        at: DateTime<Utc>,
    },
    /// Pays (part of) a vendor's available share out. Fired by the scheduler
    /// at `hold_until`; the first release lifts the hold.
    ReleasePayout {
        /// Whose share.
        vendor: VendorId,
        /// The payout at the payment provider; unique within the split.
        payout_id: PayoutId,
        /// How much to pay, at most the vendor's available balance; `None`
        /// pays everything available at `at` (what the scheduler sends, so
        /// a refund landing after the payout was scheduled cannot make the
        /// timer's amount stale).
        amount: Option<Money>,
        /// Now, as the scheduler sees it; must not be before `hold_until`.
        at: DateTime<Utc>,
    },
    /// Records a refund to the buyer and who gives it back.
    RecordRefund {
        /// The refund at the payment provider; unique within the split.
        refund_id: RefundId,
        /// How much was refunded.
        amount: Money,
        /// How much each vendor gives back (must sum to `amount`); `None`
        /// spreads it over vendors by what each has left.
        allocation: Option<Vec<(VendorId, Money)>>,
        /// When the refund happened.
        at: DateTime<Utc>,
    },
    /// Records a chargeback: money the card network took back from the
    /// payment. Spread over vendors by what each has left.
    RecordChargeback {
        /// The chargeback at the payment provider; unique within the split.
        chargeback_id: ChargebackId,
        /// How much was taken back (the disputed amount, without fees).
        amount: Money,
        /// When the chargeback happened.
        at: DateTime<Utc>,
    },
    /// Records that a payout did not reach the vendor: the money is back
    /// in the vendor's available balance.
    RecordPayoutFailed {
        /// Whose payout.
        vendor: VendorId,
        /// The payout that failed.
        payout_id: PayoutId,
        /// Why, as the payment provider reported it.
        reason: PayoutFailureReason,
        /// When the failure was reported.
        at: DateTime<Utc>,
    },
}

/// Why a payout failed, after the failure codes of Stripe payouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayoutFailureReason {
    /// The destination account is closed.
    AccountClosed,
    /// The destination account is frozen or restricted.
    AccountFrozen,
    /// The account details are wrong or the account does not exist.
    InvalidAccount,
    /// The bank declined the transfer.
    Declined,
    /// Any other failure the provider could not process.
    CouldNotProcess,
}
