//! The state of a computed split, and how events change it: by assigning
//! the values they carry, never by recomputing a rule.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{
    ChargebackId, PaymentSplitError, PaymentSplitEvent, SplitTotals, VendorBalance, VendorReturn,
    VendorSplit,
};
use crate::ids::{OrderId, PaymentId, PayoutId, RefundId, VendorId};
use crate::money::{FeeRate, Money};

/// The state once the split is computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Split {
    pub(super) order: OrderId,
    pub(super) payment_id: PaymentId,
    pub(super) fee_rate: FeeRate,
    pub(super) totals: SplitTotals,
    pub(super) vendors: BTreeMap<VendorId, VendorBalance>,
    pub(super) refunds: BTreeSet<RefundId>,
    pub(super) chargebacks: BTreeSet<ChargebackId>,
    pub(super) payouts: BTreeMap<PayoutId, PayoutRecord>,
}

/// A released payout, kept to catch reused ids and to undo failures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct PayoutRecord {
    pub(super) vendor: VendorId,
    pub(super) amount: Money,
    pub(super) failed: bool,
}

impl Split {
    /// The state `SplitComputed` creates.
    pub(super) fn new(
        order: OrderId,
        payment_id: PaymentId,
        fee_rate: FeeRate,
        vendors: Vec<VendorSplit>,
        totals: SplitTotals,
    ) -> Self {
        Self {
            order,
            payment_id,
            fee_rate,
            totals,
            vendors: vendors.into_iter().map(|v| (v.vendor, v.balance)).collect(),
            refunds: BTreeSet::new(),
            chargebacks: BTreeSet::new(),
            payouts: BTreeMap::new(),
        }
    }

    /// The vendor's balance, if the vendor has a share.
    pub(super) fn vendor(&self, vendor: &VendorId) -> Result<VendorBalance, PaymentSplitError> {
        self.vendors
            .get(vendor)
            .copied()
            .ok_or_else(|| PaymentSplitError::UnknownVendor {
                vendor: vendor.clone(),
            })
    }

    /// A positive amount in the payment's currency.
    pub(super) fn check_amount(&self, amount: Money) -> Result<(), PaymentSplitError> {
        self.totals.captured.same_currency(amount)?;
        if amount.amount() <= 0 {
            return Err(PaymentSplitError::NonPositiveAmount);
        }
        Ok(())
    }

    /// Every event after `SplitComputed`.
    pub(super) fn apply(&mut self, event: PaymentSplitEvent) {
        use PaymentSplitEvent as E;
        match event {
            E::PayoutScheduled {
                vendor, balance, ..
            }
            | E::HoldLifted {
                vendor, balance, ..
            }
            | E::VendorDebtIncurred {
                vendor, balance, ..
            }
            | E::VendorDebtRecovered {
                vendor, balance, ..
            } => {
                self.vendors.insert(vendor, balance);
            }
            E::RefundRecorded {
                refund_id,
                vendors,
                totals,
                ..
            } => {
                self.refunds.insert(refund_id);
                self.assign(vendors, totals);
            }
            E::ChargebackRecorded {
                chargeback_id,
                vendors,
                totals,
                ..
            } => {
                self.chargebacks.insert(chargeback_id);
                self.assign(vendors, totals);
            }
            event => self.apply_payout(event),
        }
    }

    /// `PayoutReleased` and `PayoutFailed`: the payout's record and the balance.
    fn apply_payout(&mut self, event: PaymentSplitEvent) {
        use PaymentSplitEvent as E;
        match event {
            E::PayoutReleased {
                vendor,
                payout_id,
                amount,
                balance,
                ..
            } => {
                let record = PayoutRecord {
                    vendor: vendor.clone(),
                    amount,
                    failed: false,
                };
                self.payouts.insert(payout_id, record);
                self.vendors.insert(vendor, balance);
            }
            E::PayoutFailed {
                vendor,
                payout_id,
                balance,
                ..
            } => {
                self.payouts
                    .entry(payout_id)
                    .and_modify(|record| record.failed = true);
                self.vendors.insert(vendor, balance);
            }
            _ => {}
        }
    }

    fn assign(&mut self, vendors: Vec<VendorReturn>, totals: SplitTotals) {
        for line in vendors {
            self.vendors.insert(line.vendor, line.balance);
        }
        self.totals = totals;
    }
}
