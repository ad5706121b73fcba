//! RecordPayoutFailed, on the worked example of `docs/domain.md` after vendor-a was
//! paid.

use super::payouts::{a_lifted, paid};
use super::refunds::refunded_after_payout;
use super::*;

fn fail(id: &str, payout_id: &str) -> PaymentSplitCommand {
    PaymentSplitCommand::RecordPayoutFailed {
        vendor: vendor(id),
        payout_id: payout(payout_id),
        reason: PayoutFailureReason::AccountClosed,
        at: at(50),
    }
}

#[test]
fn a_failed_payout_returns_its_amount_to_the_available_balance() {
    framework()
        .given(paid(2_000))
        .when(fail("vendor-a", "po-1"))
        .then_expect_events(vec![PaymentSplitEvent::PayoutFailed {
            vendor: vendor("vendor-a"),
            payout_id: payout("po-1"),
            amount: eur(2_000),
            reason: PayoutFailureReason::AccountClosed,
            balance: a_lifted(),
            at: at(50),
        }]);
}

#[test]
fn money_back_from_a_failed_payout_first_settles_the_vendors_debt() {
    // all 54.00 paid out, then a 10.00 refund from vendor-a: 9.00 of net is owed
    let (refunded, owing) = refunded_after_payout();
    let given = [paid(5_400), refunded].concat();
    let returned = VendorBalance {
        available: eur(5_400),
        paid_out: eur(0),
        ..owing
    };
    let settled = VendorBalance {
        available: eur(4_500),
        debt: eur(0),
        ..returned
    };
    framework()
        .given(given)
        .when(fail("vendor-a", "po-1"))
        .then_expect_events(vec![
            PaymentSplitEvent::PayoutFailed {
                vendor: vendor("vendor-a"),
                payout_id: payout("po-1"),
                amount: eur(5_400),
                reason: PayoutFailureReason::AccountClosed,
                balance: returned,
                at: at(50),
            },
            PaymentSplitEvent::VendorDebtRecovered {
                vendor: vendor("vendor-a"),
                amount: eur(900),
                payout_id: payout("po-1"),
                balance: settled,
                at: at(50),
            },
        ]);
}

#[test]
fn failure_of_an_unknown_payout_is_rejected() {
    framework()
        .given(paid(2_000))
        .when(fail("vendor-a", "po-9"))
        .then_expect_error(PaymentSplitError::UnknownPayout {
            payout_id: payout("po-9"),
        });
}

#[test]
fn failure_named_for_another_vendor_is_rejected() {
    framework()
        .given(paid(2_000))
        .when(fail("vendor-b", "po-1"))
        .then_expect_error(PaymentSplitError::PayoutOfAnotherVendor {
            payout_id: payout("po-1"),
            vendor: vendor("vendor-a"),
        });
}

#[test]
fn a_payout_cannot_fail_twice() {
    let mut given = paid(2_000);
    given.push(PaymentSplitEvent::PayoutFailed {
        vendor: vendor("vendor-a"),
        payout_id: payout("po-1"),
        amount: eur(2_000),
        reason: PayoutFailureReason::Declined,
        balance: a_lifted(),
        at: at(50),
    });
    framework()
        .given(given)
        .when(fail("vendor-a", "po-1"))
        .then_expect_error(PaymentSplitError::PayoutAlreadyFailed {
            payout_id: payout("po-1"),
        });
}
