//! Given/when/then tests of the InventoryReservation aggregate, and property
//! tests over random command sequences.

mod batches;
mod expiring;
mod holds;
mod lifecycle;
mod properties;
mod steps;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use cqrs_es::test::TestFramework;

use super::*;
use crate::ids::{BatchId, ReservationId, Sku, VendorId, WarehouseId};

type Command = InventoryReservationCommand;
type Event = InventoryReservationEvent;
type Error = InventoryReservationError;

fn sku() -> Sku {
    Sku::parse("apple-gala").unwrap()
}

fn warehouse() -> WarehouseId {
    WarehouseId::parse("wh-1").unwrap()
}

fn vendor() -> VendorId {
    VendorId::parse("vendor-fresh").unwrap()
}

fn batch(name: &str) -> BatchId {
    BatchId::parse(name).unwrap()
}

fn res(name: &str) -> ReservationId {
    ReservationId::parse(name).unwrap()
}

/// 2026-03-`d`.
fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
}

/// 2026-03-`d` at `h`:00 UTC.
fn at(d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0).unwrap()
}

fn framework() -> TestFramework<InventoryReservation> {
    TestFramework::with(())
}

/// Runs `command` against `history`.
fn run(history: &[Event], command: Command) -> Result<Vec<Event>, Error> {
    framework()
        .given(history.to_vec())
        .when(command)
        .inspect_result()
}

/// The events of running `commands` one after the other; each must succeed.
fn history(commands: Vec<Command>) -> Vec<Event> {
    let mut events = Vec::new();
    for command in commands {
        let new =
            run(&events, command.clone()).unwrap_or_else(|e| panic!("{command:?} failed: {e}"));
        events.extend(new);
    }
    events
}

fn state(history: &[Event]) -> InventoryReservation {
    let mut aggregate = InventoryReservation::default();
    for event in history {
        aggregate.apply(event.clone());
    }
    aggregate
}

/// Receive `quantity` of `name`, last good day 2026-03-`expires` (None: does not perish), on March 1st.
fn receive(name: &str, quantity: u32, expires: Option<u32>) -> Command {
    Command::ReceiveBatch {
        sku: sku(),
        warehouse: warehouse(),
        vendor: vendor(),
        batch: batch(name),
        quantity,
        expires_on: expires.map(day),
        at: at(1, 8),
    }
}

/// Reserve on March 1st at 10:00, held 15 minutes, shipping March `ship`.
fn reserve(name: &str, quantity: u32, ship: u32, shelf_days: u32) -> Command {
    Command::Reserve {
        reservation: res(name),
        quantity,
        expires_at: hold_until(),
        ship_on: day(ship),
        min_shelf_life_days: shelf_days,
        at: at(1, 10),
    }
}

/// The deadline of holds made by [`reserve`].
fn hold_until() -> DateTime<Utc> {
    at(1, 10) + Duration::minutes(15)
}

fn commit(name: &str, when: DateTime<Utc>) -> Command {
    Command::CommitReservation {
        reservation: res(name),
        at: when,
    }
}

fn release(name: &str, when: DateTime<Utc>) -> Command {
    Command::ReleaseReservation {
        reservation: res(name),
        reason: ReleaseReason::OrderCancelled,
        at: when,
    }
}

fn expire(name: &str, when: DateTime<Utc>) -> Command {
    Command::ExpireReservation {
        reservation: res(name),
        at: when,
    }
}

fn allocation(name: &str, quantity: u32, expires: Option<u32>) -> BatchAllocation {
    BatchAllocation {
        batch: batch(name),
        quantity,
        expires_on: expires.map(day),
    }
}

fn level(name: &str, expires: Option<u32>, on_hand: u32, reserved: u32) -> BatchLevel {
    BatchLevel {
        batch: batch(name),
        expires_on: expires.map(day),
        on_hand,
        reserved,
    }
}

fn levels(available: u64, batches: Vec<BatchLevel>) -> StockLevels {
    StockLevels { available, batches }
}

/// The allocations of the `StockReserved` event among `events`.
fn reserved_allocations(events: &[Event]) -> Vec<BatchAllocation> {
    match events {
        [Event::StockReserved { allocations, .. }] => allocations.clone(),
        other => panic!("expected one StockReserved, got {other:?}"),
    }
}

#[test]
fn stock_id_joins_sku_and_warehouse() {
    assert_eq!(stock_id(&sku(), &warehouse()), "apple-gala@wh-1");
}

#[test]
fn event_types_are_the_variant_names_at_version_one() {
    use cqrs_es::DomainEvent;
    let events = history(vec![receive("b1", 5, Some(10)), reserve("r1", 2, 2, 0)]);
    assert_eq!(events[0].event_type(), "BatchReceived");
    assert_eq!(events[1].event_type(), "StockReserved");
    assert_eq!(events[1].event_version(), "1.0");
    assert_eq!(InventoryReservation::TYPE, "InventoryReservation");
}

#[test]
fn the_aggregate_round_trips_through_json_for_snapshots() {
    let events = history(vec![
        receive("b1", 5, Some(10)),
        receive("b2", 5, None),
        reserve("r1", 7, 2, 0),
    ]);
    let aggregate = state(&events);
    let json = serde_json::to_string(&aggregate).unwrap();
    assert_eq!(
        serde_json::from_str::<InventoryReservation>(&json).unwrap(),
        aggregate
    );
    let event_json = serde_json::to_string(&events[2]).unwrap();
    assert_eq!(
        serde_json::from_str::<Event>(&event_json).unwrap(),
        events[2]
    );
}

#[test]
fn emptied_batches_leave_the_decision_state_but_stay_known() {
    let mut commands = Vec::new();
    for n in 0..50 {
        let name = format!("b{n}");
        commands.push(receive(&name, 1, Some(10)));
        commands.push(reserve(&format!("r{n}"), 1, 2, 0));
        commands.push(commit(&format!("r{n}"), at(1, 10)));
    }
    commands.push(receive("live", 3, None));
    let stock = state(&history(commands));

    assert_eq!(stock.batches().len(), 1, "only the batch with units");
    assert_eq!(stock.available(day(1)), 3);
    let emptied = stock.batch(&batch("b7")).unwrap();
    assert_eq!((emptied.on_hand, emptied.reserved), (0, 0));
    assert_eq!(emptied.expires_on, Some(day(10)));
    assert_eq!(
        stock.decide(receive("b7", 1, None)),
        Err(Error::BatchAlreadyReceived { batch: batch("b7") })
    );
    let json = serde_json::to_string(&stock).unwrap();
    assert_eq!(
        serde_json::from_str::<InventoryReservation>(&json).unwrap(),
        stock
    );
}

#[test]
fn commands_on_a_stock_that_never_received_a_batch_are_rejected() {
    let commands = vec![
        commit("r1", at(1, 10)),
        release("r1", at(1, 10)),
        expire("r1", at(1, 10)),
        Command::WriteOffExpiredBatch {
            batch: batch("b1"),
            on: day(5),
        },
        Command::RestockReturn {
            batch: None,
            quantity: 1,
            reason: "rma-1".into(),
            at: at(1, 10),
        },
    ];
    for command in commands {
        framework()
            .given_no_previous_events()
            .when(command)
            .then_expect_error(Error::NoStockReceived);
    }
}
