//! Decisions about money going back to the buyer: refunds and chargebacks.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::{
    ChargebackId, DebtCause, Decision, PaymentSplitError, PaymentSplitEvent, Split, VendorReturn,
};
use crate::ids::{RefundId, VendorId};
use crate::money::{allocate, Money};

/// The vendors' parts of one refund or chargeback, taken back.
struct Returned {
    lines: Vec<VendorReturn>,
    debts: Vec<PaymentSplitEvent>,
    fee_part: Money,
}

impl Split {
    pub(super) fn record_refund(
        &self,
        refund_id: RefundId,
        amount: Money,
        allocation: Option<Vec<(VendorId, Money)>>,
        at: DateTime<Utc>,
    ) -> Decision {
        if self.refunds.contains(&refund_id) {
            return Err(PaymentSplitError::DuplicateRefund { refund_id });
        }
        self.check_returnable(amount)?;
        let parts = match allocation {
            Some(entries) => self.check_allocation(amount, entries)?,
            None => self.spread(amount)?,
        };
        let cause = DebtCause::Refund {
            refund_id: refund_id.clone(),
        };
        let taken = self.take_back(parts, &cause, at)?;
        let mut events = vec![PaymentSplitEvent::RefundRecorded {
            refund_id,
            amount,
            vendors: taken.lines,
            totals: self.totals.after_refund(amount, taken.fee_part)?,
            at,
        }];
        events.extend(taken.debts);
        Ok(events)
    }

    pub(super) fn record_chargeback(
        &self,
        chargeback_id: ChargebackId,
        amount: Money,
        at: DateTime<Utc>,
    ) -> Decision {
        if self.chargebacks.contains(&chargeback_id) {
            return Err(PaymentSplitError::DuplicateChargeback { chargeback_id });
        }
        self.check_returnable(amount)?;
        let cause = DebtCause::Chargeback {
            chargeback_id: chargeback_id.clone(),
        };
        let taken = self.take_back(self.spread(amount)?, &cause, at)?;
        let mut events = vec![PaymentSplitEvent::ChargebackRecorded {
            chargeback_id,
            amount,
            vendors: taken.lines,
            totals: self.totals.after_chargeback(amount, taken.fee_part)?,
            at,
        }];
        events.extend(taken.debts);
        Ok(events)
    }

    /// A positive amount in the payment's currency, at most what remains.
    fn check_returnable(&self, amount: Money) -> Result<(), PaymentSplitError> {
        self.check_amount(amount)?;
        let remaining = self.totals.remaining;
        if amount.amount() > remaining.amount() {
            return Err(PaymentSplitError::ExceedsRemaining { remaining });
        }
        Ok(())
    }

    /// Spreads `amount` (at most what remains) over the vendors by what each
    /// has left, largest remainder, ties by vendor id. Vendors whose part is
    /// zero are left out.
    fn spread(&self, amount: Money) -> Result<Vec<(VendorId, Money)>, PaymentSplitError> {
        let mut weights = Vec::with_capacity(self.vendors.len());
        for (vendor, balance) in &self.vendors {
            weights.push((vendor.clone(), balance.remaining()?.amount()));
        }
        Ok(allocate(amount.amount(), &weights)?
            .into_iter()
            .filter(|(_, part)| *part > 0)
            .map(|(vendor, part)| (vendor, Money::new(part, amount.currency())))
            .collect())
    }

    /// Checks an explicit allocation: known vendors, each once, each part
    /// zero or more and within what remains of that vendor's share, summing
    /// to `amount`. Zero parts are left out.
    fn check_allocation(
        &self,
        amount: Money,
        entries: Vec<(VendorId, Money)>,
    ) -> Result<Vec<(VendorId, Money)>, PaymentSplitError> {
        let mut seen = BTreeSet::new();
        let mut allocated = Money::zero(amount.currency());
        let mut parts = Vec::with_capacity(entries.len());
        for (vendor, part) in entries {
            amount.same_currency(part)?;
            part.non_negative()?;
            let remaining = self.vendor(&vendor)?.remaining()?;
            if !seen.insert(vendor.clone()) {
                return Err(PaymentSplitError::DuplicateVendor { vendor });
            }
            if part.amount() > remaining.amount() {
                return Err(PaymentSplitError::ExceedsVendorRemaining { vendor, remaining });
            }
            allocated = allocated.checked_add(part)?;
            if part.amount() > 0 {
                parts.push((vendor, part));
            }
        }
        if allocated != amount {
            return Err(PaymentSplitError::AllocationMismatch { allocated });
        }
        Ok(parts)
    }

    /// Takes each vendor's part back: fee and net in proportion, the net
    /// from held, then available, then as debt (one `VendorDebtIncurred`
    /// per vendor that now owes more).
    fn take_back(
        &self,
        parts: Vec<(VendorId, Money)>,
        cause: &DebtCause,
        at: DateTime<Utc>,
    ) -> Result<Returned, PaymentSplitError> {
        let mut taken = Returned {
            lines: Vec::with_capacity(parts.len()),
            debts: Vec::new(),
            fee_part: Money::zero(self.totals.captured.currency()),
        };
        for (vendor, amount) in parts {
            let (balance, part) = self.vendor(&vendor)?.take_back(amount)?;
            taken.fee_part = taken.fee_part.checked_add(part.fee_part)?;
            if part.debt_incurred.amount() > 0 {
                taken.debts.push(PaymentSplitEvent::VendorDebtIncurred {
                    vendor: vendor.clone(),
                    amount: part.debt_incurred,
                    cause: cause.clone(),
                    balance,
                    at,
                });
            }
            taken.lines.push(VendorReturn {
                vendor,
                amount,
                fee_part: part.fee_part,
                net_part: part.net_part,
                debt_incurred: part.debt_incurred,
                balance,
            });
        }
        Ok(taken)
    }
}
