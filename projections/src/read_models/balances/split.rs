//! What each `PaymentSplit` event writes.

use bazaar_domain::money::FeeRate;
use bazaar_domain::payment_split::{
    DebtCause, PaymentSplitEvent, PayoutFailureReason, SplitTotals, VendorBalance, VendorReturn,
    VendorSplit,
};
use chrono::{DateTime, Utc};

use super::ledger::{self, Entry, Kind};
use super::rows::Rows;
use super::write::{self, Payment};
use super::Stamp;
use crate::projection::ApplyError;

/// Applies one event of the order's payment split.
pub(super) fn apply(
    rows: &mut Rows,
    stamp: Stamp<'_>,
    event: PaymentSplitEvent,
) -> Result<(), ApplyError> {
    use PaymentSplitEvent as E;
    match &event {
        E::SplitComputed { .. } => split_computed(rows, stamp, &event),
        E::RefundRecorded {
            refund_id,
            vendors,
            totals,
            at,
            ..
        } => {
            let taken = Taken::new(Kind::Refund, refund_id.as_ref(), "refund", *at);
            returned(rows, stamp, &taken, vendors, totals);
            Ok(())
        }
        E::ChargebackRecorded {
            chargeback_id,
            vendors,
            totals,
            at,
            ..
        } => {
            let taken = Taken::new(Kind::Chargeback, chargeback_id.as_ref(), "chargeback", *at);
            returned(rows, stamp, &taken, vendors, totals);
            Ok(())
        }
        _ => {
            let Some((vendor, balance, entry)) = one_vendor(&event) else {
                return Ok(());
            };
            assign(rows, stamp, vendor, balance, entry);
            Ok(())
        }
    }
}

/// The vendor, balance and ledger entry of an event about one vendor.
fn one_vendor(event: &PaymentSplitEvent) -> Option<(&str, &VendorBalance, Option<Entry<'_>>)> {
    use PaymentSplitEvent as E;
    let (vendor, balance, entry) = match event {
        E::PayoutScheduled {
            vendor, balance, ..
        }
        | E::HoldLifted {
            vendor, balance, ..
        } => (vendor, balance, None),
        E::PayoutReleased {
            vendor,
            payout_id,
            amount,
            balance,
            at,
        } => {
            let entry = Entry::debit(vendor.as_ref(), Kind::Payout, *amount, *at);
            (vendor, balance, Some(entry.reference(payout_id)))
        }
        E::VendorDebtIncurred {
            vendor,
            amount,
            cause,
            balance,
            at,
        } => {
            let (detail, reference) = match cause {
                DebtCause::Refund { refund_id } => ("refund", refund_id.as_ref()),
                DebtCause::Chargeback { chargeback_id } => ("chargeback", chargeback_id.as_ref()),
            };
            let entry = Entry::debit(vendor.as_ref(), Kind::DebtIncurred, *amount, *at);
            (
                vendor,
                balance,
                Some(entry.reference(reference).detail(detail)),
            )
        }
        E::PayoutFailed {
            vendor,
            payout_id,
            amount,
            reason,
            balance,
            at,
        } => {
            let entry = Entry::credit(vendor.as_ref(), Kind::PayoutFailed, *amount, *at);
            (
                vendor,
                balance,
                Some(entry.reference(payout_id).detail(failure(*reason))),
            )
        }
        E::VendorDebtRecovered {
            vendor,
            amount,
            payout_id,
            balance,
            at,
        } => {
            let entry = Entry::credit(vendor.as_ref(), Kind::DebtRecovered, *amount, *at);
            (
                vendor,
                balance,
                Some(entry.reference(payout_id).detail("payout_failed")),
            )
        }
        E::SplitComputed { .. } | E::RefundRecorded { .. } | E::ChargebackRecorded { .. } => {
            return None
        }
    };
    Some((vendor.as_ref(), balance, entry))
}

fn bps(rate: FeeRate) -> Result<i32, ApplyError> {
    i32::try_from(rate.bps()).map_err(|e| ApplyError::poison(format!("fee rate: {e}")))
}

/// Assigns one vendor's balance, records its ledger entry if any and
/// recomputes the vendor's totals.
fn assign(
    rows: &mut Rows,
    stamp: Stamp<'_>,
    vendor: &str,
    balance: &VendorBalance,
    entry: Option<Entry<'_>>,
) {
    write::vendor_order(rows, stamp, vendor, balance);
    if let Some(entry) = entry {
        ledger::record(rows, stamp, entry);
    }
}

/// The payment was split: the order's fee row, each vendor's row, and an
/// `earned` and a `fee` entry per vendor.
fn split_computed(
    rows: &mut Rows,
    stamp: Stamp<'_>,
    event: &PaymentSplitEvent,
) -> Result<(), ApplyError> {
    let PaymentSplitEvent::SplitComputed {
        order,
        payment_id,
        fee_rate,
        vendors,
        totals,
        at,
        ..
    } = event
    else {
        return Ok(());
    };
    if order.as_ref() != stamp.order_id {
        let stored = stamp.order_id;
        let reason = format!("split of order {order} stored as {stored}");
        return Err(ApplyError::poison(reason));
    }
    let payment = Payment {
        payment_id: payment_id.as_ref(),
        fee_rate_bps: bps(*fee_rate)?,
        at: *at,
    };
    write::payment(rows, stamp, &payment, totals);
    for line in vendors {
        vendor_split(rows, stamp, &payment, line);
    }
    Ok(())
}

/// One vendor's share of the split: its row and its two entries.
fn vendor_split(rows: &mut Rows, stamp: Stamp<'_>, payment: &Payment<'_>, line: &VendorSplit) {
    let vendor = line.vendor.as_ref();
    let balance = &line.balance;
    write::vendor_order(rows, stamp, vendor, balance);
    let earned = Entry::credit(vendor, Kind::Earned, balance.allocated, payment.at);
    let fee = Entry::debit(vendor, Kind::Fee, balance.fee, payment.at).detail("sale");
    for entry in [earned, fee] {
        ledger::record(rows, stamp, entry.reference(payment.payment_id));
    }
}

/// A refund or chargeback: what the vendors gave back.
struct Taken<'a> {
    /// `Refund` or `Chargeback`.
    kind: Kind,
    /// The refund or chargeback id.
    reference: &'a str,
    /// The `detail` of the fee given back: `refund` or `chargeback`.
    detail: &'static str,
    /// When.
    at: DateTime<Utc>,
}

/// Money went back to the buyer: the order's totals, each vendor's row, a
/// negative entry of the vendor's whole part and a positive `fee` entry of
/// the fee the platform gave back. Debts follow in their own events.
fn returned(
    rows: &mut Rows,
    stamp: Stamp<'_>,
    taken: &Taken<'_>,
    vendors: &[VendorReturn],
    totals: &SplitTotals,
) {
    write::totals(rows, stamp, totals);
    for line in vendors {
        let vendor = line.vendor.as_ref();
        write::vendor_order(rows, stamp, vendor, &line.balance);
        let part = Entry::debit(vendor, taken.kind, line.amount, taken.at);
        let fee = Entry::credit(vendor, Kind::Fee, line.fee_part, taken.at).detail(taken.detail);
        for entry in [part, fee] {
            ledger::record(rows, stamp, entry.reference(taken.reference));
        }
    }
}

impl<'a> Taken<'a> {
    fn new(kind: Kind, reference: &'a str, detail: &'static str, at: DateTime<Utc>) -> Self {
        Self {
            kind,
            reference,
            detail,
            at,
        }
    }
}

fn failure(reason: PayoutFailureReason) -> &'static str {
    match reason {
        PayoutFailureReason::AccountClosed => "account_closed",
        PayoutFailureReason::AccountFrozen => "account_frozen",
        PayoutFailureReason::InvalidAccount => "invalid_account",
        PayoutFailureReason::Declined => "declined",
        PayoutFailureReason::CouldNotProcess => "could_not_process",
    }
}
