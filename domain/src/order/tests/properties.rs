//! Invariants over random command sequences: per line shipped <= ordered,
//! returned <= requested back <= shipped, refunded <= line total; refunds
//! never exceed what was paid; stray captures are refunded in full; the
//! stored order status is always the derivation of the vendor statuses.

use proptest::prelude::*;

use super::*;

/// A command, from small random inputs. Vendors are 0 (A) and 1 (B); lines
/// are picked by index among the vendor's own, with a rare unknown one.
#[derive(Debug, Clone)]
enum Step {
    Pay {
        amount: usize,
        id: u8,
    },
    Expire {
        minutes: i64,
    },
    CancelOrder,
    CancelVendor(u8),
    Pack(u8),
    Ship(u8, Vec<(u8, u32)>),
    Confirm(u8),
    AutoConfirm(u8, i64),
    RequestReturn(u8, Vec<(u8, u32)>),
    ReceiveReturn(u8, Vec<(u8, u32, u32)>),
    Complete(u8),
    /// Ships up to `cap` more units of every line not fully shipped.
    ShipRest(u8, u32),
    /// Asks back up to `cap` units of every line shipped and not asked back.
    ReturnSome(u8, u32),
    /// Receives everything outstanding, up to `damaged` units damaged a line.
    ReceiveAll(u8, u32),
}

/// Mostly 1 to 3, sometimes an invalid 0.
fn quantity() -> impl Strategy<Value = u32> {
    prop_oneof![9 => 1u32..=3, 1 => Just(0u32)]
}

fn step() -> impl Strategy<Value = Step> {
    let lines = || proptest::collection::vec((0u8..8, quantity()), 0..3);
    let receipts = || proptest::collection::vec((0u8..8, quantity(), 0u32..=2), 0..3);
    let amount = prop_oneof![4 => Just(0usize), 1 => 1usize..4];
    prop_oneof![
        6 => (amount, 0u8..3).prop_map(|(amount, id)| Step::Pay { amount, id }),
        1 => (0i64..60).prop_map(|minutes| Step::Expire { minutes }),
        1 => Just(Step::CancelOrder),
        1 => (0u8..2).prop_map(Step::CancelVendor),
        12 => (0u8..2).prop_map(Step::Pack),
        8 => (0u8..2, lines()).prop_map(|(v, lines)| Step::Ship(v, lines)),
        10 => (0u8..2).prop_map(Step::Confirm),
        4 => (0u8..2, 0i64..30).prop_map(|(v, day)| Step::AutoConfirm(v, day)),
        6 => (0u8..2, lines()).prop_map(|(v, lines)| Step::RequestReturn(v, lines)),
        6 => (0u8..2, receipts()).prop_map(|(v, lines)| Step::ReceiveReturn(v, lines)),
        8 => (0u8..2).prop_map(Step::Complete),
        20 => (0u8..2, 1u32..=4).prop_map(|(v, cap)| Step::ShipRest(v, cap)),
        10 => (0u8..2, 1u32..=2).prop_map(|(v, cap)| Step::ReturnSome(v, cap)),
        10 => (0u8..2, 0u32..=2).prop_map(|(v, damaged)| Step::ReceiveAll(v, damaged)),
    ]
}

fn vendor(index: u8) -> VendorId {
    if index == 0 {
        vendor_a()
    } else {
        vendor_b()
    }
}

/// A has lines 1 and 3, B has line 2; index 7 names line 4, which no
/// vendor has.
fn line_of(vendor: u8, index: u8) -> u32 {
    match (vendor, index) {
        (_, 7) => 4,
        (0, i) if i % 2 == 0 => 1,
        (0, _) => 3,
        _ => 2,
    }
}

fn pick(v: u8, lines: Vec<(u8, u32)>) -> Vec<(u32, u32)> {
    lines
        .into_iter()
        .map(|(index, quantity)| (line_of(v, index), quantity))
        .collect()
}

/// Steps that take each vendor order (once paid) to a random stage first:
/// 0 paid, 1 packed, 2 partly shipped, 3 shipped, 4 delivered.
fn head_start(stages: &[u8]) -> Vec<Step> {
    let mut steps = Vec::new();
    for (v, stage) in (0u8..).zip(stages) {
        let wanted = [
            Step::Pack(v),
            Step::ShipRest(v, 1),
            Step::ShipRest(v, 4),
            Step::Confirm(v),
        ];
        steps.extend(wanted.into_iter().take(usize::from(*stage)));
    }
    steps
}

/// `(line_no, units)` for every line of vendor `v` in `state` where
/// `units` (a function of the line) is positive.
fn lines_where(
    state: &Order,
    v: u8,
    units: impl Fn(&super::super::state::Line) -> u32,
) -> Vec<(u32, u32)> {
    let vendor = vendor(v);
    state
        .vendor_orders
        .iter()
        .filter(|vendor_order| vendor_order.vendor == vendor)
        .flat_map(|vendor_order| &vendor_order.lines)
        .map(|line| (line.line_no, units(line)))
        .filter(|(_, units)| *units > 0)
        .collect()
}

/// The command for `step` in `state`. `amounts` are the candidate
/// payments: total, A's and B's subtotals, 1 cent.
fn command(step: Step, state: &Order, amounts: [Money; 4]) -> OrderCommand {
    let reason = || "because".to_owned();
    match step {
        Step::ShipRest(v, cap) => ship(
            vendor(v),
            lines_where(state, v, |line| (line.quantity - line.shipped).min(cap)),
            days(2),
        ),
        Step::ReturnSome(v, cap) => {
            let lines = lines_where(state, v, |line| {
                (line.shipped - line.return_requested).min(cap)
            });
            OrderCommand::RequestReturn {
                vendor: vendor(v),
                lines,
                reason: reason(),
                at: days(5),
            }
        }
        Step::ReceiveAll(v, damaged) => {
            let lines = lines_where(state, v, |line| line.return_requested - line.returned)
                .into_iter()
                .map(|(line_no, received)| ReturnReceipt {
                    line_no,
                    received,
                    damaged: damaged.min(received),
                })
                .collect();
            OrderCommand::ReceiveReturn {
                vendor: vendor(v),
                lines,
                at: days(8),
            }
        }
        Step::Pay { amount, id } => OrderCommand::ConfirmPayment {
            payment_id: payment(&format!("pay-{id}")),
            amount: amounts[amount],
            at: minutes(5),
        },
        Step::Expire { minutes: m } => OrderCommand::ExpirePayment { at: minutes(m) },
        Step::CancelOrder => OrderCommand::CancelOrder {
            reason: reason(),
            at: minutes(10),
        },
        Step::CancelVendor(v) => OrderCommand::CancelVendorOrder {
            vendor: vendor(v),
            reason: reason(),
            at: minutes(10),
        },
        Step::Pack(v) => pack(vendor(v)),
        Step::Ship(v, lines) => ship(vendor(v), pick(v, lines), days(2)),
        Step::Confirm(v) => confirm_delivery(vendor(v)),
        Step::AutoConfirm(v, day) => OrderCommand::AutoConfirmDelivery {
            vendor: vendor(v),
            at: days(day),
        },
        Step::RequestReturn(v, lines) => OrderCommand::RequestReturn {
            vendor: vendor(v),
            lines: pick(v, lines),
            reason: reason(),
            at: days(5),
        },
        Step::ReceiveReturn(v, lines) => {
            let lines = lines
                .into_iter()
                .map(|(index, received, damaged)| ReturnReceipt {
                    line_no: line_of(v, index),
                    received,
                    damaged,
                })
                .collect();
            OrderCommand::ReceiveReturn {
                vendor: vendor(v),
                lines,
                at: days(8),
            }
        }
        Step::Complete(v) => OrderCommand::CompleteVendorOrder {
            vendor: vendor(v),
            at: days(20),
        },
    }
}

/// The invariants on the rebuilt state.
fn check_state(order: &Order) -> Result<(), TestCaseError> {
    let paid = order
        .payment
        .as_ref()
        .map_or(0, |payment| payment.amount.amount());
    let mut refunded = 0;
    for vendor_order in &order.vendor_orders {
        let mut vendor_refunded = 0;
        for line in &vendor_order.lines {
            prop_assert!(line.shipped <= line.quantity);
            prop_assert!(line.returned <= line.return_requested);
            prop_assert!(line.return_requested <= line.shipped);
            prop_assert!((0..=line.line_total.amount()).contains(&line.refunded.amount()));
            vendor_refunded += line.refunded.amount();
        }
        prop_assert_eq!(vendor_order.refunded.amount(), vendor_refunded);
        prop_assert!(vendor_refunded <= vendor_order.subtotal.amount());
        refunded += vendor_refunded;
    }
    prop_assert!(refunded <= paid, "refunded {} of {} paid", refunded, paid);
    prop_assert_eq!(order.status, Some(order.status_after(&[])));
    Ok(())
}

/// The invariants on what the events tell the saga to refund.
fn check_refunds(history: &[OrderEvent]) -> Result<(), TestCaseError> {
    let (mut paid, mut refunds) = (0, 0);
    for event in history {
        match event {
            OrderEvent::PaymentConfirmed { amount, .. } => paid += amount.amount(),
            OrderEvent::OrderCancelled {
                refund_total: refund,
                ..
            }
            | OrderEvent::VendorOrderCancelled {
                refund_amount: refund,
                ..
            }
            | OrderEvent::ReturnReceived {
                refund_total: refund,
                ..
            } => refunds += refund.amount(),
            OrderEvent::PaymentReceivedAfterClose {
                amount, refund_due, ..
            }
            | OrderEvent::DuplicatePaymentReceived {
                amount, refund_due, ..
            } => prop_assert_eq!(amount, refund_due),
            _ => {}
        }
    }
    prop_assert!(refunds <= paid, "refunds {} of {} paid", refunds, paid);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn quantities_and_refunds_stay_within_bounds(
        quantities in proptest::collection::vec(1u32..=4, 3),
        paid_first in prop_oneof![3 => Just(true), 1 => Just(false)],
        stages in proptest::collection::vec(0u8..=4, 2),
        steps in proptest::collection::vec(step(), 1..25),
    ) {
        let mut lines = cart();
        for (line, quantity) in lines.iter_mut().zip(&quantities) {
            line.quantity = *quantity;
        }
        let a = 250 * i64::from(quantities[0]) + 150 * i64::from(quantities[2]);
        let b = 1_200 * i64::from(quantities[1]);
        let amounts = [eur(a + b), eur(a), eur(b), eur(1)];
        let mut start = vec![place_with(lines)];
        if paid_first {
            let at = minutes(5);
            start.push(OrderCommand::ConfirmPayment { payment_id: payment("pay-0"), amount: amounts[0], at });
        }
        let mut history = run(vec![], start);
        for step in head_start(&stages).into_iter().chain(steps) {
            let command = command(step, &rebuild(&history), amounts);
            let result = order().given(history.clone()).when(command).inspect_result();
            if let Ok(events) = result {
                history.extend(events);
            }
            check_state(&rebuild(&history))?;
            check_refunds(&history)?;
        }
    }
}
