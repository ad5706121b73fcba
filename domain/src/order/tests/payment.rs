//! ConfirmPayment and ExpirePayment.

use super::event::{CancelledVendorOrder, ReleasedLine};
use super::*;

fn cancel_b() -> OrderCommand {
    OrderCommand::CancelVendorOrder {
        vendor: vendor_b(),
        reason: "out of stock".to_owned(),
        at: minutes(2),
    }
}

fn expire(at: DateTime<Utc>) -> OrderCommand {
    OrderCommand::ExpirePayment { at }
}

fn released(line_no: u32, sku: &str, warehouse: &str, quantity: u32) -> ReleasedLine {
    ReleasedLine {
        line_no,
        sku: Sku::parse(sku).unwrap(),
        warehouse: WarehouseId::parse(warehouse).unwrap(),
        quantity,
        refund_amount: zero(),
    }
}

fn late_payment(amount: Money) -> OrderCommand {
    OrderCommand::ConfirmPayment {
        payment_id: payment("pay-late"),
        amount,
        at: minutes(45),
    }
}

#[test]
fn the_exact_amount_pays_every_vendor_order() {
    order()
        .given(vec![placed()])
        .when(pay(eur(2_250)))
        .then_expect_events(vec![paid()]);
}

#[test]
fn a_payment_of_the_wrong_amount_is_rejected() {
    order()
        .given(vec![placed()])
        .when(pay(eur(2_249)))
        .then_expect_error(OrderError::PaymentAmountMismatch {
            expected: eur(2_250),
            found: eur(2_249),
        });
}

#[test]
fn a_payment_in_the_wrong_currency_is_rejected() {
    let usd = Currency::parse("USD").unwrap();
    order()
        .given(vec![placed()])
        .when(pay(Money::new(2_250, usd)))
        .then_expect_error(OrderError::PaymentCurrencyMismatch {
            expected: Currency::parse("EUR").unwrap(),
            found: usd,
        });
}

#[test]
fn a_zero_or_negative_payment_is_rejected() {
    for amount in [0, -2_250] {
        order()
            .given(vec![placed()])
            .when(pay(eur(amount)))
            .then_expect_error(OrderError::NonPositivePayment);
    }
}

#[test]
fn a_payment_id_seen_before_is_rejected() {
    order()
        .given(vec![placed(), paid()])
        .when(pay(eur(2_250)))
        .then_expect_error(OrderError::PaymentAlreadyRecorded {
            payment_id: payment("pay-1"),
        });
}

#[test]
fn a_vendor_cancelled_before_payment_is_not_paid_for() {
    let history = run(vec![placed()], vec![cancel_b()]);
    let events = order()
        .given(history)
        .when(pay(eur(1_050)))
        .inspect_result()
        .unwrap();
    let [OrderEvent::PaymentConfirmed {
        vendor_gross,
        order_status,
        ..
    }] = events.as_slice()
    else {
        panic!("{events:?}")
    };
    assert_eq!(
        vendor_gross,
        &[VendorGross {
            vendor: vendor_a(),
            subtotal: eur(1_050)
        }]
    );
    assert_eq!(*order_status, OrderStatus::Paid);
}

#[test]
fn a_second_capture_of_a_paid_order_is_recorded_for_refund() {
    order()
        .given(vec![placed(), paid()])
        .when(late_payment(eur(2_250)))
        .then_expect_events(vec![OrderEvent::DuplicatePaymentReceived {
            payment_id: payment("pay-late"),
            amount: eur(2_250),
            refund_due: eur(2_250),
            received_at: minutes(45),
            order_status: OrderStatus::Paid,
        }]);
}

#[test]
fn payment_after_expiry_is_recorded_for_refund() {
    let history = run(vec![placed()], vec![expire(minutes(30))]);
    order()
        .given(history)
        .when(late_payment(eur(2_250)))
        .then_expect_events(vec![OrderEvent::PaymentReceivedAfterClose {
            payment_id: payment("pay-late"),
            amount: eur(2_250),
            refund_due: eur(2_250),
            received_at: minutes(45),
            order_status: OrderStatus::PaymentExpired,
        }]);
}

#[test]
fn payment_after_cancellation_is_refunded_whatever_its_amount() {
    let cancel = OrderCommand::CancelOrder {
        reason: "changed my mind".to_owned(),
        at: minutes(1),
    };
    let history = run(vec![placed()], vec![cancel]);
    order()
        .given(history)
        .when(late_payment(eur(999)))
        .then_expect_events(vec![OrderEvent::PaymentReceivedAfterClose {
            payment_id: payment("pay-late"),
            amount: eur(999),
            refund_due: eur(999),
            received_at: minutes(45),
            order_status: OrderStatus::Cancelled,
        }]);
}

#[test]
fn a_payment_after_the_deadline_but_before_expiry_still_pays() {
    let command = OrderCommand::ConfirmPayment {
        payment_id: payment("pay-1"),
        amount: eur(2_250),
        at: minutes(31),
    };
    let events = order()
        .given(vec![placed()])
        .when(command)
        .inspect_result()
        .unwrap();
    assert!(matches!(
        events.as_slice(),
        [OrderEvent::PaymentConfirmed { .. }]
    ));
}

#[test]
fn expiry_releases_every_line_of_every_live_vendor_order() {
    let payment_expired = OrderEvent::PaymentExpired {
        expired_at: minutes(30),
        payment_due_at: minutes(30),
        vendor_orders: vec![
            CancelledVendorOrder {
                vendor: vendor_a(),
                lines: vec![
                    released(1, "sku-1", "wh-1", 3),
                    released(3, "sku-3", "wh-1", 2),
                ],
                refund_amount: zero(),
            },
            CancelledVendorOrder {
                vendor: vendor_b(),
                lines: vec![released(2, "sku-2", "wh-2", 1)],
                refund_amount: zero(),
            },
        ],
        vendor_order_status: VendorOrderStatus::Cancelled,
        order_status: OrderStatus::PaymentExpired,
    };
    order()
        .given(vec![placed()])
        .when(expire(minutes(30)))
        .then_expect_events(vec![payment_expired]);
}

#[test]
fn expiry_skips_vendor_orders_cancelled_before() {
    let history = run(vec![placed()], vec![cancel_b()]);
    let events = order()
        .given(history)
        .when(expire(minutes(30)))
        .inspect_result()
        .unwrap();
    let [OrderEvent::PaymentExpired { vendor_orders, .. }] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(
        vendor_orders.iter().map(|v| &v.vendor).collect::<Vec<_>>(),
        [&vendor_a()]
    );
}

#[test]
fn expiry_before_the_deadline_is_too_early() {
    order()
        .given(vec![placed()])
        .when(expire(minutes(29)))
        .then_expect_error(OrderError::PaymentNotDue { due: minutes(30) });
}

#[test]
fn expiry_of_a_paid_order_is_rejected() {
    order()
        .given(vec![placed(), paid()])
        .when(expire(minutes(30)))
        .then_expect_error(OrderError::AlreadyPaid);
}

#[test]
fn expiry_of_a_closed_order_is_rejected() {
    let history = run(vec![placed()], vec![expire(minutes(30))]);
    order()
        .given(history)
        .when(expire(minutes(31)))
        .then_expect_error(OrderError::OrderClosed);
}
