//! Escrow events folded into the batch's rows, in order, exactly as one
//! event at a time: creation of an escrow with an agent inserts its row (a
//! replay finds it and changes nothing); every later event of that escrow
//! takes its sequence (or is skipped as a replay), assigns the charges the
//! event carries and adds an entry for commission earned, paid or
//! forfeited. Events of escrows without an agent have no row and are
//! skipped.

use bazaar_domain::escrow::{
    Charges, Commission, EscrowBalance, EscrowEvent as E, EscrowStatus, MilestoneBalance,
};
use bazaar_event_store::RecordedEvent;
use chrono::{DateTime, Utc};

use super::rows::{AgentEscrowRow, EntryRow, Rows};
use crate::projection::ApplyError;

/// Folds one event of an escrow into `rows`.
pub(super) fn apply(rows: &mut Rows, payload: &E, event: &RecordedEvent) -> Result<(), ApplyError> {
    if let E::EscrowCreated { .. } = payload {
        return create(rows, payload, event);
    }
    if !claim(rows, event) {
        return Ok(());
    }
    match payload {
        E::EscrowFunded { escrow, at, .. } => {
            set_funded(rows, event, *at);
            assign(rows, escrow, event)?;
            let agreed = charges(escrow, event)?.agent_commission;
            entry(
                rows,
                event,
                (None, "earned"),
                agreed.amount(),
                escrow.funded.amount(),
                *at,
            );
        }
        E::FundsReleased {
            amount,
            settlement,
            milestone,
            escrow,
            at,
            ..
        } => {
            let settlement = settlement.ok_or_else(|| {
                ApplyError::poison(format!(
                    "a release of agent escrow {} carries no settlement",
                    event.aggregate_id
                ))
            })?;
            assign(rows, escrow, event)?;
            if let Some(row) = rows.escrows.get_mut(&event.aggregate_id) {
                row.released += amount.amount();
                row.seller_proceeds += settlement.seller_proceeds.amount();
                row.platform_fee += settlement.platform_fee.amount();
            }
            let paid = settlement.agent_commission.amount();
            entry(
                rows,
                event,
                (Some(milestone), "paid"),
                paid,
                amount.amount(),
                *at,
            );
        }
        E::FundsRefunded {
            amount,
            forfeited,
            milestone,
            escrow,
            at,
            ..
        } => {
            assign(rows, escrow, event)?;
            let forfeited = forfeited.map_or(0, |f| f.agent_commission.amount());
            let kind = (Some(milestone), "forfeited");
            entry(rows, event, kind, forfeited, amount.amount(), *at);
        }
        E::DisputeResolved { escrow, .. }
        | E::EscrowClosed { escrow, .. }
        | E::EscrowCancelled { escrow, .. } => assign(rows, escrow, event)?,
        E::EscrowCreated { .. }
        | E::MilestoneDelivered { .. }
        | E::MilestoneRejected { .. }
        | E::DisputeOpened { .. } => {}
    }
    Ok(())
}

/// The row of a new escrow with an agent; nothing for other escrows or if
/// the row exists.
fn create(rows: &mut Rows, payload: &E, event: &RecordedEvent) -> Result<(), ApplyError> {
    let E::EscrowCreated {
        buyer,
        seller,
        currency,
        amount,
        agent: Some(agent),
        escrow,
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
    let (commission_bps, commission_fixed) = match agent.commission {
        Commission::Bps(bps) => (Some(i32::try_from(bps).map_err(ApplyError::poison)?), None),
        Commission::Fixed(fixed) => (None, Some(fixed.amount())),
    };
    let row = AgentEscrowRow {
        escrow_id: id.clone(),
        agent_id: agent.agent_id.to_string(),
        buyer_party: buyer.to_string(),
        seller_party: seller.to_string(),
        currency: currency.to_string(),
        amount: amount.amount(),
        commission_bps,
        commission_fixed,
        status: status(escrow.status).to_owned(),
        agreed: charges(escrow, event)?.agent_commission.amount(),
        earned: 0,
        paid: 0,
        pending: 0,
        forfeited: 0,
        released: 0,
        seller_proceeds: 0,
        platform_fee: 0,
        created_at: *at,
        funded_at: None,
        last_sequence: event.sequence,
        updated_at: event.recorded_at,
    };
    rows.escrows.insert(id.clone(), row);
    Ok(())
}

/// Takes the event's sequence for its escrow: `false` for a replay or an
/// escrow without an agent.
fn claim(rows: &mut Rows, event: &RecordedEvent) -> bool {
    let fresh = rows
        .escrows
        .get(&event.aggregate_id)
        .is_some_and(|row| row.last_sequence < event.sequence);
    if fresh {
        if let Some(row) = rows.escrows.get_mut(&event.aggregate_id) {
            row.last_sequence = event.sequence;
            row.updated_at = event.recorded_at;
        }
    }
    fresh
}

fn set_funded(rows: &mut Rows, event: &RecordedEvent, at: DateTime<Utc>) {
    if let Some(row) = rows.escrows.get_mut(&event.aggregate_id) {
        row.funded_at = Some(at);
    }
}

/// The escrow's charges after the event: an escrow with an agent has them.
fn charges(escrow: &EscrowBalance, event: &RecordedEvent) -> Result<Charges, ApplyError> {
    escrow.charges.map(|c| c.agreed).ok_or_else(|| {
        ApplyError::poison(format!(
            "agent escrow {} carries no charges",
            event.aggregate_id
        ))
    })
}

/// Assigns the status and commission figures the event carries. Before
/// funding nothing is earned or pending.
fn assign(
    rows: &mut Rows,
    escrow: &EscrowBalance,
    event: &RecordedEvent,
) -> Result<(), ApplyError> {
    let balance = escrow.charges.ok_or_else(|| {
        ApplyError::poison(format!(
            "agent escrow {} carries no charges",
            event.aggregate_id
        ))
    })?;
    let Some(row) = rows.escrows.get_mut(&event.aggregate_id) else {
        return Ok(());
    };
    row.status = status(escrow.status).to_owned();
    row.agreed = balance.agreed.agent_commission.amount();
    row.paid = balance.paid.agent_commission.amount();
    row.forfeited = balance.forfeited.agent_commission.amount();
    row.pending = if row.funded_at.is_some() {
        balance.pending.agent_commission.amount()
    } else {
        0
    };
    row.earned = row.paid + row.pending;
    Ok(())
}

/// Adds an entry of `amount` commission (none when it is zero).
fn entry(
    rows: &mut Rows,
    event: &RecordedEvent,
    (milestone, kind): (Option<&MilestoneBalance>, &'static str),
    amount: i64,
    moved: i64,
    at: DateTime<Utc>,
) {
    let Some(row) = rows.escrows.get(&event.aggregate_id) else {
        return;
    };
    if amount <= 0 {
        return;
    }
    let entry = EntryRow {
        escrow_id: row.escrow_id.clone(),
        sequence: event.sequence,
        agent_id: row.agent_id.clone(),
        milestone_id: milestone.map(|m| m.id.to_string()),
        kind,
        currency: row.currency.clone(),
        amount,
        moved,
        at,
    };
    rows.entries.push(entry);
}

fn status(status: EscrowStatus) -> &'static str {
    match status {
        EscrowStatus::AwaitingFunding => "awaiting_funding",
        EscrowStatus::Funded => "funded",
        EscrowStatus::Closed => "closed",
        EscrowStatus::Cancelled => "cancelled",
    }
}
