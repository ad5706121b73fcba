//! Reserving: first expiry first out, shelf life, all or nothing.

use super::*;

#[test]
fn a_reservation_takes_the_earliest_expiring_batch_first() {
    framework()
        .given(history(vec![
            receive("b1", 5, Some(20)),
            receive("b2", 5, Some(10)),
        ]))
        .when(reserve("r1", 3, 2, 0))
        .then_expect_events(vec![Event::StockReserved {
            sku: sku(),
            warehouse: warehouse(),
            reservation: res("r1"),
            quantity: 3,
            allocations: vec![allocation("b2", 3, Some(10))],
            expires_at: hold_until(),
            ship_on: day(2),
            min_shelf_life_days: 0,
            levels: levels(7, vec![level("b2", Some(10), 5, 3)]),
            at: at(1, 10),
        }]);
}

#[test]
fn a_reservation_spans_batches_in_fefo_order_with_non_perishables_last() {
    let given = history(vec![
        receive("b1", 2, None),
        receive("b2", 2, Some(20)),
        receive("b3", 2, Some(10)),
    ]);
    let events = run(&given, reserve("r1", 5, 2, 0)).unwrap();
    let expected = vec![
        allocation("b3", 2, Some(10)),
        allocation("b2", 2, Some(20)),
        allocation("b1", 1, None),
    ];
    assert_eq!(reserved_allocations(&events), expected);
}

#[test]
fn batches_expiring_the_same_day_are_taken_in_batch_id_order() {
    let given = history(vec![receive("b2", 2, Some(10)), receive("b1", 2, Some(10))]);
    let events = run(&given, reserve("r1", 3, 2, 0)).unwrap();
    assert_eq!(
        reserved_allocations(&events),
        vec![allocation("b1", 2, Some(10)), allocation("b2", 1, Some(10))]
    );
}

#[test]
fn batches_expiring_before_ship_date_plus_shelf_life_are_skipped() {
    // ship on the 4th with 3 days of shelf life: the goods must last until the 7th
    let given = history(vec![receive("b1", 5, Some(6)), receive("b2", 5, Some(7))]);
    let events = run(&given, reserve("r1", 2, 4, 3)).unwrap();
    assert_eq!(
        reserved_allocations(&events),
        vec![allocation("b2", 2, Some(7))]
    );
}

#[test]
fn a_batch_can_ship_on_its_last_good_day() {
    let given = history(vec![receive("b1", 5, Some(4))]);
    let events = run(&given, reserve("r1", 2, 4, 0)).unwrap();
    assert_eq!(
        reserved_allocations(&events),
        vec![allocation("b1", 2, Some(4))]
    );
}

#[test]
fn short_eligible_stock_reserves_nothing_and_says_what_could_be_had() {
    // b1 is too short-lived for the request, b2 has 4 free of 5
    let given = history(vec![
        receive("b1", 9, Some(3)),
        receive("b2", 5, Some(20)),
        reserve("r0", 1, 5, 0),
    ]);
    framework()
        .given(given)
        .when(reserve("r1", 6, 5, 0))
        .then_expect_error(Error::InsufficientStock {
            requested: 6,
            available: 4,
        });
}

#[test]
fn a_stock_that_never_received_a_batch_has_nothing_to_reserve() {
    framework()
        .given_no_previous_events()
        .when(reserve("r1", 1, 2, 0))
        .then_expect_error(Error::InsufficientStock {
            requested: 1,
            available: 0,
        });
}

#[test]
fn reserving_zero_or_more_than_the_maximum_is_rejected() {
    for quantity in [0, MAX_QUANTITY + 1] {
        framework()
            .given(history(vec![receive("b1", 5, None)]))
            .when(reserve("r1", quantity, 2, 0))
            .then_expect_error(Error::InvalidQuantity { quantity });
    }
}

#[test]
fn a_hold_must_end_after_it_is_made() {
    let mut command = reserve("r1", 1, 2, 0);
    if let Command::Reserve { expires_at, .. } = &mut command {
        *expires_at = at(1, 10);
    }
    framework()
        .given(history(vec![receive("b1", 5, None)]))
        .when(command)
        .then_expect_error(Error::HoldExpiryNotInFuture {
            expires_at: at(1, 10),
        });
}

#[test]
fn a_reservation_id_cannot_be_reused() {
    framework()
        .given(history(vec![
            receive("b1", 5, None),
            reserve("r1", 1, 2, 0),
        ]))
        .when(reserve("r1", 1, 2, 0))
        .then_expect_error(Error::ReservationAlreadyExists {
            reservation: res("r1"),
        });
}

#[test]
fn a_ship_date_in_the_past_never_takes_expired_stock() {
    let given = history(vec![receive("b1", 5, Some(3)), receive("b2", 5, Some(9))]);
    let mut command = reserve("r1", 2, 2, 0);
    if let Command::Reserve {
        at: when,
        expires_at,
        ..
    } = &mut command
    {
        (*when, *expires_at) = (at(5, 10), at(5, 11));
    }
    let events = run(&given, command).unwrap();
    assert_eq!(
        reserved_allocations(&events),
        vec![allocation("b2", 2, Some(9))]
    );
}

#[test]
fn a_shelf_life_beyond_the_calendar_only_takes_goods_that_do_not_perish() {
    let given = history(vec![receive("b1", 5, Some(20)), receive("b2", 5, None)]);
    let events = run(&given, reserve("r1", 2, 2, u32::MAX)).unwrap();
    assert_eq!(
        reserved_allocations(&events),
        vec![allocation("b2", 2, None)]
    );
}

#[test]
fn expired_batches_do_not_count_as_available() {
    let stock = state(&history(vec![
        receive("b1", 5, Some(3)),
        receive("b2", 4, None),
        reserve("r1", 1, 2, 0),
    ]));
    assert_eq!(stock.available(day(3)), 8);
    assert_eq!(stock.available(day(4)), 4);
}
