//! Property tests: random command sequences never break the stock's books.
//!
//! After every accepted command, and after every event it wrote: per batch
//! `reserved <= on_hand`; reserved equals the sum of the active
//! reservations' allocations; each event's availability and batch levels
//! match the formula over the rebuilt state; and on hand equals what came in
//! minus what went out, counted from the events' own quantities (no oversell).
//!
//! Before every command: the state with its emptied batches moved out (as
//! `apply` keeps it) decides exactly what the same state with them kept
//! decides, so dropping them changes no answer.

use std::collections::BTreeMap;

use chrono::Days;
use proptest::prelude::*;

use super::steps::{command, perishable_step, sequence, step, Step};
use super::*;

/// Per batch, units in minus units out, from the events' own quantities.
type Flows = BTreeMap<BatchId, i64>;

fn count_flows(flows: &mut Flows, event: &Event) {
    let mut add = |batch: &BatchId, units: i64| *flows.entry(batch.clone()).or_default() += units;
    match event {
        Event::BatchReceived {
            batch, quantity, ..
        }
        | Event::ReturnRestocked {
            batch, quantity, ..
        } => add(batch, i64::from(*quantity)),
        Event::StockAdjusted { batch, delta, .. } => add(batch, *delta),
        Event::ExpiredBatchWrittenOff {
            batch, quantity, ..
        } => add(batch, -i64::from(*quantity)),
        Event::ReservationCommitted { allocations, .. } => allocations
            .iter()
            .for_each(|a| add(&a.batch, -i64::from(a.quantity))),
        _ => {}
    }
}

/// The levels an event carries and the date they are for.
fn event_levels(event: &Event) -> Option<(&StockLevels, NaiveDate)> {
    let on = match event {
        Event::ExpiredBatchWrittenOff { on, .. } => *on,
        Event::BatchReceived { at, .. }
        | Event::StockReserved { at, .. }
        | Event::ReservationExtended { at, .. }
        | Event::ReservationReallocated { at, .. }
        | Event::ReservationCommitted { at, .. }
        | Event::ReservationReleased { at, .. }
        | Event::ReservationExpired { at, .. }
        | Event::StockAdjusted { at, .. }
        | Event::ReturnRestocked { at, .. } => at.date_naive(),
    };
    event.levels().map(|levels| (levels, on))
}

/// The invariants of the state after `event` was applied.
fn check(stock: &InventoryReservation, event: &Event, flows: &Flows) {
    let held = active_allocations(stock);
    for (id, batch) in stock.batches() {
        let (on_hand, reserved) = (batch.on_hand, batch.reserved);
        assert!(
            reserved <= on_hand,
            "{id:?}: reserved {reserved} > on hand {on_hand}"
        );
        let promised = held.get(id).copied().unwrap_or(0);
        assert_eq!(reserved, promised, "{id:?}: reserved = active allocations");
        assert_eq!(i64::from(on_hand), flows[id], "{id:?}: on hand = in - out");
    }
    for (id, units) in flows {
        if !stock.batches().contains_key(id) {
            assert_eq!(*units, 0, "{id:?}: only empty batches leave the state");
            let kept = stock.batch(id).map(|b| (b.on_hand, b.reserved));
            assert_eq!(
                kept,
                Some((0, 0)),
                "{id:?}: an emptied batch is still known"
            );
        }
    }
    if let Some((levels, on)) = event_levels(event) {
        let formula: u64 = stock
            .batches()
            .values()
            .filter(|b| b.expires_on.is_none_or(|last| on <= last))
            .map(|b| u64::from(b.on_hand - b.reserved))
            .sum();
        assert_eq!(levels.available, formula, "available in {event:?}");
        for level in &levels.batches {
            let batch = stock.batch(&level.batch).expect("a known batch");
            let expected = (batch.on_hand, batch.reserved);
            assert_eq!(
                (level.on_hand, level.reserved),
                expected,
                "levels in {event:?}"
            );
        }
    }
}

/// Units per batch promised to active reservations, each of which is
/// allocated in full.
fn active_allocations(stock: &InventoryReservation) -> BTreeMap<&BatchId, u32> {
    let mut held = BTreeMap::new();
    let active = stock
        .reservations
        .values()
        .filter(|r| r.status == ReservationStatus::Active);
    for reservation in active {
        let total: u32 = reservation.allocations.iter().map(|a| a.quantity).sum();
        assert_eq!(
            total, reservation.quantity,
            "allocations cover the reservation"
        );
        for a in &reservation.allocations {
            *held.entry(&a.batch).or_default() += a.quantity;
        }
    }
    held
}

/// Reservations only take batches that last until the ship date plus the
/// shelf life, and goods never leave or get re-held past their last good day.
fn check_allocation(event: &Event) {
    let fresh = |allocations: &[BatchAllocation], on: NaiveDate| {
        allocations
            .iter()
            .all(|a| a.expires_on.is_none_or(|last| last >= on))
    };
    match event {
        Event::StockReserved {
            allocations,
            quantity,
            ship_on,
            min_shelf_life_days,
            at,
            ..
        } => {
            let needed =
                (*ship_on).max(at.date_naive()) + Days::new(u64::from(*min_shelf_life_days));
            assert!(fresh(allocations, needed), "shelf life in {event:?}");
            assert_eq!(
                allocations.iter().map(|a| a.quantity).sum::<u32>(),
                *quantity
            );
        }
        Event::ReservationCommitted {
            allocations, at, ..
        } => {
            assert!(
                fresh(allocations, at.date_naive()),
                "expired goods shipped in {event:?}"
            )
        }
        Event::ReservationReallocated { to, at, .. } => {
            assert!(fresh(to, at.date_naive()), "{event:?}")
        }
        _ => {}
    }
}

/// Runs the steps, checking the invariants after every event written.
fn run_steps(steps: Vec<(i64, Step)>) -> Result<(), TestCaseError> {
    let mut now = at(1, 0);
    let mut history: Vec<Event> = Vec::new();
    let mut flows = Flows::new();
    for (hours, step) in steps {
        now += Duration::hours(hours);
        let command = command(step, now);
        let pruned = state(&history);
        let kept = pruned.clone().with_emptied_batches_kept();
        prop_assert_eq!(pruned.decide(command.clone()), kept.decide(command.clone()));
        let events = match run(&history, command) {
            Ok(events) => events,
            Err(Error::InsufficientStock {
                requested,
                available,
            }) => {
                prop_assert!(available < u64::from(requested));
                continue;
            }
            Err(_) => continue,
        };
        let mut stock = state(&history);
        for event in events {
            count_flows(&mut flows, &event);
            stock.apply(event.clone());
            check(&stock, &event, &flows);
            check_allocation(&event);
            history.push(event);
        }
        prop_assert_eq!(&stock, &state(&history));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_command_sequences_keep_the_books_straight(steps in sequence(step())) {
        run_steps(steps)?;
    }

    #[test]
    fn batches_expiring_under_holds_keep_the_books_straight(steps in sequence(perishable_step())) {
        run_steps(steps)?;
    }
}
