//! CancelOrder and CancelVendorOrder.

use super::event::{CancelledVendorOrder, ReleasedLine};
use super::*;

fn cancel_order() -> OrderCommand {
    OrderCommand::CancelOrder {
        reason: "changed my mind".to_owned(),
        at: minutes(10),
    }
}

fn cancel_vendor(vendor: VendorId) -> OrderCommand {
    OrderCommand::CancelVendorOrder {
        vendor,
        reason: "out of stock".to_owned(),
        at: minutes(10),
    }
}

fn released(line_no: u32, sku: &str, warehouse: &str, quantity: u32, refund: i64) -> ReleasedLine {
    ReleasedLine {
        line_no,
        sku: Sku::parse(sku).unwrap(),
        warehouse: WarehouseId::parse(warehouse).unwrap(),
        quantity,
        refund_amount: eur(refund),
    }
}

#[test]
fn cancelling_a_paid_order_refunds_every_vendor_order() {
    let cancelled = OrderEvent::OrderCancelled {
        reason: "changed my mind".to_owned(),
        cancelled_at: minutes(10),
        vendor_orders: vec![
            CancelledVendorOrder {
                vendor: vendor_a(),
                lines: vec![
                    released(1, "sku-1", "wh-1", 3, 750),
                    released(3, "sku-3", "wh-1", 2, 300),
                ],
                refund_amount: eur(1_050),
            },
            CancelledVendorOrder {
                vendor: vendor_b(),
                lines: vec![released(2, "sku-2", "wh-2", 1, 1_200)],
                refund_amount: eur(1_200),
            },
        ],
        refund_total: eur(2_250),
        vendor_order_status: VendorOrderStatus::Cancelled,
        order_status: OrderStatus::Cancelled,
    };
    order()
        .given(vec![placed(), paid()])
        .when(cancel_order())
        .then_expect_events(vec![cancelled]);
}

#[test]
fn cancelling_an_unpaid_order_refunds_nothing() {
    let events = order()
        .given(vec![placed()])
        .when(cancel_order())
        .inspect_result()
        .unwrap();
    let [OrderEvent::OrderCancelled {
        refund_total,
        vendor_orders,
        ..
    }] = events.as_slice()
    else {
        panic!("{events:?}")
    };
    assert_eq!(*refund_total, zero());
    assert_eq!(vendor_orders.len(), 2);
}

#[test]
fn cancelling_an_order_with_a_packed_vendor_order_is_rejected() {
    let history = run(vec![placed(), paid()], vec![pack(vendor_b())]);
    order()
        .given(history)
        .when(cancel_order())
        .then_expect_error(OrderError::InvalidTransition {
            vendor: vendor_b(),
            from: VendorOrderStatus::Packed,
            to: VendorOrderStatus::Cancelled,
        });
}

#[test]
fn cancelling_a_closed_order_is_rejected() {
    let history = run(vec![placed()], vec![cancel_order()]);
    order()
        .given(history)
        .when(cancel_order())
        .then_expect_error(OrderError::OrderClosed);
}

#[test]
fn a_blank_or_over_long_reason_is_rejected() {
    for reason in ["", &"x".repeat(501)] {
        let command = OrderCommand::CancelOrder {
            reason: reason.to_owned(),
            at: minutes(10),
        };
        order()
            .given(vec![placed()])
            .when(command)
            .then_expect_error(OrderError::InvalidReason);
    }
}

#[test]
fn one_vendor_cancelling_a_paid_order_refunds_its_subtotal_only() {
    let cancelled = OrderEvent::VendorOrderCancelled {
        vendor: vendor_b(),
        reason: "out of stock".to_owned(),
        cancelled_at: minutes(10),
        lines: vec![released(2, "sku-2", "wh-2", 1, 1_200)],
        refund_amount: eur(1_200),
        vendor_order_status: VendorOrderStatus::Cancelled,
        order_status: OrderStatus::Paid,
    };
    order()
        .given(vec![placed(), paid()])
        .when(cancel_vendor(vendor_b()))
        .then_expect_events(vec![cancelled]);
}

#[test]
fn the_other_vendor_order_carries_on_after_one_vendor_cancels() {
    let history = run(
        vec![placed(), paid()],
        vec![cancel_vendor(vendor_b()), pack(vendor_a()), ship_all_of_a()],
    );
    let state = rebuild(&history);
    assert_eq!(state.status(), Some(OrderStatus::Shipped));
}

#[test]
fn one_vendor_cancelling_before_payment_refunds_nothing() {
    let events = order()
        .given(vec![placed()])
        .when(cancel_vendor(vendor_a()))
        .inspect_result()
        .unwrap();
    let [OrderEvent::VendorOrderCancelled {
        refund_amount,
        order_status,
        lines,
        ..
    }] = events.as_slice()
    else {
        panic!("{events:?}")
    };
    assert_eq!(*refund_amount, zero());
    assert_eq!(*order_status, OrderStatus::AwaitingPayment);
    assert!(lines.iter().all(|line| line.refund_amount == zero()));
}

#[test]
fn the_last_vendor_cancelling_cancels_the_order() {
    let history = run(vec![placed(), paid()], vec![cancel_vendor(vendor_b())]);
    let events = order()
        .given(history)
        .when(cancel_vendor(vendor_a()))
        .inspect_result()
        .unwrap();
    let [OrderEvent::VendorOrderCancelled { order_status, .. }] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(*order_status, OrderStatus::Cancelled);
}

#[test]
fn a_vendor_cannot_cancel_twice() {
    let history = run(vec![placed()], vec![cancel_vendor(vendor_b())]);
    order()
        .given(history)
        .when(cancel_vendor(vendor_b()))
        .then_expect_error(OrderError::InvalidTransition {
            vendor: vendor_b(),
            from: VendorOrderStatus::Cancelled,
            to: VendorOrderStatus::Cancelled,
        });
}

#[test]
fn an_unknown_vendor_is_rejected() {
    let stranger = VendorId::parse("v-z").unwrap();
    order()
        .given(vec![placed()])
        .when(cancel_vendor(stranger.clone()))
        .then_expect_error(OrderError::UnknownVendor { vendor: stranger });
}
