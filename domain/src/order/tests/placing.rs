//! PlaceOrder.

use super::*;
use crate::money::MoneyError;

#[test]
fn placing_groups_lines_by_vendor_in_order_of_first_appearance() {
    order()
        .given_no_previous_events()
        .when(place())
        .then_expect_events(vec![placed()]);
}

#[test]
fn placing_twice_is_rejected() {
    order()
        .given(vec![placed()])
        .when(place())
        .then_expect_error(OrderError::AlreadyPlaced);
}

#[test]
fn commands_before_placing_are_rejected() {
    order()
        .given_no_previous_events()
        .when(pay(eur(2_250)))
        .then_expect_error(OrderError::NotPlaced);
    order()
        .given_no_previous_events()
        .when(pack(vendor_a()))
        .then_expect_error(OrderError::NotPlaced);
}

#[test]
fn an_empty_cart_is_rejected() {
    order()
        .given_no_previous_events()
        .when(place_with(vec![]))
        .then_expect_error(OrderError::EmptyOrder);
}

#[test]
fn a_cart_over_the_line_limit_is_rejected() {
    let lines = vec![line_input(vendor_a(), 1, "Basil", 1, eur(150)); MAX_LINES + 1];
    order()
        .given_no_previous_events()
        .when(place_with(lines))
        .then_expect_error(OrderError::TooManyLines { max: MAX_LINES });
}

#[test]
fn a_title_with_a_nul_or_another_control_character_is_rejected() {
    for title in ["Apples\u{0}", "bell\u{7}", "esc\u{1b}[31m"] {
        let mut lines = cart();
        lines[1].title = title.to_owned();
        order()
            .given_no_previous_events()
            .when(place_with(lines))
            .then_expect_error(OrderError::InvalidTitle { line_no: 2 });
    }
}

#[test]
fn a_blank_or_over_long_title_is_rejected() {
    for title in ["  ", &"x".repeat(201)] {
        let mut lines = cart();
        lines[1].title = title.to_owned();
        order()
            .given_no_previous_events()
            .when(place_with(lines))
            .then_expect_error(OrderError::InvalidTitle { line_no: 2 });
    }
    let mut lines = cart();
    lines[1].title = "é".repeat(200);
    assert!(order()
        .given_no_previous_events()
        .when(place_with(lines))
        .inspect_result()
        .is_ok());
}

#[test]
fn a_quantity_outside_the_limits_is_rejected() {
    for quantity in [0, MAX_QUANTITY + 1] {
        let mut lines = cart();
        lines[2].quantity = quantity;
        order()
            .given_no_previous_events()
            .when(place_with(lines))
            .then_expect_error(OrderError::InvalidQuantity {
                line_no: 3,
                quantity,
            });
    }
}

#[test]
fn a_zero_or_negative_unit_price_is_rejected() {
    for price in [0, -1] {
        let mut lines = cart();
        lines[0].unit_price = eur(price);
        order()
            .given_no_previous_events()
            .when(place_with(lines))
            .then_expect_error(OrderError::InvalidUnitPrice { line_no: 1 });
    }
}

#[test]
fn a_unit_price_in_another_currency_is_rejected() {
    let jpy = Currency::parse("JPY").unwrap();
    let mut lines = cart();
    lines[1].unit_price = Money::new(1_200, jpy);
    order()
        .given_no_previous_events()
        .when(place_with(lines))
        .then_expect_error(OrderError::LineCurrencyMismatch {
            line_no: 2,
            expected: Currency::parse("EUR").unwrap(),
            found: jpy,
        });
}

#[test]
fn a_payment_deadline_not_after_checkout_is_rejected() {
    let OrderCommand::PlaceOrder {
        buyer,
        currency,
        fee_rate,
        lines,
        ..
    } = place()
    else {
        unreachable!()
    };
    let command = OrderCommand::PlaceOrder {
        buyer,
        currency,
        fee_rate,
        lines,
        payment_due_at: t0(),
        at: t0(),
    };
    order()
        .given_no_previous_events()
        .when(command)
        .then_expect_error(OrderError::PaymentDueBeforePlacement);
}

#[test]
fn a_line_total_that_overflows_is_rejected() {
    let mut lines = cart();
    lines[0].unit_price = eur(i64::MAX / 2);
    order()
        .given_no_previous_events()
        .when(place_with(lines))
        .then_expect_error(OrderError::Money(MoneyError::Overflow));
}

#[test]
fn a_total_that_overflows_is_rejected() {
    let lines = vec![
        line_input(vendor_a(), 1, "Gold", 1, eur(i64::MAX)),
        line_input(vendor_b(), 2, "Silver", 1, eur(1)),
    ];
    order()
        .given_no_previous_events()
        .when(place_with(lines))
        .then_expect_error(OrderError::Money(MoneyError::Overflow));
}

#[test]
fn zero_decimal_currencies_are_whole_units() {
    let jpy = Currency::parse("JPY").unwrap();
    let lines = vec![line_input(
        vendor_a(),
        1,
        "Matcha",
        3,
        Money::new(1_080, jpy),
    )];
    let OrderCommand::PlaceOrder {
        buyer,
        fee_rate,
        payment_due_at,
        at,
        ..
    } = place()
    else {
        unreachable!()
    };
    let command = OrderCommand::PlaceOrder {
        buyer,
        currency: jpy,
        fee_rate,
        lines,
        payment_due_at,
        at,
    };
    let events = order()
        .given_no_previous_events()
        .when(command)
        .inspect_result()
        .unwrap();
    let [OrderEvent::OrderPlaced { total, .. }] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(*total, Money::new(3_240, jpy));
}

#[test]
fn the_aggregate_type_and_event_types_are_stable() {
    use cqrs_es::{Aggregate, DomainEvent};
    assert_eq!(Order::TYPE, "Order");
    assert_eq!(placed().event_type(), "OrderPlaced");
    assert_eq!(paid().event_type(), "PaymentConfirmed");
    assert_eq!(paid().event_version(), "1.0");
}

#[test]
fn events_and_state_survive_json() {
    let history = delivered_a();
    for event in &history {
        let json = serde_json::to_string(event).unwrap();
        assert_eq!(&serde_json::from_str::<OrderEvent>(&json).unwrap(), event);
    }
    let state = rebuild(&history);
    let json = serde_json::to_string(&state).unwrap();
    assert_eq!(serde_json::from_str::<Order>(&json).unwrap(), state);
    assert_eq!(state.status(), Some(OrderStatus::PartiallyDelivered));
}
