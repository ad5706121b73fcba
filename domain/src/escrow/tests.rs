//! Given/when/then tests of the Escrow aggregate, and property tests.
//!
//! The fixture: a EUR 1000.00 escrow with milestones `design` (400.00) and
//! `build` (600.00), 3 days of inspection and a 48 h dispute window, created
//! at hour 0. Delivery happens at hour 10, so inspection ends at hour 82
//! and the dispute window at hour 58.

mod agents;
mod closing;
mod creation;
mod delivery;
mod disputes;
mod properties;
mod settlement;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use cqrs_es::test::TestFramework;
use cqrs_es::Aggregate;

use super::*;
use crate::ids::{MilestoneId, PaymentId};
use crate::money::{Currency, Money};

type Framework = TestFramework<Escrow>;

fn eur(amount: i64) -> Money {
    Money::new(amount, Currency::parse("EUR").unwrap())
}

fn usd(amount: i64) -> Money {
    Money::new(amount, Currency::parse("USD").unwrap())
}

/// Hour `h` after the fixture's start.
fn at(h: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap() + TimeDelta::hours(h)
}

fn ms(id: &str) -> MilestoneId {
    MilestoneId::parse(id).unwrap()
}

fn party(id: &str) -> PartyId {
    PartyId::parse(id).unwrap()
}

fn milestone(id: &str, amount: Money) -> MilestoneInput {
    MilestoneInput {
        milestone: ms(id),
        description: format!("{id} work"),
        amount,
    }
}

fn create_with(amount: Money, milestones: Vec<MilestoneInput>) -> EscrowCommand {
    EscrowCommand::CreateEscrow {
        buyer: party("buyer-1"),
        seller: party("seller-1"),
        currency: amount.currency(),
        amount,
        milestones,
        inspection_period_days: 3,
        dispute_window_hours: 48,
        agent: None,
        platform_fee_rate: None,
        at: at(0),
    }
}

fn create() -> EscrowCommand {
    create_with(
        eur(100_000),
        vec![
            milestone("design", eur(40_000)),
            milestone("build", eur(60_000)),
        ],
    )
}

fn fund() -> EscrowCommand {
    EscrowCommand::Fund {
        payment_id: PaymentId::parse("pay-1").unwrap(),
        amount: eur(100_000),
        at: at(1),
    }
}

fn deliver(id: &str) -> EscrowCommand {
    EscrowCommand::MarkDelivered {
        milestone: ms(id),
        at: at(10),
    }
}

fn dispute(id: &str) -> EscrowCommand {
    EscrowCommand::OpenDispute {
        milestone: ms(id),
        reason: "scratched".into(),
        at: at(20),
    }
}

fn refund_all(h: i64) -> EscrowCommand {
    EscrowCommand::Refund {
        milestone: None,
        amount: None,
        reason: "deal off".into(),
        at: at(h),
    }
}

/// Runs `command` against the escrow built from `history`.
fn run(history: &[EscrowEvent], command: EscrowCommand) -> Result<Vec<EscrowEvent>, EscrowError> {
    Framework::with(())
        .given(history.to_vec())
        .when(command)
        .inspect_result()
}

/// The history after running `commands` in order; each must be accepted.
fn after(commands: Vec<EscrowCommand>) -> Vec<EscrowEvent> {
    let mut history = Vec::new();
    for command in commands {
        let events = run(&history, command.clone())
            .unwrap_or_else(|e| panic!("{command:?} was rejected: {e}"));
        history.extend(events);
    }
    history
}

fn created() -> Vec<EscrowEvent> {
    after(vec![create()])
}

fn funded() -> Vec<EscrowEvent> {
    after(vec![create(), fund()])
}

/// Funded, and `id` delivered at hour 10.
fn delivered(id: &str) -> Vec<EscrowEvent> {
    after(vec![create(), fund(), deliver(id)])
}

/// Delivered at hour 10 and disputed at hour 20.
fn disputed(id: &str) -> Vec<EscrowEvent> {
    after(vec![create(), fund(), deliver(id), dispute(id)])
}

fn state(history: &[EscrowEvent]) -> Escrow {
    let mut escrow = Escrow::default();
    for event in history {
        escrow.apply(event.clone());
    }
    escrow
}

/// A funded fixture milestone's balance with the given payouts.
fn balance(id: &str, status: MilestoneStatus, released: i64, refunded: i64) -> MilestoneBalance {
    let amount = if id == "design" { 40_000 } else { 60_000 };
    MilestoneBalance {
        id: ms(id),
        status,
        amount: eur(amount),
        funded: eur(amount),
        released: eur(released),
        refunded: eur(refunded),
        remaining: eur(amount - released - refunded),
        charges: None,
    }
}

/// The funded fixture's totals with the given payouts.
fn totals(status: EscrowStatus, released: i64, refunded: i64) -> EscrowBalance {
    EscrowBalance {
        status,
        amount: eur(100_000),
        funded: eur(100_000),
        released: eur(released),
        refunded: eur(refunded),
        held: eur(100_000 - released - refunded),
        charges: None,
    }
}
