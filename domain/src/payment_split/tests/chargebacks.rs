//! RecordChargeback, on the worked example of `docs/domain.md`.

use super::payouts::paid;
use super::refunds::{returned, totals};
use super::*;

fn chargeback_cmd(id: &str, amount: i64) -> PaymentSplitCommand {
    PaymentSplitCommand::RecordChargeback {
        chargeback_id: chargeback(id),
        amount: eur(amount),
        at: at(40),
    }
}

#[test]
fn a_chargeback_is_spread_over_vendors_like_a_refund() {
    let a = VendorBalance {
        fee_refunded: eur(300),
        net_refunded: eur(2_700),
        held: eur(2_700),
        ..a_fresh()
    };
    let b = VendorBalance {
        fee_refunded: eur(200),
        net_refunded: eur(1_800),
        held: eur(1_800),
        ..b_fresh()
    };
    framework()
        .given(vec![worked_example()])
        .when(chargeback_cmd("dp-1", 5_000))
        .then_expect_events(vec![PaymentSplitEvent::ChargebackRecorded {
            chargeback_id: chargeback("dp-1"),
            amount: eur(5_000),
            vendors: vec![
                returned("vendor-a", 3_000, 300, 2_700, 0, a),
                returned("vendor-b", 2_000, 200, 1_800, 0, b),
            ],
            totals: totals(0, 5_000, 500, 5_000),
            at: at(40),
        }]);
}

#[test]
fn a_chargeback_after_payout_becomes_an_explicit_vendor_debt() {
    let events = framework()
        .given(paid(5_400))
        .when(chargeback_cmd("dp-1", 10_000))
        .inspect_result()
        .unwrap();
    let debt = PaymentSplitEvent::VendorDebtIncurred {
        vendor: vendor("vendor-a"),
        amount: eur(5_400),
        cause: DebtCause::Chargeback {
            chargeback_id: chargeback("dp-1"),
        },
        balance: VendorBalance {
            fee_refunded: eur(600),
            net_refunded: eur(5_400),
            held: eur(0),
            available: eur(0),
            paid_out: eur(5_400),
            debt: eur(5_400),
            hold: Hold::Lifted { until: at(24) },
            ..a_fresh()
        },
        at: at(40),
    };
    assert_eq!(events.len(), 2);
    assert_eq!(events[1], debt);
}

#[test]
fn a_reused_chargeback_id_is_rejected() {
    let given = framework()
        .given(vec![worked_example()])
        .when(chargeback_cmd("dp-1", 100))
        .inspect_result()
        .unwrap();
    framework()
        .given([vec![worked_example()], given].concat())
        .when(chargeback_cmd("dp-1", 100))
        .then_expect_error(PaymentSplitError::DuplicateChargeback {
            chargeback_id: chargeback("dp-1"),
        });
}

#[test]
fn a_chargeback_above_what_remains_is_rejected() {
    framework()
        .given(vec![worked_example()])
        .when(chargeback_cmd("dp-1", 10_001))
        .then_expect_error(PaymentSplitError::ExceedsRemaining {
            remaining: eur(10_000),
        });
}

#[test]
fn a_zero_chargeback_is_rejected() {
    framework()
        .given(vec![worked_example()])
        .when(chargeback_cmd("dp-1", 0))
        .then_expect_error(PaymentSplitError::NonPositiveAmount);
}
