//! RecordRefund: spreading, explicit allocations, the fee in proportion
//! and debts after payout, mostly on the worked example of `docs/domain.md`
//! (vendor-a: 60.00 = fee 6.00 + net 54.00; vendor-b: 40.00 = 4.00 + 36.00).

use super::payouts::paid;
use super::*;

pub(super) fn refund_cmd(
    id: &str,
    amount: i64,
    allocation: Option<&[(&str, i64)]>,
) -> PaymentSplitCommand {
    PaymentSplitCommand::RecordRefund {
        refund_id: refund(id),
        amount: eur(amount),
        allocation: allocation
            .map(|parts| parts.iter().map(|(v, a)| (vendor(v), eur(*a))).collect()),
        at: at(40),
    }
}

/// The worked example's totals after returns: (refunded, charged back, fee given back, remaining).
pub(super) fn totals(
    refunded: i64,
    charged_back: i64,
    fee_refunded: i64,
    remaining: i64,
) -> SplitTotals {
    SplitTotals {
        captured: eur(10_000),
        platform_fee: eur(1_000),
        platform_fee_refunded: eur(fee_refunded),
        refunded: eur(refunded),
        charged_back: eur(charged_back),
        remaining: eur(remaining),
    }
}

pub(super) fn returned(
    id: &str,
    amount: i64,
    fee: i64,
    net: i64,
    debt: i64,
    balance: VendorBalance,
) -> VendorReturn {
    VendorReturn {
        vendor: vendor(id),
        amount: eur(amount),
        fee_part: eur(fee),
        net_part: eur(net),
        debt_incurred: eur(debt),
        balance,
    }
}

/// vendor-a was paid all 54.00; then refund `re-1` of 10.00, all from vendor-a.
pub(super) fn refunded_after_payout() -> (Vec<PaymentSplitEvent>, VendorBalance) {
    let owing = VendorBalance {
        fee_refunded: eur(100),
        net_refunded: eur(900),
        held: eur(0),
        available: eur(0),
        paid_out: eur(5_400),
        debt: eur(900),
        hold: Hold::Lifted { until: at(24) },
        ..a_fresh()
    };
    let events = vec![
        PaymentSplitEvent::RefundRecorded {
            refund_id: refund("re-1"),
            amount: eur(1_000),
            vendors: vec![returned("vendor-a", 1_000, 100, 900, 900, owing)],
            totals: totals(1_000, 0, 100, 9_000),
            at: at(40),
        },
        PaymentSplitEvent::VendorDebtIncurred {
            vendor: vendor("vendor-a"),
            amount: eur(900),
            cause: DebtCause::Refund {
                refund_id: refund("re-1"),
            },
            balance: owing,
            at: at(40),
        },
    ];
    (events, owing)
}

#[test]
fn a_refund_without_allocation_is_spread_by_what_each_vendor_has_left() {
    let a = VendorBalance {
        fee_refunded: eur(60),
        net_refunded: eur(540),
        held: eur(4_860),
        ..a_fresh()
    };
    let b = VendorBalance {
        fee_refunded: eur(40),
        net_refunded: eur(360),
        held: eur(3_240),
        ..b_fresh()
    };
    framework()
        .given(vec![worked_example()])
        .when(refund_cmd("re-1", 1_000, None))
        .then_expect_events(vec![PaymentSplitEvent::RefundRecorded {
            refund_id: refund("re-1"),
            amount: eur(1_000),
            vendors: vec![
                returned("vendor-a", 600, 60, 540, 0, a),
                returned("vendor-b", 400, 40, 360, 0, b),
            ],
            totals: totals(1_000, 0, 100, 9_000),
            at: at(40),
        }]);
}

#[test]
fn an_explicit_allocation_is_taken_as_given_and_zero_parts_are_left_out() {
    let b = VendorBalance {
        fee_refunded: eur(100),
        net_refunded: eur(900),
        held: eur(2_700),
        ..b_fresh()
    };
    framework()
        .given(vec![worked_example()])
        .when(refund_cmd(
            "re-1",
            1_000,
            Some(&[("vendor-a", 0), ("vendor-b", 1_000)]),
        ))
        .then_expect_events(vec![PaymentSplitEvent::RefundRecorded {
            refund_id: refund("re-1"),
            amount: eur(1_000),
            vendors: vec![returned("vendor-b", 1_000, 100, 900, 0, b)],
            totals: totals(1_000, 0, 100, 9_000),
            at: at(40),
        }]);
}

#[test]
fn the_fee_is_refunded_in_proportion_and_a_full_refund_returns_it_exactly() {
    // 6.45 at 30 %: fee 1.94, net 4.51. A 1.00 refund: 0.3008 of fee and
    // 0.6992 of net -> 0.30 + 0.70 (the larger remainder takes the odd cent);
    // the remaining 5.45 then returns the exact rest, 1.64 + 3.81.
    let split = computed(
        eur(645),
        3_000,
        vec![line("vendor-a", eur(645), 645, 194, 451)],
    );
    let first = framework()
        .given(vec![split.clone()])
        .when(refund_cmd("re-1", 100, None))
        .inspect_result()
        .unwrap();
    let PaymentSplitEvent::RefundRecorded { vendors, .. } = &first[0] else {
        panic!("{first:?}")
    };
    assert_eq!(
        (vendors[0].fee_part, vendors[0].net_part),
        (eur(30), eur(70))
    );
    let second = framework()
        .given(vec![split, first[0].clone()])
        .when(refund_cmd("re-2", 545, None))
        .inspect_result()
        .unwrap();
    let PaymentSplitEvent::RefundRecorded {
        vendors, totals, ..
    } = &second[0]
    else {
        panic!("{second:?}")
    };
    assert_eq!(
        (vendors[0].fee_part, vendors[0].net_part),
        (eur(164), eur(381))
    );
    assert_eq!(
        (
            vendors[0].balance.fee_refunded,
            vendors[0].balance.net_refunded
        ),
        (eur(194), eur(451))
    );
    assert_eq!(
        (totals.platform_fee_refunded, totals.remaining),
        (eur(194), eur(0))
    );
}

#[test]
fn on_a_tie_between_fee_and_net_the_fee_part_takes_the_odd_unit() {
    // 50 % fee on 1.00: 0.50 fee and 0.50 net left; a 0.01 refund is a tie
    let split = computed(
        eur(100),
        5_000,
        vec![line("vendor-a", eur(100), 100, 50, 50)],
    );
    let events = framework()
        .given(vec![split])
        .when(refund_cmd("re-1", 1, None))
        .inspect_result()
        .unwrap();
    let PaymentSplitEvent::RefundRecorded { vendors, .. } = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!((vendors[0].fee_part, vendors[0].net_part), (eur(1), eur(0)));
}

#[test]
fn a_spread_refund_breaks_a_tie_by_vendor_id() {
    let split = computed(
        eur(200),
        0,
        vec![
            line("vendor-b", eur(100), 100, 0, 100),
            line("vendor-a", eur(100), 100, 0, 100),
        ],
    );
    let events = framework()
        .given(vec![split])
        .when(refund_cmd("re-1", 1, None))
        .inspect_result()
        .unwrap();
    let PaymentSplitEvent::RefundRecorded { vendors, .. } = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(vendors.len(), 1);
    assert_eq!(
        (vendors[0].vendor.as_ref(), vendors[0].amount),
        ("vendor-a", eur(1))
    );
}

#[test]
fn a_refund_after_payout_becomes_an_explicit_vendor_debt() {
    let (expected, _) = refunded_after_payout();
    framework()
        .given(paid(5_400))
        .when(refund_cmd("re-1", 1_000, Some(&[("vendor-a", 1_000)])))
        .then_expect_events(expected);
}

#[test]
fn a_refund_takes_what_is_available_before_it_creates_a_debt() {
    // 50.00 paid out, 4.00 still available; a 20.00 refund has 18.00 of net
    let after = VendorBalance {
        fee_refunded: eur(200),
        net_refunded: eur(1_800),
        held: eur(0),
        available: eur(0),
        paid_out: eur(5_000),
        debt: eur(1_400),
        hold: Hold::Lifted { until: at(24) },
        ..a_fresh()
    };
    framework()
        .given(paid(5_000))
        .when(refund_cmd("re-1", 2_000, Some(&[("vendor-a", 2_000)])))
        .then_expect_events(vec![
            PaymentSplitEvent::RefundRecorded {
                refund_id: refund("re-1"),
                amount: eur(2_000),
                vendors: vec![returned("vendor-a", 2_000, 200, 1_800, 1_400, after)],
                totals: totals(2_000, 0, 200, 8_000),
                at: at(40),
            },
            PaymentSplitEvent::VendorDebtIncurred {
                vendor: vendor("vendor-a"),
                amount: eur(1_400),
                cause: DebtCause::Refund {
                    refund_id: refund("re-1"),
                },
                balance: after,
                at: at(40),
            },
        ]);
}
