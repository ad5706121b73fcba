//! SchedulePayout and ReleasePayout, on the worked example of `docs/domain.md`
//! (vendor-a nets 54.00, vendor-b 36.00).

use super::*;
use crate::money::MoneyError;

fn schedule(id: &str, hours: i64) -> PaymentSplitCommand {
    PaymentSplitCommand::SchedulePayout {
        vendor: vendor(id),
        hold_until: at(hours),
        at: at(1),
    }
}

fn release(id: &str, payout_id: &str, amount: i64, hours: i64) -> PaymentSplitCommand {
    PaymentSplitCommand::ReleasePayout {
        vendor: vendor(id),
        payout_id: payout(payout_id),
        amount: Some(eur(amount)),
        at: at(hours),
    }
}

fn a_scheduled() -> VendorBalance {
    VendorBalance {
        hold: Hold::Scheduled { until: at(24) },
        ..a_fresh()
    }
}

pub(super) fn a_lifted() -> VendorBalance {
    VendorBalance {
        held: eur(0),
        available: eur(5_400),
        hold: Hold::Lifted { until: at(24) },
        ..a_fresh()
    }
}

/// vendor-a's hold ends at hour 24.
pub(super) fn scheduled() -> Vec<PaymentSplitEvent> {
    vec![
        worked_example(),
        PaymentSplitEvent::PayoutScheduled {
            vendor: vendor("vendor-a"),
            hold_until: at(24),
            balance: a_scheduled(),
            at: at(1),
        },
    ]
}

/// vendor-a was paid `amount` in payout `po-1` at hour 24.
pub(super) fn paid(amount: i64) -> Vec<PaymentSplitEvent> {
    let mut events = scheduled();
    events.push(PaymentSplitEvent::HoldLifted {
        vendor: vendor("vendor-a"),
        amount: eur(5_400),
        balance: a_lifted(),
        at: at(24),
    });
    events.push(PaymentSplitEvent::PayoutReleased {
        vendor: vendor("vendor-a"),
        payout_id: payout("po-1"),
        amount: eur(amount),
        balance: VendorBalance {
            available: eur(5_400 - amount),
            paid_out: eur(amount),
            ..a_lifted()
        },
        at: at(24),
    });
    events
}

#[test]
fn scheduling_a_payout_records_the_end_of_the_hold() {
    framework()
        .given(vec![worked_example()])
        .when(schedule("vendor-a", 24))
        .then_expect_events(scheduled()[1..].to_vec());
}

#[test]
fn scheduling_again_before_the_lift_moves_the_date() {
    framework()
        .given(scheduled())
        .when(schedule("vendor-a", 48))
        .then_expect_events(vec![PaymentSplitEvent::PayoutScheduled {
            vendor: vendor("vendor-a"),
            hold_until: at(48),
            balance: VendorBalance {
                hold: Hold::Scheduled { until: at(48) },
                ..a_fresh()
            },
            at: at(1),
        }]);
}

#[test]
fn scheduling_again_with_the_same_date_writes_nothing() {
    framework()
        .given(scheduled())
        .when(schedule("vendor-a", 24))
        .then_expect_events(vec![]);
}

#[test]
fn scheduling_after_the_hold_was_lifted_is_rejected() {
    framework()
        .given(paid(1_000))
        .when(schedule("vendor-a", 72))
        .then_expect_error(PaymentSplitError::HoldAlreadyLifted {
            vendor: vendor("vendor-a"),
        });
}

#[test]
fn scheduling_for_a_vendor_outside_the_split_is_rejected() {
    framework()
        .given(vec![worked_example()])
        .when(schedule("vendor-z", 24))
        .then_expect_error(PaymentSplitError::UnknownVendor {
            vendor: vendor("vendor-z"),
        });
}

#[test]
fn the_first_release_after_the_hold_lifts_it_and_pays_out() {
    framework()
        .given(scheduled())
        .when(release("vendor-a", "po-1", 2_000, 24))
        .then_expect_events(paid(2_000)[2..].to_vec());
}

#[test]
fn a_later_release_pays_from_what_is_still_available() {
    framework()
        .given(paid(2_000))
        .when(release("vendor-a", "po-2", 3_400, 30))
        .then_expect_events(vec![PaymentSplitEvent::PayoutReleased {
            vendor: vendor("vendor-a"),
            payout_id: payout("po-2"),
            amount: eur(3_400),
            balance: VendorBalance {
                available: eur(0),
                paid_out: eur(5_400),
                ..a_lifted()
            },
            at: at(30),
        }]);
}

#[test]
fn a_release_before_the_end_of_the_hold_is_too_early() {
    framework()
        .given(scheduled())
        .when(release("vendor-a", "po-1", 2_000, 23))
        .then_expect_error(PaymentSplitError::TooEarly {
            vendor: vendor("vendor-a"),
            hold_until: at(24),
        });
}

#[test]
fn a_release_without_a_scheduled_payout_is_rejected() {
    framework()
        .given(scheduled())
        .when(release("vendor-b", "po-1", 2_000, 24))
        .then_expect_error(PaymentSplitError::PayoutNotScheduled {
            vendor: vendor("vendor-b"),
        });
}

#[test]
fn a_payout_above_the_available_balance_is_rejected() {
    framework()
        .given(scheduled())
        .when(release("vendor-a", "po-1", 5_401, 24))
        .then_expect_error(PaymentSplitError::ExceedsAvailable {
            available: eur(5_400),
        });
}

#[test]
fn a_release_when_everything_was_paid_out_says_nothing_is_available() {
    framework()
        .given(paid(5_400))
        .when(release("vendor-a", "po-2", 1, 30))
        .then_expect_error(PaymentSplitError::NothingAvailable {
            vendor: vendor("vendor-a"),
        });
}

#[test]
fn a_reused_payout_id_is_rejected_even_for_another_vendor() {
    let mut given = paid(1_000);
    given.push(PaymentSplitEvent::PayoutScheduled {
        vendor: vendor("vendor-b"),
        hold_until: at(24),
        balance: VendorBalance {
            hold: Hold::Scheduled { until: at(24) },
            ..b_fresh()
        },
        at: at(1),
    });
    framework()
        .given(given)
        .when(release("vendor-b", "po-1", 1_000, 30))
        .then_expect_error(PaymentSplitError::DuplicatePayout {
            payout_id: payout("po-1"),
        });
}

#[test]
fn a_zero_payout_is_rejected() {
    framework()
        .given(scheduled())
        .when(release("vendor-a", "po-1", 0, 24))
        .then_expect_error(PaymentSplitError::NonPositiveAmount);
}

#[test]
fn a_payout_in_another_currency_is_rejected() {
    let command = PaymentSplitCommand::ReleasePayout {
        vendor: vendor("vendor-a"),
        payout_id: payout("po-1"),
        amount: Some(money(100, "USD")),
        at: at(24),
    };
    framework()
        .given(scheduled())
        .when(command)
        .then_expect_error(PaymentSplitError::Money(MoneyError::CurrencyMismatch {
            expected: Currency::parse("EUR").unwrap(),
            found: Currency::parse("USD").unwrap(),
        }));
}

#[test]
fn a_release_without_an_amount_pays_everything_available() {
    let mut everything = paid(5_400);
    if let Some(PaymentSplitEvent::PayoutReleased { payout_id, .. }) = everything.last_mut() {
        *payout_id = payout("po-all");
    }
    let command = PaymentSplitCommand::ReleasePayout {
        vendor: vendor("vendor-a"),
        payout_id: payout("po-all"),
        amount: None,
        at: at(24),
    };
    framework()
        .given(scheduled())
        .when(command)
        .then_expect_events(everything[2..].to_vec());
}
