//! Generators for the property tests: random steps, turned into commands
//! at a moving clock.

use chrono::Days;
use proptest::prelude::*;

use super::*;

/// One random step of a command sequence.
#[derive(Debug, Clone)]
pub(super) enum Step {
    Receive {
        batch: u8,
        quantity: u32,
        expires: Option<u64>,
    },
    Reserve {
        res: u8,
        quantity: u32,
        hold_minutes: i64,
        ship_in: u64,
        shelf: u32,
    },
    Extend {
        res: u8,
        minutes: i64,
    },
    Commit {
        res: u8,
    },
    Release {
        res: u8,
    },
    Expire {
        res: u8,
    },
    Adjust {
        batch: u8,
        delta: i64,
    },
    WriteOff {
        batch: u8,
    },
    Restock {
        batch: Option<u8>,
        quantity: u32,
    },
}

fn receive_step() -> impl Strategy<Value = Step> {
    (0..4u8, 1..20u32, proptest::option::weighted(0.8, 0..8u64)).prop_map(
        |(batch, quantity, expires)| Step::Receive {
            batch,
            quantity,
            expires,
        },
    )
}

pub(super) fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => receive_step(),
        4 => (0..4u8, 1..12u32, 1..4000i64, 0..3u64, 0..3u32).prop_map(|(res, quantity, hold_minutes, ship_in, shelf)| {
            Step::Reserve { res, quantity, hold_minutes, ship_in, shelf }
        }),
        1 => (0..4u8, -60..3000i64).prop_map(|(res, minutes)| Step::Extend { res, minutes }),
        3 => (0..4u8).prop_map(|res| Step::Commit { res }),
        2 => (0..4u8).prop_map(|res| Step::Release { res }),
        2 => (0..4u8).prop_map(|res| Step::Expire { res }),
        1 => (0..4u8, -10..10i64).prop_map(|(batch, delta)| Step::Adjust { batch, delta }),
        2 => (0..4u8).prop_map(|batch| Step::WriteOff { batch }),
        1 => (proptest::option::of(0..4u8), 1..10u32).prop_map(|(batch, quantity)| Step::Restock { batch, quantity }),
    ]
}

/// Hours between steps: mostly a few, sometimes a day or more.
fn pause() -> impl Strategy<Value = i64> {
    prop_oneof![3 => 0..3i64, 1 => 12..40i64]
}

/// Perishables under pressure: short-lived batches, holds of days, and
/// write-offs and commits after their batches expired.
pub(super) fn perishable_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => (0..4u8, 1..8u32, (1..6u64).prop_map(Some))
            .prop_map(|(batch, quantity, expires)| Step::Receive { batch, quantity, expires }),
        3 => (0..4u8, 1..6u32, 1440..5000i64, 0..2u64, 0..2u32).prop_map(|(res, quantity, hold_minutes, ship_in, shelf)| {
            Step::Reserve { res, quantity, hold_minutes, ship_in, shelf }
        }),
        2 => (0..4u8).prop_map(|res| Step::Commit { res }),
        1 => (0..4u8).prop_map(|res| Step::Expire { res }),
        3 => (0..4u8).prop_map(|batch| Step::WriteOff { batch }),
        1 => (proptest::option::of(0..4u8), 1..4u32).prop_map(|(batch, quantity)| Step::Restock { batch, quantity }),
    ]
}

/// A few receipts, then random steps, each after a pause.
pub(super) fn sequence(
    step: impl Strategy<Value = Step>,
) -> impl Strategy<Value = Vec<(i64, Step)>> {
    let receipts = proptest::collection::vec((Just(0i64), receive_step()), 1..4);
    let steps = proptest::collection::vec((pause(), step), 1..22);
    (receipts, steps).prop_map(|(mut receipts, steps)| {
        receipts.extend(steps);
        receipts
    })
}

fn b(n: u8) -> BatchId {
    batch(&format!("b{n}"))
}

fn r(n: u8) -> ReservationId {
    res(&format!("r{n}"))
}

pub(super) fn command(step: Step, now: DateTime<Utc>) -> Command {
    let today = now.date_naive();
    let base = day(1);
    match step {
        Step::Receive {
            batch,
            quantity,
            expires,
        } => Command::ReceiveBatch {
            sku: sku(),
            warehouse: warehouse(),
            vendor: vendor(),
            batch: b(batch),
            quantity,
            expires_on: expires.map(|d| base + Days::new(d)),
            at: now,
        },
        Step::Reserve {
            res,
            quantity,
            hold_minutes,
            ship_in,
            shelf,
        } => Command::Reserve {
            reservation: r(res),
            quantity,
            expires_at: now + Duration::minutes(hold_minutes),
            ship_on: today + Days::new(ship_in),
            min_shelf_life_days: shelf,
            at: now,
        },
        Step::Extend { res, minutes } => Command::ExtendReservation {
            reservation: r(res),
            expires_at: now + Duration::minutes(minutes),
            at: now,
        },
        Step::Commit { res } => Command::CommitReservation {
            reservation: r(res),
            at: now,
        },
        Step::Release { res } => Command::ReleaseReservation {
            reservation: r(res),
            reason: ReleaseReason::PaymentExpired,
            at: now,
        },
        Step::Expire { res } => Command::ExpireReservation {
            reservation: r(res),
            at: now,
        },
        Step::Adjust { batch, delta } => Command::AdjustStock {
            batch: b(batch),
            delta,
            reason: "count".into(),
            at: now,
        },
        Step::WriteOff { batch } => Command::WriteOffExpiredBatch {
            batch: b(batch),
            on: today,
        },
        Step::Restock { batch, quantity } => Command::RestockReturn {
            batch: batch.map(b),
            quantity,
            reason: "rma".into(),
            at: now,
        },
    }
}
