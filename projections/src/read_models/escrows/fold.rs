//! Escrow events folded into the batch's rows, in order, exactly as one
//! event at a time: creation inserts the escrow and its milestones (a
//! replay finds the row and changes nothing); every later event takes the
//! escrow's sequence (or is skipped as a replay), then assigns the totals
//! and the balances of the milestones it names.

use bazaar_domain::escrow::{
    EscrowBalance, EscrowEvent as E, EscrowStatus, MilestoneBalance, MilestoneStatus,
    MilestoneTerms,
};
use bazaar_event_store::RecordedEvent;

use super::changes::{self, EscrowChange, MilestoneChange};
use super::rows::{EscrowRow, MilestoneRow, Rows};
use crate::projection::ApplyError;

/// Folds one event of an escrow into `rows`.
pub(super) fn apply(rows: &mut Rows, payload: &E, event: &RecordedEvent) -> Result<(), ApplyError> {
    if let E::EscrowCreated { .. } = payload {
        return create(rows, payload, event);
    }
    if !claim(rows, event)? {
        return Ok(());
    }
    if let Some((balance, change)) = changes::escrow(payload) {
        escrow(rows, balance, change, &event.aggregate_id);
    }
    for (balance, change) in changes::milestones(payload) {
        milestone(rows, balance, change, event)?;
    }
    Ok(())
}

/// A new escrow and its milestones; nothing if the escrow exists.
fn create(rows: &mut Rows, payload: &E, event: &RecordedEvent) -> Result<(), ApplyError> {
    let E::EscrowCreated {
        buyer,
        seller,
        currency,
        inspection_period_days,
        dispute_window_hours,
        escrow,
        milestones,
        at,
        ..
    } = payload
    else {
        return Ok(());
    };
    let id = &event.aggregate_id;
    if rows.escrows.get(id).is_some() {
        return Ok(());
    }
    let row = EscrowRow {
        escrow_id: id.clone(),
        buyer_party: buyer.to_string(),
        seller_party: seller.to_string(),
        currency: currency.to_string(),
        amount: escrow.amount.amount(),
        status: escrow_status(escrow.status).to_owned(),
        funded: escrow.funded.amount(),
        released: escrow.released.amount(),
        refunded: escrow.refunded.amount(),
        held: escrow.held.amount(),
        inspection_period_days: i32::try_from(*inspection_period_days)
            .map_err(ApplyError::poison)?,
        dispute_window_hours: i32::try_from(*dispute_window_hours).map_err(ApplyError::poison)?,
        payment_id: None,
        created_at: *at,
        funded_at: None,
        closed_at: None,
        cancelled_at: None,
        cancel_reason: None,
        last_sequence: event.sequence,
        updated_at: event.recorded_at,
    };
    rows.escrows.insert(id.clone(), row);
    for terms in milestones {
        new_milestone(rows, terms, event)?;
    }
    Ok(())
}

/// A milestone as agreed: nothing funded or delivered yet.
fn new_milestone(
    rows: &mut Rows,
    terms: &MilestoneTerms,
    event: &RecordedEvent,
) -> Result<(), ApplyError> {
    let key = (event.aggregate_id.clone(), terms.id.to_string());
    if rows.milestones.get(&key).is_some() {
        return Err(ApplyError::poison(format!(
            "milestone {} appears twice in escrow {}",
            terms.id, event.aggregate_id
        )));
    }
    let row = MilestoneRow {
        escrow_id: key.0.clone(),
        milestone_id: key.1.clone(),
        description: terms.description.clone(),
        currency: terms.amount.currency().to_string(),
        amount: terms.amount.amount(),
        status: "awaiting_delivery".to_owned(),
        funded: 0,
        released: 0,
        refunded: 0,
        remaining: 0,
        delivered_at: None,
        inspection_ends_at: None,
        dispute_window_ends_at: None,
        dispute_open: false,
        dispute_reason: None,
        updated_at: event.recorded_at,
    };
    rows.milestones.insert(key, row);
    Ok(())
}

/// Takes the event's sequence for its escrow: `false` for a replay. An
/// escrow never created cannot take later events, so that poisons.
fn claim(rows: &mut Rows, event: &RecordedEvent) -> Result<bool, ApplyError> {
    let Some(row) = rows.escrows.get(&event.aggregate_id) else {
        return Err(ApplyError::poison(format!(
            "escrow {} was never created",
            event.aggregate_id
        )));
    };
    if row.last_sequence >= event.sequence {
        return Ok(false);
    }
    if let Some(row) = rows.escrows.get_mut(&event.aggregate_id) {
        row.last_sequence = event.sequence;
        row.updated_at = event.recorded_at;
    }
    Ok(true)
}

/// Assigns the escrow's totals and status after an event, and `change`.
fn escrow(rows: &mut Rows, balance: &EscrowBalance, change: EscrowChange<'_>, id: &String) {
    let Some(row) = rows.escrows.get_mut(id) else {
        return;
    };
    row.status = escrow_status(balance.status).to_owned();
    row.amount = balance.amount.amount();
    row.funded = balance.funded.amount();
    row.released = balance.released.amount();
    row.refunded = balance.refunded.amount();
    row.held = balance.held.amount();
    set(&mut row.payment_id, change.payment_id.map(str::to_owned));
    set(&mut row.funded_at, change.funded_at);
    set(&mut row.closed_at, change.closed_at);
    set(&mut row.cancelled_at, change.cancelled_at);
    set(
        &mut row.cancel_reason,
        change.cancel_reason.map(str::to_owned),
    );
}

/// Assigns one milestone's balance and status after an event, and `change`.
fn milestone(
    rows: &mut Rows,
    balance: &MilestoneBalance,
    change: MilestoneChange<'_>,
    event: &RecordedEvent,
) -> Result<(), ApplyError> {
    let key = (event.aggregate_id.clone(), balance.id.to_string());
    let Some(row) = rows.milestones.get_mut(&key) else {
        return Err(ApplyError::poison(format!(
            "unknown milestone {}",
            balance.id
        )));
    };
    row.status = milestone_status(balance.status).to_owned();
    row.amount = balance.amount.amount();
    row.funded = balance.funded.amount();
    row.released = balance.released.amount();
    row.refunded = balance.refunded.amount();
    row.remaining = balance.remaining.amount();
    set(&mut row.delivered_at, change.delivered_at);
    set(&mut row.inspection_ends_at, change.inspection_ends_at);
    set(
        &mut row.dispute_window_ends_at,
        change.dispute_window_ends_at,
    );
    if let Some(open) = change.dispute_open {
        row.dispute_open = open;
    }
    set(
        &mut row.dispute_reason,
        change.dispute_reason.map(str::to_owned),
    );
    row.updated_at = event.recorded_at;
    Ok(())
}

/// Keeps the column unless the event sets it (`coalesce($n, column)`).
fn set<T>(slot: &mut Option<T>, value: Option<T>) {
    if value.is_some() {
        *slot = value;
    }
}

fn escrow_status(status: EscrowStatus) -> &'static str {
    match status {
        EscrowStatus::AwaitingFunding => "awaiting_funding",
        EscrowStatus::Funded => "funded",
        EscrowStatus::Closed => "closed",
        EscrowStatus::Cancelled => "cancelled",
    }
}

fn milestone_status(status: MilestoneStatus) -> &'static str {
    match status {
        MilestoneStatus::AwaitingDelivery => "awaiting_delivery",
        MilestoneStatus::Delivered => "delivered",
        MilestoneStatus::Disputed => "disputed",
        MilestoneStatus::Settled => "settled",
    }
}
