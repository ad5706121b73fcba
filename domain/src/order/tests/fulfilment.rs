//! PackVendorOrder, ShipVendorOrder, ConfirmDelivery, AutoConfirmDelivery and
//! CompleteVendorOrder.

use super::event::ShippedLine;
use super::*;

fn packed_a() -> Vec<OrderEvent> {
    run(vec![placed(), paid()], vec![pack(vendor_a())])
}

fn shipped_a() -> Vec<OrderEvent> {
    run(packed_a(), vec![ship_all_of_a()])
}

fn auto_confirm(at: DateTime<Utc>) -> OrderCommand {
    OrderCommand::AutoConfirmDelivery {
        vendor: vendor_a(),
        at,
    }
}

fn complete(vendor: VendorId) -> OrderCommand {
    OrderCommand::CompleteVendorOrder {
        vendor,
        at: days(20),
    }
}

fn transition(from: VendorOrderStatus, to: VendorOrderStatus) -> OrderError {
    OrderError::InvalidTransition {
        vendor: vendor_a(),
        from,
        to,
    }
}

#[test]
fn packing_a_paid_vendor_order_leaves_the_order_paid() {
    order()
        .given(vec![placed(), paid()])
        .when(pack(vendor_a()))
        .then_expect_events(vec![OrderEvent::VendorOrderPacked {
            vendor: vendor_a(),
            packed_at: days(1),
            vendor_order_status: VendorOrderStatus::Packed,
            order_status: OrderStatus::Paid,
        }]);
}

#[test]
fn packing_before_payment_is_rejected() {
    order()
        .given(vec![placed()])
        .when(pack(vendor_a()))
        .then_expect_error(OrderError::NotPaid { vendor: vendor_a() });
}

#[test]
fn packing_twice_is_rejected() {
    let error = transition(VendorOrderStatus::Packed, VendorOrderStatus::Packed);
    order()
        .given(packed_a())
        .when(pack(vendor_a()))
        .then_expect_error(error);
}

#[test]
fn a_partial_shipment_leaves_the_rest_to_ship_and_no_deadline() {
    order()
        .given(packed_a())
        .when(ship(vendor_a(), vec![(1, 2)], days(2)))
        .then_expect_events(vec![OrderEvent::VendorOrderShipped {
            vendor: vendor_a(),
            tracking: "TRK-1".to_owned(),
            lines: vec![ShippedLine {
                line_no: 1,
                quantity: 2,
                shipped_total: 2,
            }],
            shipped_at: days(2),
            auto_confirm_at: None,
            vendor_order_status: VendorOrderStatus::PartiallyShipped,
            order_status: OrderStatus::PartiallyShipped,
        }]);
}

#[test]
fn the_parcel_that_completes_the_shipment_starts_the_auto_confirm_clock() {
    let history = run(packed_a(), vec![ship(vendor_a(), vec![(1, 2)], days(2))]);
    order()
        .given(history)
        .when(ship(vendor_a(), vec![(1, 1), (3, 2)], days(3)))
        .then_expect_events(vec![OrderEvent::VendorOrderShipped {
            vendor: vendor_a(),
            tracking: "TRK-1".to_owned(),
            lines: vec![
                ShippedLine {
                    line_no: 1,
                    quantity: 1,
                    shipped_total: 3,
                },
                ShippedLine {
                    line_no: 3,
                    quantity: 2,
                    shipped_total: 2,
                },
            ],
            shipped_at: days(3),
            auto_confirm_at: Some(days(17)),
            vendor_order_status: VendorOrderStatus::Shipped,
            order_status: OrderStatus::PartiallyShipped,
        }]);
}

#[test]
fn the_order_is_shipped_when_every_vendor_order_is() {
    let history = run(shipped_a(), vec![pack(vendor_b())]);
    let events = order()
        .given(history)
        .when(ship(vendor_b(), vec![(2, 1)], days(2)))
        .inspect_result()
        .unwrap();
    assert_eq!(events[0].order_status(), OrderStatus::Shipped);
}

#[test]
fn shipping_more_than_ordered_is_rejected() {
    let history = run(packed_a(), vec![ship(vendor_a(), vec![(1, 2)], days(2))]);
    order()
        .given(history)
        .when(ship(vendor_a(), vec![(1, 2)], days(3)))
        .then_expect_error(OrderError::ShipsMoreThanOrdered {
            line_no: 1,
            ordered: 3,
            shipped: 4,
        });
}

#[test]
fn shipping_before_packing_is_rejected() {
    let error = transition(VendorOrderStatus::Paid, VendorOrderStatus::Shipped);
    order()
        .given(vec![placed(), paid()])
        .when(ship_all_of_a())
        .then_expect_error(error);
}

#[test]
fn a_shipment_needs_tracking_and_distinct_known_lines_with_valid_quantities() {
    let blank_tracking = OrderCommand::ShipVendorOrder {
        vendor: vendor_a(),
        tracking: " ".to_owned(),
        lines: vec![(1, 1)],
        at: days(2),
    };
    let cases = [
        (blank_tracking, OrderError::InvalidTracking),
        (ship(vendor_a(), vec![], days(2)), OrderError::NoLines),
        (
            ship(vendor_a(), vec![(1, 1), (1, 1)], days(2)),
            OrderError::DuplicateLine { line_no: 1 },
        ),
        (
            ship(vendor_a(), vec![(2, 1)], days(2)),
            OrderError::UnknownLine {
                vendor: vendor_a(),
                line_no: 2,
            },
        ),
        (
            ship(vendor_a(), vec![(1, 0)], days(2)),
            OrderError::InvalidQuantity {
                line_no: 1,
                quantity: 0,
            },
        ),
    ];
    for (command, error) in cases {
        order()
            .given(packed_a())
            .when(command)
            .then_expect_error(error);
    }
}

#[test]
fn a_deadline_beyond_the_calendar_is_rejected() {
    let command = ship(vendor_a(), vec![(1, 3), (3, 2)], DateTime::<Utc>::MAX_UTC);
    order()
        .given(packed_a())
        .when(command)
        .then_expect_error(OrderError::DeadlineOutOfRange);
}

#[test]
fn the_buyer_confirms_delivery_of_a_shipped_vendor_order() {
    order()
        .given(shipped_a())
        .when(confirm_delivery(vendor_a()))
        .then_expect_events(vec![OrderEvent::VendorOrderDelivered {
            vendor: vendor_a(),
            delivered_at: days(4),
            confirmed_by: DeliveryConfirmation::Buyer,
            vendor_order_status: VendorOrderStatus::Delivered,
            order_status: OrderStatus::PartiallyDelivered,
        }]);
}

#[test]
fn a_partly_shipped_vendor_order_cannot_be_delivered() {
    let history = run(packed_a(), vec![ship(vendor_a(), vec![(1, 2)], days(2))]);
    let error = transition(
        VendorOrderStatus::PartiallyShipped,
        VendorOrderStatus::Delivered,
    );
    order()
        .given(history)
        .when(confirm_delivery(vendor_a()))
        .then_expect_error(error);
}

#[test]
fn delivery_is_auto_confirmed_at_the_deadline() {
    order()
        .given(shipped_a())
        .when(auto_confirm(days(16)))
        .then_expect_events(vec![OrderEvent::VendorOrderDelivered {
            vendor: vendor_a(),
            delivered_at: days(16),
            confirmed_by: DeliveryConfirmation::Automatic,
            vendor_order_status: VendorOrderStatus::Delivered,
            order_status: OrderStatus::PartiallyDelivered,
        }]);
}

#[test]
fn auto_confirm_before_the_deadline_is_too_early() {
    order()
        .given(shipped_a())
        .when(auto_confirm(days(16) - TimeDelta::seconds(1)))
        .then_expect_error(OrderError::DeliveryNotDue {
            vendor: vendor_a(),
            due: days(16),
        });
}

#[test]
fn auto_confirm_after_the_buyer_confirmed_is_rejected() {
    order()
        .given(delivered_a())
        .when(auto_confirm(days(16)))
        .then_expect_error(OrderError::AlreadyDelivered { vendor: vendor_a() });
}

#[test]
fn completing_a_delivered_vendor_order_releases_its_subtotal() {
    order()
        .given(delivered_a())
        .when(complete(vendor_a()))
        .then_expect_events(vec![OrderEvent::VendorOrderCompleted {
            vendor: vendor_a(),
            subtotal: eur(1_050),
            refunded: zero(),
            releasable: eur(1_050),
            completed_at: days(20),
            vendor_order_status: VendorOrderStatus::Completed,
            order_status: OrderStatus::PartiallyDelivered,
        }]);
}

#[test]
fn the_order_completes_with_its_last_vendor_order() {
    let history = run(
        delivered_a(),
        vec![
            pack(vendor_b()),
            ship(vendor_b(), vec![(2, 1)], days(2)),
            confirm_delivery(vendor_b()),
            complete(vendor_a()),
        ],
    );
    let events = order()
        .given(history)
        .when(complete(vendor_b()))
        .inspect_result()
        .unwrap();
    assert_eq!(events[0].order_status(), OrderStatus::Completed);
}

#[test]
fn completing_before_delivery_is_rejected() {
    let error = transition(VendorOrderStatus::Shipped, VendorOrderStatus::Completed);
    order()
        .given(shipped_a())
        .when(complete(vendor_a()))
        .then_expect_error(error);
}
