//! A reservation's life: extend, commit, release, expire.

use super::*;

/// Five units of b1 (good until the 10th), two of them held by r1 until 10:15.
fn held() -> Vec<Event> {
    history(vec![receive("b1", 5, Some(10)), reserve("r1", 2, 2, 0)])
}

fn extend(until: DateTime<Utc>, when: DateTime<Utc>) -> Command {
    Command::ExtendReservation {
        reservation: res("r1"),
        expires_at: until,
        at: when,
    }
}

#[test]
fn an_extension_moves_the_hold_later() {
    framework()
        .given(held())
        .when(extend(at(1, 12), at(1, 10)))
        .then_expect_events(vec![Event::ReservationExtended {
            sku: sku(),
            warehouse: warehouse(),
            reservation: res("r1"),
            previous_expires_at: hold_until(),
            expires_at: at(1, 12),
            at: at(1, 10),
        }]);
}

#[test]
fn extending_to_the_same_deadline_changes_nothing() {
    framework()
        .given(held())
        .when(extend(hold_until(), at(1, 10)))
        .then_expect_events(vec![]);
}

#[test]
fn an_extension_cannot_move_the_hold_earlier() {
    framework()
        .given(held())
        .when(extend(at(1, 10) + Duration::minutes(5), at(1, 10)))
        .then_expect_error(Error::NotAnExtension {
            reservation: res("r1"),
            expires_at: hold_until(),
        });
}

#[test]
fn an_extension_must_end_after_it_is_made() {
    let mut given = held();
    given.extend(run(&given, extend(at(1, 12), at(1, 10))).unwrap());
    framework()
        .given(given)
        .when(extend(at(1, 11), at(1, 11)))
        .then_expect_error(Error::HoldExpiryNotInFuture {
            expires_at: at(1, 11),
        });
}

#[test]
fn a_lapsed_hold_cannot_be_extended() {
    framework()
        .given(held())
        .when(extend(at(1, 12), at(1, 11)))
        .then_expect_error(Error::ReservationExpired {
            reservation: res("r1"),
            expires_at: hold_until(),
        });
}

#[test]
fn a_committed_reservation_cannot_be_extended() {
    let mut given = held();
    given.extend(run(&given, commit("r1", at(1, 10))).unwrap());
    framework()
        .given(given)
        .when(extend(at(1, 12), at(1, 10)))
        .then_expect_error(Error::ReservationCommitted {
            reservation: res("r1"),
        });
}

#[test]
fn a_released_reservation_cannot_be_extended() {
    let mut given = held();
    given.extend(run(&given, release("r1", at(1, 10))).unwrap());
    framework()
        .given(given)
        .when(extend(at(1, 12), at(1, 10)))
        .then_expect_error(Error::ReservationReleased {
            reservation: res("r1"),
        });
}

#[test]
fn a_commit_takes_the_units_out_of_on_hand_and_reserved() {
    framework()
        .given(held())
        .when(commit("r1", at(1, 10)))
        .then_expect_events(vec![Event::ReservationCommitted {
            sku: sku(),
            warehouse: warehouse(),
            reservation: res("r1"),
            quantity: 2,
            allocations: vec![allocation("b1", 2, Some(10))],
            levels: levels(3, vec![level("b1", Some(10), 3, 0)]),
            at: at(1, 10),
        }]);
}

#[test]
fn committing_twice_succeeds_without_events() {
    let mut given = held();
    given.extend(run(&given, commit("r1", at(1, 10))).unwrap());
    framework()
        .given(given)
        .when(commit("r1", at(1, 11)))
        .then_expect_events(vec![]);
}

#[test]
fn a_commit_after_the_hold_lapsed_is_rejected_even_before_expiry_is_processed() {
    framework()
        .given(held())
        .when(commit("r1", hold_until()))
        .then_expect_error(Error::ReservationExpired {
            reservation: res("r1"),
            expires_at: hold_until(),
        });
}

#[test]
fn a_commit_after_expiry_is_rejected() {
    let mut given = held();
    given.extend(run(&given, expire("r1", at(1, 11))).unwrap());
    framework()
        .given(given)
        .when(commit("r1", at(1, 12)))
        .then_expect_error(Error::ReservationExpired {
            reservation: res("r1"),
            expires_at: hold_until(),
        });
}

#[test]
fn a_commit_after_release_is_rejected() {
    let mut given = held();
    given.extend(run(&given, release("r1", at(1, 10))).unwrap());
    framework()
        .given(given)
        .when(commit("r1", at(1, 10)))
        .then_expect_error(Error::ReservationReleased {
            reservation: res("r1"),
        });
}

#[test]
fn a_commit_of_an_unknown_reservation_is_rejected() {
    framework()
        .given(held())
        .when(commit("r9", at(1, 10)))
        .then_expect_error(Error::UnknownReservation {
            reservation: res("r9"),
        });
}

#[test]
fn a_release_frees_the_held_units() {
    framework()
        .given(held())
        .when(release("r1", at(1, 10)))
        .then_expect_events(vec![Event::ReservationReleased {
            sku: sku(),
            warehouse: warehouse(),
            reservation: res("r1"),
            quantity: 2,
            allocations: vec![allocation("b1", 2, Some(10))],
            reason: ReleaseReason::OrderCancelled,
            levels: levels(5, vec![level("b1", Some(10), 5, 0)]),
            at: at(1, 10),
        }]);
}

#[test]
fn releasing_twice_succeeds_without_events() {
    let mut given = held();
    given.extend(run(&given, release("r1", at(1, 10))).unwrap());
    framework()
        .given(given)
        .when(release("r1", at(1, 11)))
        .then_expect_events(vec![]);
}

#[test]
fn releasing_an_expired_reservation_succeeds_without_events() {
    let mut given = held();
    given.extend(run(&given, expire("r1", at(1, 11))).unwrap());
    framework()
        .given(given)
        .when(release("r1", at(1, 12)))
        .then_expect_events(vec![]);
}

#[test]
fn a_committed_reservation_cannot_be_released() {
    let mut given = held();
    given.extend(run(&given, commit("r1", at(1, 10))).unwrap());
    framework()
        .given(given)
        .when(release("r1", at(1, 11)))
        .then_expect_error(Error::ReservationCommitted {
            reservation: res("r1"),
        });
}

#[test]
fn expiry_at_the_deadline_frees_the_units() {
    framework()
        .given(held())
        .when(expire("r1", hold_until()))
        .then_expect_events(vec![Event::ReservationExpired {
            sku: sku(),
            warehouse: warehouse(),
            reservation: res("r1"),
            quantity: 2,
            allocations: vec![allocation("b1", 2, Some(10))],
            expires_at: hold_until(),
            levels: levels(5, vec![level("b1", Some(10), 5, 0)]),
            at: hold_until(),
        }]);
}

#[test]
fn expiry_before_the_deadline_is_too_early() {
    framework()
        .given(held())
        .when(expire("r1", at(1, 10)))
        .then_expect_error(Error::TooEarly {
            reservation: res("r1"),
            expires_at: hold_until(),
        });
}

#[test]
fn expiry_of_a_finished_reservation_says_it_is_no_longer_active() {
    let finished = [
        (commit("r1", at(1, 10)), ReservationStatus::Committed),
        (release("r1", at(1, 10)), ReservationStatus::Released),
        (expire("r1", at(1, 11)), ReservationStatus::Expired),
    ];
    for (command, status) in finished {
        let mut given = held();
        given.extend(run(&given, command).unwrap());
        framework()
            .given(given)
            .when(expire("r1", at(1, 12)))
            .then_expect_error(Error::ReservationNotActive {
                reservation: res("r1"),
                status,
            });
    }
}
