//! RequestReturn and ReceiveReturn.

use super::event::{ReturnRequestLine, ReturnedLine};
use super::*;

fn request(lines: Vec<(u32, u32)>) -> OrderCommand {
    OrderCommand::RequestReturn {
        vendor: vendor_a(),
        lines,
        reason: "too ripe".to_owned(),
        at: days(5),
    }
}

fn receive(lines: Vec<ReturnReceipt>) -> OrderCommand {
    OrderCommand::ReceiveReturn {
        vendor: vendor_a(),
        lines,
        at: days(8),
    }
}

fn receipt(line_no: u32, received: u32, damaged: u32) -> ReturnReceipt {
    ReturnReceipt {
        line_no,
        received,
        damaged,
    }
}

/// A delivered, 2 tomatoes and 1 basil requested back.
fn requested() -> Vec<OrderEvent> {
    run(delivered_a(), vec![request(vec![(1, 2), (3, 1)])])
}

#[test]
fn the_buyer_requests_a_return_of_shipped_units() {
    order()
        .given(delivered_a())
        .when(request(vec![(1, 2), (3, 1)]))
        .then_expect_events(vec![OrderEvent::ReturnRequested {
            vendor: vendor_a(),
            reason: "too ripe".to_owned(),
            lines: vec![
                ReturnRequestLine {
                    line_no: 1,
                    quantity: 2,
                    requested_total: 2,
                },
                ReturnRequestLine {
                    line_no: 3,
                    quantity: 1,
                    requested_total: 1,
                },
            ],
            requested_at: days(5),
            vendor_order_status: VendorOrderStatus::Delivered,
            order_status: OrderStatus::PartiallyDelivered,
        }]);
}

#[test]
fn returning_more_than_shipped_is_rejected() {
    let history = run(
        vec![placed(), paid()],
        vec![pack(vendor_a()), ship(vendor_a(), vec![(1, 1)], days(2))],
    );
    order()
        .given(history)
        .when(request(vec![(1, 2)]))
        .then_expect_error(OrderError::ReturnsMoreThanShipped {
            line_no: 1,
            shipped: 1,
            requested: 2,
        });
}

#[test]
fn units_of_a_partial_shipment_can_be_returned() {
    let history = run(
        vec![placed(), paid()],
        vec![pack(vendor_a()), ship(vendor_a(), vec![(1, 1)], days(2))],
    );
    assert!(order()
        .given(history)
        .when(request(vec![(1, 1)]))
        .inspect_result()
        .is_ok());
}

#[test]
fn nothing_can_be_returned_before_shipping_or_after_completion() {
    order()
        .given(vec![placed(), paid()])
        .when(request(vec![(1, 1)]))
        .then_expect_error(OrderError::ReturnNotAllowed {
            vendor: vendor_a(),
            status: VendorOrderStatus::Paid,
        });
    let complete = OrderCommand::CompleteVendorOrder {
        vendor: vendor_a(),
        at: days(20),
    };
    let history = run(delivered_a(), vec![complete]);
    order()
        .given(history)
        .when(request(vec![(1, 1)]))
        .then_expect_error(OrderError::ReturnNotAllowed {
            vendor: vendor_a(),
            status: VendorOrderStatus::Completed,
        });
}

#[test]
fn damaged_returns_are_refunded_but_not_restocked() {
    let received = OrderEvent::ReturnReceived {
        vendor: vendor_a(),
        lines: vec![ReturnedLine {
            line_no: 1,
            sku: Sku::parse("sku-1").unwrap(),
            warehouse: WarehouseId::parse("wh-1").unwrap(),
            received: 2,
            damaged: 1,
            restock_quantity: 1,
            refund_amount: eur(500),
            returned_total: 2,
            refunded_total: eur(500),
        }],
        refund_total: eur(500),
        vendor_refunded_total: eur(500),
        received_at: days(8),
        vendor_order_status: VendorOrderStatus::Delivered,
        order_status: OrderStatus::PartiallyDelivered,
    };
    order()
        .given(requested())
        .when(receive(vec![receipt(1, 2, 1)]))
        .then_expect_events(vec![received]);
}

#[test]
fn receiving_more_than_requested_back_is_rejected() {
    order()
        .given(requested())
        .when(receive(vec![receipt(3, 2, 0)]))
        .then_expect_error(OrderError::ReceivesMoreThanRequested {
            line_no: 3,
            outstanding: 1,
            received: 2,
        });
}

#[test]
fn more_damaged_than_received_is_rejected() {
    order()
        .given(requested())
        .when(receive(vec![receipt(1, 1, 2)]))
        .then_expect_error(OrderError::DamagedExceedsReceived {
            line_no: 1,
            received: 1,
            damaged: 2,
        });
}

#[test]
fn a_receipt_needs_distinct_known_lines_with_units() {
    let cases = [
        (vec![], OrderError::NoLines),
        (
            vec![receipt(1, 1, 0), receipt(1, 1, 0)],
            OrderError::DuplicateLine { line_no: 1 },
        ),
        (
            vec![receipt(2, 1, 0)],
            OrderError::UnknownLine {
                vendor: vendor_a(),
                line_no: 2,
            },
        ),
        (
            vec![receipt(1, 0, 0)],
            OrderError::InvalidQuantity {
                line_no: 1,
                quantity: 0,
            },
        ),
    ];
    for (lines, error) in cases {
        order()
            .given(requested())
            .when(receive(lines))
            .then_expect_error(error);
    }
}

#[test]
fn a_refund_beyond_what_was_paid_is_rejected_even_if_history_says_otherwise() {
    let mut history = requested();
    // a corrupt history in which line 1 was already refunded in full
    history.push(OrderEvent::ReturnReceived {
        vendor: vendor_a(),
        lines: vec![ReturnedLine {
            line_no: 1,
            sku: Sku::parse("sku-1").unwrap(),
            warehouse: WarehouseId::parse("wh-1").unwrap(),
            received: 0,
            damaged: 0,
            restock_quantity: 0,
            refund_amount: eur(750),
            returned_total: 0,
            refunded_total: eur(750),
        }],
        refund_total: eur(750),
        vendor_refunded_total: eur(750),
        received_at: days(6),
        vendor_order_status: VendorOrderStatus::Delivered,
        order_status: OrderStatus::PartiallyDelivered,
    });
    order()
        .given(history)
        .when(receive(vec![receipt(1, 1, 0)]))
        .then_expect_error(OrderError::RefundExceedsPaid { line_no: 1 });
}

#[test]
fn a_vendor_order_with_a_return_in_progress_cannot_complete() {
    let complete = OrderCommand::CompleteVendorOrder {
        vendor: vendor_a(),
        at: days(20),
    };
    order()
        .given(requested())
        .when(complete)
        .then_expect_error(OrderError::ReturnInProgress { vendor: vendor_a() });
}

#[test]
fn completion_after_a_return_releases_the_subtotal_less_refunds() {
    let history = run(
        requested(),
        vec![receive(vec![receipt(1, 2, 1), receipt(3, 1, 0)])],
    );
    let complete = OrderCommand::CompleteVendorOrder {
        vendor: vendor_a(),
        at: days(20),
    };
    let events = order()
        .given(history)
        .when(complete)
        .inspect_result()
        .unwrap();
    let [OrderEvent::VendorOrderCompleted {
        refunded,
        releasable,
        ..
    }] = events.as_slice()
    else {
        panic!("{events:?}")
    };
    assert_eq!((*refunded, *releasable), (eur(650), eur(400)));
}
