//! ComputeSplit: the worked examples of `docs/domain.md`, rounding, currencies with 0
//! and 3 decimals, order-level adjustments, and every rejection.

use cqrs_es::{Aggregate, DomainEvent};

use super::*;
use crate::money::MoneyError;

#[test]
fn worked_example_gives_fees_of_6_and_4_and_nets_of_54_and_36() {
    framework()
        .given_no_previous_events()
        .when(compute(
            eur(10_000),
            1_000,
            &[("vendor-a", eur(6_000)), ("vendor-b", eur(4_000))],
        ))
        .then_expect_events(vec![worked_example()]);
}

#[test]
fn the_fee_on_6_45_at_30_percent_is_rounded_once_and_the_net_is_the_exact_rest() {
    // 193.5 cents of fee round half up to 194; the vendor gets the other 451
    framework()
        .given_no_previous_events()
        .when(compute(eur(645), 3_000, &[("vendor-a", eur(645))]))
        .then_expect_events(vec![computed(
            eur(645),
            3_000,
            vec![line("vendor-a", eur(645), 645, 194, 451)],
        )]);
}

#[test]
fn each_vendor_fee_is_rounded_on_its_own_and_everything_sums_to_the_cent() {
    // 4.30 and 2.15 at 30 %: fees 1.29 and 0.645 -> 0.65; 1.29 + 0.65 + 3.01 + 1.50 = 6.45
    framework()
        .given_no_previous_events()
        .when(compute(
            eur(645),
            3_000,
            &[("vendor-a", eur(430)), ("vendor-b", eur(215))],
        ))
        .then_expect_events(vec![computed(
            eur(645),
            3_000,
            vec![
                line("vendor-a", eur(430), 430, 129, 301),
                line("vendor-b", eur(215), 215, 65, 150),
            ],
        )]);
}

#[test]
fn a_yen_split_rounds_fees_to_whole_yen() {
    // 3.5 % of 700 is 24.5 -> 25, of 300 is 10.5 -> 11
    let jpy = |a| money(a, "JPY");
    framework()
        .given_no_previous_events()
        .when(compute(
            jpy(1_000),
            350,
            &[("vendor-a", jpy(700)), ("vendor-b", jpy(300))],
        ))
        .then_expect_events(vec![computed(
            jpy(1_000),
            350,
            vec![
                line("vendor-a", jpy(700), 700, 25, 675),
                line("vendor-b", jpy(300), 300, 11, 289),
            ],
        )]);
}

#[test]
fn a_dinar_split_keeps_three_decimals() {
    // 12.345 KWD; 2.5 % of 2.345 is 0.058625 -> 0.059
    let kwd = |a| money(a, "KWD");
    framework()
        .given_no_previous_events()
        .when(compute(
            kwd(12_345),
            250,
            &[("vendor-a", kwd(10_000)), ("vendor-b", kwd(2_345))],
        ))
        .then_expect_events(vec![computed(
            kwd(12_345),
            250,
            vec![
                line("vendor-a", kwd(10_000), 10_000, 250, 9_750),
                line("vendor-b", kwd(2_345), 2_345, 59, 2_286),
            ],
        )]);
}

#[test]
fn a_discount_is_spread_by_largest_remainder_and_a_tie_goes_to_the_lower_vendor_id() {
    // 1.99 over two gross amounts of 1.00: 99.5 cents each, the odd cent to
    // vendor-a although vendor-b is listed first
    framework()
        .given_no_previous_events()
        .when(compute(
            eur(199),
            1_000,
            &[("vendor-b", eur(100)), ("vendor-a", eur(100))],
        ))
        .then_expect_events(vec![computed(
            eur(199),
            1_000,
            vec![
                line("vendor-b", eur(100), 99, 10, 89),
                line("vendor-a", eur(100), 100, 10, 90),
            ],
        )]);
}

#[test]
fn shipping_raises_each_share_in_proportion_to_gross() {
    framework()
        .given_no_previous_events()
        .when(compute(
            eur(10_500),
            1_000,
            &[("vendor-a", eur(6_000)), ("vendor-b", eur(4_000))],
        ))
        .then_expect_events(vec![computed(
            eur(10_500),
            1_000,
            vec![
                line("vendor-a", eur(6_000), 6_300, 630, 5_670),
                line("vendor-b", eur(4_000), 4_200, 420, 3_780),
            ],
        )]);
}

#[test]
fn computing_the_split_twice_is_rejected() {
    framework()
        .given(vec![worked_example()])
        .when(compute(eur(10_000), 1_000, &[("vendor-a", eur(10_000))]))
        .then_expect_error(PaymentSplitError::AlreadyComputed);
}

#[test]
fn a_split_without_vendors_is_rejected() {
    framework()
        .given_no_previous_events()
        .when(compute(eur(10_000), 1_000, &[]))
        .then_expect_error(PaymentSplitError::NoVendors);
}

#[test]
fn a_vendor_listed_twice_is_rejected() {
    framework()
        .given_no_previous_events()
        .when(compute(
            eur(10_000),
            1_000,
            &[("vendor-a", eur(6_000)), ("vendor-a", eur(4_000))],
        ))
        .then_expect_error(PaymentSplitError::DuplicateVendor {
            vendor: vendor("vendor-a"),
        });
}

#[test]
fn a_vendor_with_zero_gross_is_rejected() {
    framework()
        .given_no_previous_events()
        .when(compute(
            eur(10_000),
            1_000,
            &[("vendor-a", eur(10_000)), ("vendor-b", eur(0))],
        ))
        .then_expect_error(PaymentSplitError::NonPositiveGross {
            vendor: vendor("vendor-b"),
        });
}

#[test]
fn a_zero_capture_is_rejected() {
    framework()
        .given_no_previous_events()
        .when(compute(eur(0), 1_000, &[("vendor-a", eur(10_000))]))
        .then_expect_error(PaymentSplitError::NonPositiveAmount);
}

#[test]
fn a_gross_in_another_currency_is_rejected() {
    let found = Currency::parse("USD").unwrap();
    framework()
        .given_no_previous_events()
        .when(compute(
            eur(10_000),
            1_000,
            &[("vendor-a", money(10_000, "USD"))],
        ))
        .then_expect_error(PaymentSplitError::Money(MoneyError::CurrencyMismatch {
            expected: Currency::parse("EUR").unwrap(),
            found,
        }));
}

#[test]
fn commands_before_the_split_are_rejected() {
    let commands = [
        PaymentSplitCommand::SchedulePayout {
            vendor: vendor("vendor-a"),
            hold_until: at(1),
            at: at(0),
        },
        PaymentSplitCommand::ReleasePayout {
            vendor: vendor("vendor-a"),
            payout_id: payout("po-1"),
            amount: Some(eur(1)),
            at: at(0),
        },
        PaymentSplitCommand::RecordRefund {
            refund_id: refund("re-1"),
            amount: eur(1),
            allocation: None,
            at: at(0),
        },
        PaymentSplitCommand::RecordChargeback {
            chargeback_id: chargeback("dp-1"),
            amount: eur(1),
            at: at(0),
        },
        PaymentSplitCommand::RecordPayoutFailed {
            vendor: vendor("vendor-a"),
            payout_id: payout("po-1"),
            reason: PayoutFailureReason::Declined,
            at: at(0),
        },
    ];
    for command in commands {
        framework()
            .given_no_previous_events()
            .when(command)
            .then_expect_error(PaymentSplitError::NotComputed);
    }
}

#[test]
fn the_state_survives_a_snapshot_round_trip() {
    let mut split = PaymentSplit::default();
    split.apply(worked_example());
    let json = serde_json::to_string(&split).unwrap();
    assert_eq!(serde_json::from_str::<PaymentSplit>(&json).unwrap(), split);
    assert_eq!(split.balance(&vendor("vendor-b")), Some(&b_fresh()));
    assert_eq!(split.totals().map(|t| t.platform_fee), Some(eur(1_000)));
    assert_eq!(split.fee_rate(), Some(rate(1_000)));
    assert_eq!(split.order().map(AsRef::as_ref), Some("order-1"));
    assert_eq!(split.payment_id().map(AsRef::as_ref), Some("pay-1"));
}

#[test]
fn event_types_are_the_variant_names_at_version_1_0() {
    let event = worked_example();
    assert_eq!(event.event_type(), "SplitComputed");
    assert_eq!(event.event_version(), "1.0");
    assert_eq!(PaymentSplit::TYPE, "PaymentSplit");
}
