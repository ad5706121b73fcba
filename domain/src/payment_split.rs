//! PaymentSplit: who gets what of one captured payment.
//!
//! One aggregate per paid order; its id is the [`OrderId`]. The checkout
//! process sends `ComputeSplit` when the payment is confirmed; from then on
//! each vendor has a [`VendorBalance`] whose net is held, becomes available
//! when the hold is lifted, and leaves in payouts. Refunds and chargebacks
//! take money back from the vendors' shares and the platform fee.
//!
//! # Lifecycle
//! `ComputeSplit` once; then, per vendor, `SchedulePayout` (hold until a
//! date) → `ReleasePayout` at or after that date (the first release lifts
//! the hold, every release pays part of the available balance) →
//! possibly `RecordPayoutFailed`. `RecordRefund` and `RecordChargeback` may
//! come at any time after the split.
//!
//! # Invariants (checked by property tests after every command)
//! - `Σ (net − net_refunded) + Σ (fee − fee_refunded) == captured −
//!   refunded − charged_back == remaining`, exactly.
//! - Per vendor: `fee_refunded ≤ fee`, `net_refunded ≤ net` (so refunded ≤
//!   allocated), and `held + available + paid_out == (net − net_refunded) +
//!   debt`, where `paid_out` counts payouts that have not failed.
//! - `debt ≤ paid_out`; a debt exists only while `held` and `available` are
//!   zero; no amount is ever negative.
//!
//! # Policy choices (recorded in `docs/domain.md`)
//! - **Order-level adjustments.** The whole captured amount is spread over
//!   vendors by largest remainder weighted by gross, ties by vendor id, so a
//!   discount lowers and shipping raises each vendor's `allocated`. The fee
//!   is taken on `allocated` (what the buyer paid for that vendor's goods),
//!   rounded once, half up; the net is the exact remainder and the platform
//!   fee is the sum of the vendors' fees, never rounded again. Every gross
//!   must be positive and each vendor listed once.
//! - **Holds.** A vendor's net is held from the split on, as with Stripe
//!   Connect's pending balance and Escrow.com's funds in escrow.
//!   `SchedulePayout` sets the date; sent again before the hold is lifted it
//!   moves the date (a dispute may extend it, as Adyen's hold/release of
//!   funds allows); sent with the same date it writes nothing; after the
//!   lift it is rejected. The hold is lifted by the first `ReleasePayout`
//!   at or after the date (`HoldLifted`, then `PayoutReleased`); nothing
//!   happens by the clock alone. A release that is rejected (too much, for
//!   example) does not lift the hold either.
//! - **Payouts.** Several partial payouts are allowed; payout ids are unique
//!   across the split. A failed payout's money returns to `available` and
//!   first settles any debt of that vendor (`VendorDebtRecovered`), as
//!   Stripe nets a negative balance against incoming funds.
//! - **Refunds.** An explicit allocation must name known vendors once and
//!   sum to the amount; without one the amount is spread by what each
//!   vendor has left, largest remainder, ties by vendor id. Each vendor's
//!   part is split into fee and net by largest remainder over (fee left,
//!   net left): the fee is refunded in proportion, like Stripe's
//!   `refund_application_fee`; on a tie the fee part takes the odd unit, so
//!   the platform, not the vendor, bears rounding. The net part comes out
//!   of `held`, then `available`; the rest was paid out already and becomes
//!   debt (`VendorDebtIncurred` after the refund event), never a negative
//!   balance. Recovering that debt from the vendor's other orders is a
//!   vendor ledger's job, outside this aggregate.
//! - **Chargebacks.** Treated as a refund forced by the card network:
//!   spread by what each vendor has left, fee given back in proportion,
//!   debts as for refunds, capped by what remains (a chargeback above that,
//!   say after a full refund, is rejected and must be contested at the
//!   provider). The provider's dispute fee is not recorded here: Stripe
//!   and Adyen debit it from the platform's balance, it is not part of the
//!   captured amount, and passing it on to a vendor is a commercial
//!   decision for a vendor ledger. Won disputes (money coming back) are not
//!   modelled yet.
//! - **Ids.** Refund, chargeback and payout ids are business ids: reusing
//!   one is a typed error. Command ids and retries are handled in
//!   `commands/`.

pub mod balance;
pub mod chargeback_id;
pub mod command;
pub mod error;
pub mod event;
mod payout;
mod refund;
mod state;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

pub use balance::{Hold, SplitTotals, VendorBalance};
pub use chargeback_id::ChargebackId;
pub use command::{PaymentSplitCommand, PayoutFailureReason};
pub use error::PaymentSplitError;
pub use event::{DebtCause, PaymentSplitEvent, VendorReturn, VendorSplit};

use state::Split;

use crate::ids::{OrderId, PaymentId, VendorId};
use crate::money::{allocate, FeeRate, Money};

/// The split of one order's captured payment between its vendors and the
/// platform, and where each vendor's money is.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentSplit {
    /// `None` until `SplitComputed`.
    split: Option<Split>,
}

type Decision = Result<Vec<PaymentSplitEvent>, PaymentSplitError>;

impl Aggregate for PaymentSplit {
    const TYPE: &'static str = "PaymentSplit";
    type Command = PaymentSplitCommand;
    type Event = PaymentSplitEvent;
    type Error = PaymentSplitError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        use PaymentSplitCommand as C;
        let events = match command {
            C::ComputeSplit {
                order,
                payment_id,
                captured,
                fee_rate,
                vendors,
                at,
            } => self.compute_split(order, payment_id, captured, fee_rate, vendors, at)?,
            C::SchedulePayout {
                vendor,
                hold_until,
                at,
            } => self.split()?.schedule_payout(vendor, hold_until, at)?,
            C::ReleasePayout {
                vendor,
                payout_id,
                amount,
                at,
            } => self
                .split()?
                .release_payout(vendor, payout_id, amount, at)?,
            C::RecordRefund {
                refund_id,
                amount,
                allocation,
                at,
            } => self
                .split()?
                .record_refund(refund_id, amount, allocation, at)?,
            C::RecordChargeback {
                chargeback_id,
                amount,
                at,
            } => self.split()?.record_chargeback(chargeback_id, amount, at)?,
            C::RecordPayoutFailed {
                vendor,
                payout_id,
                reason,
                at,
            } => self
                .split()?
                .record_payout_failed(vendor, payout_id, reason, at)?,
        };
        // every check ran before the first write: a rejection writes nothing
        for event in events {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        if let PaymentSplitEvent::SplitComputed {
            order,
            payment_id,
            fee_rate,
            vendors,
            totals,
            ..
        } = event
        {
            self.split = Some(Split::new(order, payment_id, fee_rate, vendors, totals));
        } else if let Some(split) = &mut self.split {
            split.apply(event);
        }
    }
}

impl PaymentSplit {
    /// The order whose payment this is, once the split is computed.
    pub fn order(&self) -> Option<&OrderId> {
        self.split.as_ref().map(|s| &s.order)
    }

    /// The capture that was split, once computed.
    pub fn payment_id(&self) -> Option<&PaymentId> {
        self.split.as_ref().map(|s| &s.payment_id)
    }

    /// The fee rate the split used, once computed.
    pub fn fee_rate(&self) -> Option<FeeRate> {
        self.split.as_ref().map(|s| s.fee_rate)
    }

    /// The payment's totals, once computed.
    pub fn totals(&self) -> Option<&SplitTotals> {
        self.split.as_ref().map(|s| &s.totals)
    }

    /// A vendor's balance, if the vendor has a share in this payment.
    pub fn balance(&self, vendor: &VendorId) -> Option<&VendorBalance> {
        self.split.as_ref().and_then(|s| s.vendors.get(vendor))
    }

    fn split(&self) -> Result<&Split, PaymentSplitError> {
        self.split.as_ref().ok_or(PaymentSplitError::NotComputed)
    }

    fn compute_split(
        &self,
        order: OrderId,
        payment_id: PaymentId,
        captured: Money,
        fee_rate: FeeRate,
        vendors: Vec<(VendorId, Money)>,
        at: DateTime<Utc>,
    ) -> Decision {
        if self.split.is_some() {
            return Err(PaymentSplitError::AlreadyComputed);
        }
        let weights = gross_weights(captured, &vendors)?;
        let shares = allocate(captured.amount(), &weights)?;
        let mut platform_fee = Money::zero(captured.currency());
        let mut lines = Vec::with_capacity(vendors.len());
        for ((vendor, gross), (_, share)) in vendors.into_iter().zip(shares) {
            let balance = VendorBalance::new(Money::new(share, captured.currency()), fee_rate)?;
            platform_fee = platform_fee.checked_add(balance.fee)?;
            lines.push(VendorSplit {
                vendor,
                gross,
                balance,
            });
        }
        Ok(vec![PaymentSplitEvent::SplitComputed {
            order,
            payment_id,
            captured,
            fee_rate,
            platform_fee,
            vendors: lines,
            totals: SplitTotals::new(captured, platform_fee),
            at,
        }])
    }
}

/// Checks the captured amount and the vendors' gross amounts and returns
/// the allocation weights (the gross amounts, keyed by vendor).
fn gross_weights(
    captured: Money,
    vendors: &[(VendorId, Money)],
) -> Result<Vec<(VendorId, i64)>, PaymentSplitError> {
    if captured.amount() <= 0 {
        return Err(PaymentSplitError::NonPositiveAmount);
    }
    if vendors.is_empty() {
        return Err(PaymentSplitError::NoVendors);
    }
    let mut seen = BTreeSet::new();
    let mut weights = Vec::with_capacity(vendors.len());
    for (vendor, gross) in vendors {
        captured.same_currency(*gross)?;
        if gross.amount() <= 0 {
            return Err(PaymentSplitError::NonPositiveGross {
                vendor: vendor.clone(),
            });
        }
        if !seen.insert(vendor) {
            return Err(PaymentSplitError::DuplicateVendor {
                vendor: vendor.clone(),
            });
        }
        weights.push((vendor.clone(), gross.amount()));
    }
    Ok(weights)
}
