//! Decisions about holds and payouts: schedule, release, failure.

use chrono::{DateTime, Utc};

use super::{
    Decision, Hold, PaymentSplitError, PaymentSplitEvent, PayoutFailureReason, Split, VendorBalance,
};
use crate::ids::{PayoutId, VendorId};
use crate::money::Money;

impl Split {
    pub(super) fn schedule_payout(
        &self,
        vendor: VendorId,
        hold_until: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Decision {
        let balance = self.vendor(&vendor)?;
        match balance.hold {
            Hold::Lifted { .. } => Err(PaymentSplitError::HoldAlreadyLifted { vendor }),
            Hold::Scheduled { until } if until == hold_until => Ok(vec![]),
            Hold::Scheduled { .. } | Hold::Unscheduled => {
                let hold = Hold::Scheduled { until: hold_until };
                Ok(vec![PaymentSplitEvent::PayoutScheduled {
                    vendor,
                    hold_until,
                    balance: VendorBalance { hold, ..balance },
                    at,
                }])
            }
        }
    }

    pub(super) fn release_payout(
        &self,
        vendor: VendorId,
        payout_id: PayoutId,
        amount: Option<Money>,
        at: DateTime<Utc>,
    ) -> Decision {
        let balance = self.vendor(&vendor)?;
        if self.payouts.contains_key(&payout_id) {
            return Err(PaymentSplitError::DuplicatePayout { payout_id });
        }
        if let Some(amount) = amount {
            self.check_amount(amount)?;
        }
        let (balance, mut events) = lift_hold_if_due(&vendor, balance, at)?;
        if balance.available.amount() == 0 {
            return Err(PaymentSplitError::NothingAvailable { vendor });
        }
        let amount = amount.unwrap_or(balance.available);
        if amount.amount() > balance.available.amount() {
            return Err(PaymentSplitError::ExceedsAvailable {
                available: balance.available,
            });
        }
        events.push(PaymentSplitEvent::PayoutReleased {
            vendor,
            payout_id,
            amount,
            balance: balance.pay_out(amount)?,
            at,
        });
        Ok(events)
    }

    pub(super) fn record_payout_failed(
        &self,
        vendor: VendorId,
        payout_id: PayoutId,
        reason: PayoutFailureReason,
        at: DateTime<Utc>,
    ) -> Decision {
        let record =
            self.payouts
                .get(&payout_id)
                .ok_or_else(|| PaymentSplitError::UnknownPayout {
                    payout_id: payout_id.clone(),
                })?;
        if record.vendor != vendor {
            return Err(PaymentSplitError::PayoutOfAnotherVendor {
                payout_id,
                vendor: record.vendor.clone(),
            });
        }
        if record.failed {
            return Err(PaymentSplitError::PayoutAlreadyFailed { payout_id });
        }
        let returned = self.vendor(&vendor)?.payout_failed(record.amount)?;
        let (settled, recovered) = returned.recover_debt()?;
        let mut events = vec![PaymentSplitEvent::PayoutFailed {
            vendor: vendor.clone(),
            payout_id: payout_id.clone(),
            amount: record.amount,
            reason,
            balance: returned,
            at,
        }];
        if recovered.amount() > 0 {
            events.push(PaymentSplitEvent::VendorDebtRecovered {
                vendor,
                amount: recovered,
                payout_id,
                balance: settled,
                at,
            });
        }
        Ok(events)
    }
}

/// The balance a release at `at` pays from: the hold lifted first (and a
/// `HoldLifted` event) if it is still on and due.
fn lift_hold_if_due(
    vendor: &VendorId,
    balance: VendorBalance,
    at: DateTime<Utc>,
) -> Result<(VendorBalance, Vec<PaymentSplitEvent>), PaymentSplitError> {
    match balance.hold {
        Hold::Unscheduled => Err(PaymentSplitError::PayoutNotScheduled {
            vendor: vendor.clone(),
        }),
        Hold::Scheduled { until } if at < until => Err(PaymentSplitError::TooEarly {
            vendor: vendor.clone(),
            hold_until: until,
        }),
        Hold::Scheduled { until } => {
            let (lifted, moved) = balance.lift_hold(until)?;
            let event = PaymentSplitEvent::HoldLifted {
                vendor: vendor.clone(),
                amount: moved,
                balance: lifted,
                at,
            };
            Ok((lifted, vec![event]))
        }
        Hold::Lifted { .. } => Ok((balance, Vec::new())),
    }
}
