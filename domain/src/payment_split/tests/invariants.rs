//! Property tests: random splits and random command sequences, with the
//! module's invariants checked on the state rebuilt from the events after
//! every command (rejections are fine and write nothing).

use proptest::prelude::*;

use super::*;

const CURRENCIES: [&str; 3] = ["EUR", "JPY", "KWD"];

/// One random command, with indexes into small pools of vendors and ids so
/// that duplicates and unknown ids happen.
#[derive(Debug, Clone)]
enum Op {
    Schedule {
        vendor: usize,
        hold: i64,
    },
    Release {
        vendor: usize,
        payout: usize,
        size: Size,
        at: i64,
    },
    Refund {
        id: usize,
        size: Size,
        allocation: Option<(usize, i64)>,
    },
    Chargeback {
        id: usize,
        size: Size,
    },
    /// `vendor: None` names the payout's own vendor.
    Fail {
        vendor: Option<usize>,
        payout: usize,
    },
}

/// An amount: raw minor units (often too much, so rejections happen), or a
/// percentage of what the state can take (the vendor's held and available
/// money for a payout, what remains of the payment for a refund).
#[derive(Debug, Clone, Copy)]
enum Size {
    Raw(i64),
    Percent(i64),
}

fn size() -> impl Strategy<Value = Size> {
    prop_oneof![
        (1i64..=6_000).prop_map(Size::Raw),
        (1i64..=100).prop_map(Size::Percent)
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (0..4usize, 0..48i64).prop_map(|(vendor, hold)| Op::Schedule { vendor, hold }),
        4 => (0..4usize, 0..6usize, size(), 0..72i64).prop_map(|(vendor, payout, size, at)| Op::Release { vendor, payout, size, at }),
        2 => (0..6usize, size(), proptest::option::of((0..4usize, 0..6_000i64)))
            .prop_map(|(id, size, allocation)| Op::Refund { id, size, allocation }),
        1 => (0..3usize, size()).prop_map(|(id, size)| Op::Chargeback { id, size }),
        2 => (proptest::option::of(0..4usize), 0..6usize).prop_map(|(vendor, payout)| Op::Fail { vendor, payout }),
    ]
}

/// The split to start from: 1 to 4 vendors, a captured amount from half to
/// one and a half times their gross, any fee rate, EUR, JPY or KWD.
fn split() -> impl Strategy<Value = PaymentSplitCommand> {
    (
        0..3usize,
        proptest::collection::vec(1i64..=5_000, 1..=4),
        50i64..=150,
        0i64..=99,
        0u32..=10_000,
    )
        .prop_map(|(currency, gross, percent, jitter, bps)| {
            let currency = Currency::parse(CURRENCIES[currency]).unwrap();
            let total: i64 = gross.iter().sum();
            let captured = (total * percent / 100 + jitter).max(1);
            PaymentSplitCommand::ComputeSplit {
                order: OrderId::parse("order-1").unwrap(),
                payment_id: PaymentId::parse("pay-1").unwrap(),
                captured: Money::new(captured, currency),
                fee_rate: rate(bps),
                vendors: gross
                    .iter()
                    .enumerate()
                    .map(|(i, g)| (vendor_no(i), Money::new(*g, currency)))
                    .collect(),
                at: at(0),
            }
        })
}

fn vendor_no(index: usize) -> VendorId {
    vendor(&format!("vendor-{index}"))
}

fn resolve(size: Size, base: i64) -> i64 {
    match size {
        Size::Raw(amount) => amount,
        Size::Percent(percent) => (base * percent / 100).max(1),
    }
}

fn command(op: Op, state: &Split) -> PaymentSplitCommand {
    let currency = state.totals.captured.currency();
    let m = |amount| Money::new(amount, currency);
    let pick = |index: usize| vendor_no(index % state.vendors.len());
    let remaining = state.totals.remaining.amount();
    match op {
        Op::Schedule { vendor, hold } => PaymentSplitCommand::SchedulePayout {
            vendor: pick(vendor),
            hold_until: at(hold),
            at: at(0),
        },
        Op::Release {
            vendor,
            payout: p,
            size,
            at: hours,
        } => {
            let payable = state.vendors[&pick(vendor)].held.amount()
                + state.vendors[&pick(vendor)].available.amount();
            let amount = m(resolve(size, payable));
            PaymentSplitCommand::ReleasePayout {
                vendor: pick(vendor),
                payout_id: payout(&format!("po-{p}")),
                amount: Some(amount),
                at: at(hours),
            }
        }
        Op::Refund {
            id,
            size,
            allocation,
        } => {
            let amount = resolve(size, remaining);
            let allocation = allocation.map(|(first, part)| {
                let part = part.min(amount);
                if state.vendors.len() == 1 {
                    vec![(pick(first), m(amount))]
                } else {
                    vec![(pick(first), m(part)), (pick(first + 1), m(amount - part))]
                }
            });
            PaymentSplitCommand::RecordRefund {
                refund_id: refund(&format!("re-{id}")),
                amount: m(amount),
                allocation,
                at: at(60),
            }
        }
        Op::Chargeback { id, size } => PaymentSplitCommand::RecordChargeback {
            chargeback_id: chargeback(&format!("dp-{id}")),
            amount: m(resolve(size, remaining)),
            at: at(60),
        },
        Op::Fail { vendor, payout: p } => {
            let payout_id = payout(&format!("po-{p}"));
            let own = state
                .payouts
                .get(&payout_id)
                .map(|record| record.vendor.clone());
            let vendor = vendor.map(pick).or(own).unwrap_or_else(|| pick(0));
            PaymentSplitCommand::RecordPayoutFailed {
                vendor,
                payout_id,
                reason: PayoutFailureReason::CouldNotProcess,
                at: at(70),
            }
        }
    }
}

fn check_vendor(balance: &VendorBalance, payouts: i64) -> Result<(), TestCaseError> {
    let b = balance;
    for amount in [
        b.allocated,
        b.fee,
        b.net,
        b.fee_refunded,
        b.net_refunded,
        b.held,
        b.available,
        b.paid_out,
        b.debt,
    ] {
        prop_assert!(amount.amount() >= 0, "negative amount in {b:?}");
    }
    prop_assert_eq!(b.fee.amount() + b.net.amount(), b.allocated.amount());
    prop_assert!(
        b.fee_refunded.amount() <= b.fee.amount() && b.net_refunded.amount() <= b.net.amount()
    );
    prop_assert!(b.fee_refunded.amount() + b.net_refunded.amount() <= b.allocated.amount());
    prop_assert_eq!(
        b.held.amount() + b.available.amount() + b.paid_out.amount(),
        b.net.amount() - b.net_refunded.amount() + b.debt.amount(),
        "bookkeeping identity broken in {:?}",
        b
    );
    prop_assert!(b.debt.amount() <= b.paid_out.amount());
    prop_assert!(b.debt.amount() == 0 || (b.held.amount() == 0 && b.available.amount() == 0));
    prop_assert_eq!(
        b.paid_out.amount(),
        payouts,
        "paid_out is not the sum of payouts that did not fail"
    );
    Ok(())
}

fn check(state: &PaymentSplit) -> Result<(), TestCaseError> {
    let split = state.split.as_ref().expect("the split was computed");
    let t = split.totals;
    prop_assert_eq!(
        t.remaining.amount(),
        t.captured.amount() - t.refunded.amount() - t.charged_back.amount()
    );
    let sum = |f: fn(&VendorBalance) -> i64| split.vendors.values().map(f).sum::<i64>();
    prop_assert_eq!(sum(|b| b.allocated.amount()), t.captured.amount());
    prop_assert_eq!(sum(|b| b.fee.amount()), t.platform_fee.amount());
    prop_assert_eq!(
        sum(|b| b.fee_refunded.amount()),
        t.platform_fee_refunded.amount()
    );
    prop_assert_eq!(
        sum(
            |b| b.net.amount() - b.net_refunded.amount() + b.fee.amount() - b.fee_refunded.amount()
        ),
        t.remaining.amount()
    );
    for (vendor, balance) in &split.vendors {
        let payouts = split
            .payouts
            .values()
            .filter(|p| &p.vendor == vendor && !p.failed)
            .map(|p| p.amount.amount())
            .sum();
        check_vendor(balance, payouts)?;
    }
    Ok(())
}

fn rebuild(history: &[PaymentSplitEvent]) -> PaymentSplit {
    let mut state = PaymentSplit::default();
    for event in history {
        state.apply(event.clone());
    }
    state
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn every_step_keeps_the_money_exact_and_no_balance_negative(
        compute in split(),
        ops in proptest::collection::vec(op(), 1..=25),
    ) {
        let mut history = framework().given_no_previous_events().when(compute).inspect_result().unwrap();
        let mut state = rebuild(&history);
        check(&state)?;
        for op in ops {
            let cmd = command(op, state.split.as_ref().expect("the split was computed"));
            if let Ok(events) = framework().given(history.clone()).when(cmd).inspect_result() {
                history.extend(events);
            }
            state = rebuild(&history);
            check(&state)?;
        }
    }
}
