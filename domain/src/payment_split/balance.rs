//! Where the money of one captured payment is: per vendor ([`VendorBalance`])
//! and for the whole payment ([`SplitTotals`]).
//!
//! Events carry these values as they are after the event, so `apply` and
//! every read model only assign them. The arithmetic that moves money
//! between the buckets lives here, next to the identities it keeps.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::money::{allocate, FeeRate, Money, MoneyError};

/// Whether a vendor's share may be paid out yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Hold {
    /// No payout scheduled yet: the share is held.
    Unscheduled,
    /// A payout is scheduled: the share stays held until `until`.
    Scheduled {
        /// When the share becomes payable.
        until: DateTime<Utc>,
    },
    /// The first release at or after `until` made the held share available.
    Lifted {
        /// The hold that was lifted.
        until: DateTime<Utc>,
    },
}

/// One vendor's share of the payment and where its money is. No field is
/// ever negative, and always
/// `held + available + paid_out == (net - net_refunded) + debt`,
/// `fee_refunded <= fee`, `net_refunded <= net`, `debt <= paid_out`, and a
/// debt only exists while `held` and `available` are zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorBalance {
    /// The vendor's part of the captured amount: its gross, adjusted by the
    /// order-level discount or shipping spread over vendors.
    pub allocated: Money,
    /// The platform fee on `allocated`, rounded once, half up.
    pub fee: Money,
    /// `allocated - fee`, exactly: what the vendor earns.
    pub net: Money,
    /// The part of `fee` given back to the buyer (refunds and chargebacks).
    pub fee_refunded: Money,
    /// The part of `net` given back to the buyer (refunds and chargebacks).
    pub net_refunded: Money,
    /// Net not payable yet: the hold has not been lifted.
    pub held: Money,
    /// Net payable now.
    pub available: Money,
    /// Net sent to the vendor in payouts that have not failed.
    pub paid_out: Money,
    /// What the vendor owes the platform: money refunded after it was paid out.
    pub debt: Money,
    /// Whether, and until when, the share is held.
    pub hold: Hold,
}

/// How one vendor's part of a refund or chargeback was taken back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TakenBack {
    /// The platform fee given back.
    pub(crate) fee_part: Money,
    /// The vendor's net given back.
    pub(crate) net_part: Money,
    /// The share of `net_part` neither held nor available: now owed.
    pub(crate) debt_incurred: Money,
}

/// The two halves of a vendor's remaining share. `Fee` sorts first, so on a
/// tie the fee part takes the odd minor unit (the platform bears it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    Fee,
    Net,
}

fn min(a: Money, b: Money) -> Money {
    Money::new(a.amount().min(b.amount()), a.currency())
}

impl VendorBalance {
    /// A fresh share: the fee on `allocated` rounded once, the net the exact
    /// remainder, all of it held.
    pub(crate) fn new(allocated: Money, fee_rate: FeeRate) -> Result<Self, MoneyError> {
        let fee = Money::new(fee_rate.fee_on(allocated.amount())?, allocated.currency());
        let net = allocated.checked_sub(fee)?;
        let zero = Money::zero(allocated.currency());
        Ok(Self {
            allocated,
            fee,
            net,
            fee_refunded: zero,
            net_refunded: zero,
            held: net,
            available: zero,
            paid_out: zero,
            debt: zero,
            hold: Hold::Unscheduled,
        })
    }

    /// What can still be refunded of this vendor's share.
    pub fn remaining(&self) -> Result<Money, MoneyError> {
        self.allocated
            .checked_sub(self.fee_refunded)?
            .checked_sub(self.net_refunded)
    }

    /// Takes `amount` (at most [`remaining`](Self::remaining)) back for the
    /// buyer. It is split into a fee part and a net part by largest
    /// remainder over what is left of each, so the fee is refunded in
    /// proportion and both parts are exact. The net part comes out of
    /// `held`, then `available`; what those cannot cover becomes `debt`.
    pub(crate) fn take_back(self, amount: Money) -> Result<(Self, TakenBack), MoneyError> {
        self.allocated.same_currency(amount)?;
        let fee_left = self.fee.checked_sub(self.fee_refunded)?;
        let net_left = self.net.checked_sub(self.net_refunded)?;
        let parts = allocate(
            amount.amount(),
            &[
                (Part::Fee, fee_left.amount()),
                (Part::Net, net_left.amount()),
            ],
        )?;
        let fee_part = Money::new(parts[0].1, amount.currency());
        let net_part = Money::new(parts[1].1, amount.currency());
        let from_held = min(self.held, net_part);
        let from_available = min(self.available, net_part.checked_sub(from_held)?);
        let debt_incurred = net_part
            .checked_sub(from_held)?
            .checked_sub(from_available)?;
        let after = Self {
            fee_refunded: self.fee_refunded.checked_add(fee_part)?,
            net_refunded: self.net_refunded.checked_add(net_part)?,
            held: self.held.checked_sub(from_held)?,
            available: self.available.checked_sub(from_available)?,
            debt: self.debt.checked_add(debt_incurred)?,
            ..self
        };
        let taken = TakenBack {
            fee_part,
            net_part,
            debt_incurred,
        };
        Ok((after, taken))
    }

    /// Lifts the hold: everything held becomes available. Returns the new
    /// balance and the amount that moved.
    pub(crate) fn lift_hold(self, until: DateTime<Utc>) -> Result<(Self, Money), MoneyError> {
        let after = Self {
            held: Money::zero(self.held.currency()),
            available: self.available.checked_add(self.held)?,
            hold: Hold::Lifted { until },
            ..self
        };
        Ok((after, self.held))
    }

    /// Pays `amount` (at most `available`) out to the vendor.
    pub(crate) fn pay_out(self, amount: Money) -> Result<Self, MoneyError> {
        Ok(Self {
            available: self.available.checked_sub(amount)?.non_negative()?,
            paid_out: self.paid_out.checked_add(amount)?,
            ..self
        })
    }

    /// A payout of `amount` failed: the money is back in `available`.
    pub(crate) fn payout_failed(self, amount: Money) -> Result<Self, MoneyError> {
        Ok(Self {
            available: self.available.checked_add(amount)?,
            paid_out: self.paid_out.checked_sub(amount)?.non_negative()?,
            ..self
        })
    }

    /// Settles as much debt as `available` covers. Returns the new balance
    /// and the amount recovered.
    pub(crate) fn recover_debt(self) -> Result<(Self, Money), MoneyError> {
        let recovered = min(self.debt, self.available);
        let after = Self {
            available: self.available.checked_sub(recovered)?,
            debt: self.debt.checked_sub(recovered)?,
            ..self
        };
        Ok((after, recovered))
    }
}

/// The whole payment: what was captured, what the platform earns, what was
/// given back. Always `remaining == captured - refunded - charged_back`, and
/// `remaining` equals the sum over vendors of what remains of their shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SplitTotals {
    /// The captured amount that was split.
    pub captured: Money,
    /// The platform fee: the sum of the vendors' fees.
    pub platform_fee: Money,
    /// The part of `platform_fee` given back by refunds and chargebacks.
    pub platform_fee_refunded: Money,
    /// Refunded to the buyer so far.
    pub refunded: Money,
    /// Taken back by chargebacks so far.
    pub charged_back: Money,
    /// What is left of the captured amount.
    pub remaining: Money,
}

impl SplitTotals {
    /// The totals right after the split.
    pub(crate) fn new(captured: Money, platform_fee: Money) -> Self {
        let zero = Money::zero(captured.currency());
        Self {
            captured,
            platform_fee,
            platform_fee_refunded: zero,
            refunded: zero,
            charged_back: zero,
            remaining: captured,
        }
    }

    /// After a refund of `amount` of which `fee_part` was platform fee.
    pub(crate) fn after_refund(self, amount: Money, fee_part: Money) -> Result<Self, MoneyError> {
        Ok(Self {
            refunded: self.refunded.checked_add(amount)?,
            ..self.after_return(amount, fee_part)?
        })
    }

    /// After a chargeback of `amount` of which `fee_part` was platform fee.
    pub(crate) fn after_chargeback(
        self,
        amount: Money,
        fee_part: Money,
    ) -> Result<Self, MoneyError> {
        Ok(Self {
            charged_back: self.charged_back.checked_add(amount)?,
            ..self.after_return(amount, fee_part)?
        })
    }

    fn after_return(self, amount: Money, fee_part: Money) -> Result<Self, MoneyError> {
        Ok(Self {
            platform_fee_refunded: self.platform_fee_refunded.checked_add(fee_part)?,
            remaining: self.remaining.checked_sub(amount)?.non_negative()?,
            ..self
        })
    }
}
