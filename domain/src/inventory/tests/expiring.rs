//! A batch expiring while reserved: write-offs, and commits that find an
//! expired batch in their allocation.

use super::*;

/// Like [`reserve`] but held until March 9th (a long B2B hold).
fn long_reserve(name: &str, quantity: u32, ship: u32) -> Command {
    let mut command = reserve(name, quantity, ship, 0);
    if let Command::Reserve { expires_at, .. } = &mut command {
        *expires_at = at(9, 0);
    }
    command
}

fn write_off(name: &str, on: u32) -> Command {
    Command::WriteOffExpiredBatch {
        batch: batch(name),
        on: day(on),
    }
}

#[test]
fn an_unreserved_expired_batch_is_written_off_whole() {
    framework()
        .given(history(vec![
            receive("b1", 5, Some(3)),
            receive("b2", 2, None),
        ]))
        .when(write_off("b1", 4))
        .then_expect_events(vec![Event::ExpiredBatchWrittenOff {
            sku: sku(),
            warehouse: warehouse(),
            batch: batch("b1"),
            expires_on: day(3),
            quantity: 5,
            levels: levels(2, vec![level("b1", Some(3), 0, 0)]),
            on: day(4),
        }]);
}

#[test]
fn held_units_of_an_expired_batch_move_to_another_eligible_batch() {
    let given = history(vec![
        receive("b1", 5, Some(3)),
        receive("b2", 5, Some(10)),
        long_reserve("r1", 4, 2),
    ]);
    framework()
        .given(given)
        .when(write_off("b1", 4))
        .then_expect_events(vec![
            Event::ReservationReallocated {
                sku: sku(),
                warehouse: warehouse(),
                reservation: res("r1"),
                from: vec![allocation("b1", 4, Some(3))],
                to: vec![allocation("b2", 4, Some(10))],
                allocations: vec![allocation("b2", 4, Some(10))],
                levels: levels(
                    1,
                    vec![level("b1", Some(3), 5, 0), level("b2", Some(10), 5, 4)],
                ),
                at: at(4, 0),
            },
            Event::ExpiredBatchWrittenOff {
                sku: sku(),
                warehouse: warehouse(),
                batch: batch("b1"),
                expires_on: day(3),
                quantity: 5,
                levels: levels(1, vec![level("b1", Some(3), 0, 0)]),
                on: day(4),
            },
        ]);
}

#[test]
fn a_hold_that_no_other_batch_can_take_is_released_when_its_batch_expires() {
    let given = history(vec![
        receive("b1", 5, Some(3)),
        receive("b2", 2, Some(10)),
        long_reserve("r1", 4, 2),
    ]);
    let events = run(&given, write_off("b1", 4)).unwrap();
    assert_eq!(
        events[0],
        Event::ReservationReleased {
            sku: sku(),
            warehouse: warehouse(),
            reservation: res("r1"),
            quantity: 4,
            allocations: vec![allocation("b1", 4, Some(3))],
            reason: ReleaseReason::BatchExpired,
            levels: levels(2, vec![level("b1", Some(3), 5, 0)]),
            at: at(4, 0),
        }
    );
    assert!(matches!(
        events[1],
        Event::ExpiredBatchWrittenOff { quantity: 5, .. }
    ));
}

#[test]
fn the_earliest_ship_date_gets_the_fresh_stock_first() {
    let given = history(vec![
        receive("b1", 5, Some(3)),
        receive("b2", 2, Some(10)),
        long_reserve("r1", 2, 3),
        long_reserve("r2", 2, 2),
    ]);
    let events = run(&given, write_off("b1", 4)).unwrap();
    assert!(
        matches!(&events[0], Event::ReservationReallocated { reservation, .. } if *reservation == res("r2"))
    );
    assert!(
        matches!(&events[1], Event::ReservationReleased { reservation, .. } if *reservation == res("r1"))
    );
}

#[test]
fn a_lapsed_hold_on_an_expired_batch_expires_with_it() {
    let given = history(vec![
        receive("b1", 5, Some(3)),
        receive("b2", 5, Some(10)),
        reserve("r1", 4, 2, 0),
    ]);
    let events = run(&given, write_off("b1", 4)).unwrap();
    assert!(matches!(
        &events[0],
        Event::ReservationExpired { reservation, at: when, .. } if *reservation == res("r1") && *when == at(4, 0)
    ));
    assert_eq!(
        state(&[given, events].concat())
            .reservation(&res("r1"))
            .unwrap()
            .status,
        ReservationStatus::Expired
    );
}

#[test]
fn a_write_off_on_or_before_the_last_good_day_is_rejected() {
    framework()
        .given(history(vec![receive("b1", 5, Some(3))]))
        .when(write_off("b1", 3))
        .then_expect_error(Error::BatchNotExpired {
            batch: batch("b1"),
            expires_on: day(3),
        });
}

#[test]
fn a_batch_that_does_not_perish_is_never_written_off() {
    framework()
        .given(history(vec![receive("b1", 5, None)]))
        .when(write_off("b1", 4))
        .then_expect_error(Error::BatchDoesNotPerish { batch: batch("b1") });
}

#[test]
fn a_second_write_off_has_nothing_to_write_off() {
    let mut given = history(vec![receive("b1", 5, Some(3))]);
    given.extend(run(&given, write_off("b1", 4)).unwrap());
    framework()
        .given(given)
        .when(write_off("b1", 5))
        .then_expect_error(Error::NothingToWriteOff { batch: batch("b1") });
}

#[test]
fn a_write_off_of_an_unknown_batch_is_rejected() {
    framework()
        .given(history(vec![receive("b1", 5, Some(3))]))
        .when(write_off("b9", 4))
        .then_expect_error(Error::UnknownBatch { batch: batch("b9") });
}

#[test]
fn a_commit_moves_units_off_an_expired_batch_before_they_leave() {
    let given = history(vec![
        receive("b1", 5, Some(3)),
        receive("b2", 5, Some(10)),
        long_reserve("r1", 4, 2),
    ]);
    framework()
        .given(given)
        .when(commit("r1", at(4, 9)))
        .then_expect_events(vec![
            Event::ReservationReallocated {
                sku: sku(),
                warehouse: warehouse(),
                reservation: res("r1"),
                from: vec![allocation("b1", 4, Some(3))],
                to: vec![allocation("b2", 4, Some(10))],
                allocations: vec![allocation("b2", 4, Some(10))],
                levels: levels(
                    1,
                    vec![level("b1", Some(3), 5, 0), level("b2", Some(10), 5, 4)],
                ),
                at: at(4, 9),
            },
            Event::ReservationCommitted {
                sku: sku(),
                warehouse: warehouse(),
                reservation: res("r1"),
                quantity: 4,
                allocations: vec![allocation("b2", 4, Some(10))],
                levels: levels(1, vec![level("b2", Some(10), 1, 0)]),
                at: at(4, 9),
            },
        ]);
}

#[test]
fn a_commit_is_rejected_when_an_expired_batch_cannot_be_replaced() {
    let given = history(vec![
        receive("b1", 5, Some(3)),
        receive("b2", 2, Some(10)),
        long_reserve("r1", 4, 2),
    ]);
    framework()
        .given(given)
        .when(commit("r1", at(4, 9)))
        .then_expect_error(Error::AllocatedBatchExpired {
            reservation: res("r1"),
            batch: batch("b1"),
        });
}
