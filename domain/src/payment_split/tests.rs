//! Tests of the PaymentSplit aggregate: the shared helpers here, the
//! given/when/then tests per command and the property tests in `tests/`.

mod chargebacks;
mod compute;
mod invariants;
mod payout_failures;
mod payouts;
mod refund_rejections;
mod refunds;

use chrono::{DateTime, Duration, TimeZone, Utc};
use cqrs_es::test::TestFramework;

use super::*;
use crate::ids::{PayoutId, RefundId};
use crate::money::Currency;

pub(super) fn framework() -> TestFramework<PaymentSplit> {
    TestFramework::with(())
}

pub(super) fn money(amount: i64, code: &str) -> Money {
    Money::new(amount, Currency::parse(code).unwrap())
}

pub(super) fn eur(amount: i64) -> Money {
    money(amount, "EUR")
}

pub(super) fn vendor(id: &str) -> VendorId {
    VendorId::parse(id).unwrap()
}

pub(super) fn payout(id: &str) -> PayoutId {
    PayoutId::parse(id).unwrap()
}

pub(super) fn refund(id: &str) -> RefundId {
    RefundId::parse(id).unwrap()
}

pub(super) fn chargeback(id: &str) -> ChargebackId {
    ChargebackId::parse(id).unwrap()
}

/// `hours` after 2026-01-01T00:00Z.
pub(super) fn at(hours: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::hours(hours)
}

pub(super) fn rate(bps: u32) -> FeeRate {
    FeeRate::from_bps(bps).unwrap()
}

/// A balance right after the split: all of the net held.
pub(super) fn fresh(allocated: Money, fee: Money, net: Money) -> VendorBalance {
    let zero = Money::zero(allocated.currency());
    VendorBalance {
        allocated,
        fee,
        net,
        fee_refunded: zero,
        net_refunded: zero,
        held: net,
        available: zero,
        paid_out: zero,
        debt: zero,
        hold: Hold::Unscheduled,
    }
}

pub(super) fn compute(captured: Money, bps: u32, vendors: &[(&str, Money)]) -> PaymentSplitCommand {
    PaymentSplitCommand::ComputeSplit {
        order: OrderId::parse("order-1").unwrap(),
        payment_id: PaymentId::parse("pay-1").unwrap(),
        captured,
        fee_rate: rate(bps),
        vendors: vendors
            .iter()
            .map(|(v, gross)| (vendor(v), *gross))
            .collect(),
        at: at(0),
    }
}

/// The `SplitComputed` a [`compute`] command with these results writes.
pub(super) fn computed(captured: Money, bps: u32, lines: Vec<VendorSplit>) -> PaymentSplitEvent {
    let platform_fee = Money::new(
        lines.iter().map(|l| l.balance.fee.amount()).sum(),
        captured.currency(),
    );
    PaymentSplitEvent::SplitComputed {
        order: OrderId::parse("order-1").unwrap(),
        payment_id: PaymentId::parse("pay-1").unwrap(),
        captured,
        fee_rate: rate(bps),
        platform_fee,
        vendors: lines,
        totals: SplitTotals::new(captured, platform_fee),
        at: at(0),
    }
}

pub(super) fn line(id: &str, gross: Money, allocated: i64, fee: i64, net: i64) -> VendorSplit {
    let m = |amount| Money::new(amount, gross.currency());
    VendorSplit {
        vendor: vendor(id),
        gross,
        balance: fresh(m(allocated), m(fee), m(net)),
    }
}

/// The worked example of `docs/domain.md`: 100.00 captured, vendor A 60.00, vendor B
/// 40.00, fee 10 %.
pub(super) fn worked_example() -> PaymentSplitEvent {
    computed(
        eur(10_000),
        1_000,
        vec![
            line("vendor-a", eur(6_000), 6_000, 600, 5_400),
            line("vendor-b", eur(4_000), 4_000, 400, 3_600),
        ],
    )
}

pub(super) fn a_fresh() -> VendorBalance {
    fresh(eur(6_000), eur(600), eur(5_400))
}

pub(super) fn b_fresh() -> VendorBalance {
    fresh(eur(4_000), eur(400), eur(3_600))
}
