//! Every way RecordRefund is rejected, on the worked example of `docs/domain.md`.

use super::payouts::paid;
use super::refunds::{refund_cmd, refunded_after_payout};
use super::*;
use crate::money::MoneyError;

#[test]
fn a_refund_above_what_remains_is_rejected() {
    let (given, _) = refunded_after_payout();
    framework()
        .given([paid(5_400), given].concat())
        .when(refund_cmd("re-2", 9_001, None))
        .then_expect_error(PaymentSplitError::ExceedsRemaining {
            remaining: eur(9_000),
        });
}

#[test]
fn an_allocation_above_what_remains_for_a_vendor_is_rejected() {
    framework()
        .given(vec![worked_example()])
        .when(refund_cmd("re-1", 4_001, Some(&[("vendor-b", 4_001)])))
        .then_expect_error(PaymentSplitError::ExceedsVendorRemaining {
            vendor: vendor("vendor-b"),
            remaining: eur(4_000),
        });
}

#[test]
fn an_allocation_that_does_not_sum_to_the_amount_is_rejected() {
    framework()
        .given(vec![worked_example()])
        .when(refund_cmd(
            "re-1",
            1_000,
            Some(&[("vendor-a", 500), ("vendor-b", 400)]),
        ))
        .then_expect_error(PaymentSplitError::AllocationMismatch {
            allocated: eur(900),
        });
}

#[test]
fn an_allocation_naming_a_vendor_outside_the_split_is_rejected() {
    framework()
        .given(vec![worked_example()])
        .when(refund_cmd("re-1", 1_000, Some(&[("vendor-z", 1_000)])))
        .then_expect_error(PaymentSplitError::UnknownVendor {
            vendor: vendor("vendor-z"),
        });
}

#[test]
fn an_allocation_naming_a_vendor_twice_is_rejected() {
    framework()
        .given(vec![worked_example()])
        .when(refund_cmd(
            "re-1",
            1_000,
            Some(&[("vendor-a", 500), ("vendor-a", 500)]),
        ))
        .then_expect_error(PaymentSplitError::DuplicateVendor {
            vendor: vendor("vendor-a"),
        });
}

#[test]
fn a_negative_allocation_part_is_rejected() {
    framework()
        .given(vec![worked_example()])
        .when(refund_cmd(
            "re-1",
            1_000,
            Some(&[("vendor-a", 1_100), ("vendor-b", -100)]),
        ))
        .then_expect_error(PaymentSplitError::Money(MoneyError::Negative(-100)));
}

#[test]
fn a_reused_refund_id_is_rejected() {
    let (given, _) = refunded_after_payout();
    framework()
        .given([paid(5_400), given].concat())
        .when(refund_cmd("re-1", 100, None))
        .then_expect_error(PaymentSplitError::DuplicateRefund {
            refund_id: refund("re-1"),
        });
}

#[test]
fn a_zero_refund_is_rejected() {
    framework()
        .given(vec![worked_example()])
        .when(refund_cmd("re-1", 0, None))
        .then_expect_error(PaymentSplitError::NonPositiveAmount);
}

#[test]
fn a_refund_in_another_currency_is_rejected() {
    let command = PaymentSplitCommand::RecordRefund {
        refund_id: refund("re-1"),
        amount: money(100, "JPY"),
        allocation: None,
        at: at(40),
    };
    framework()
        .given(vec![worked_example()])
        .when(command)
        .then_expect_error(PaymentSplitError::Money(MoneyError::CurrencyMismatch {
            expected: Currency::parse("EUR").unwrap(),
            found: Currency::parse("JPY").unwrap(),
        }));
}
