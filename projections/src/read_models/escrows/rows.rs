//! The statements of the escrows read model.

use bazaar_domain::escrow::{
    EscrowBalance, EscrowEvent as E, EscrowStatus, MilestoneBalance, MilestoneStatus,
    MilestoneTerms,
};
use bazaar_event_store::RecordedEvent;
use sqlx::PgConnection;

use super::changes::{EscrowChange, MilestoneChange};
use crate::projection::ApplyError;

/// Writes a new escrow and its milestones from `EscrowCreated`; a replay
/// finds the row and writes nothing.
pub(super) async fn create(
    conn: &mut PgConnection,
    payload: &E,
    event: &RecordedEvent,
) -> Result<(), ApplyError> {
    let E::EscrowCreated { milestones, .. } = payload else {
        return Ok(());
    };
    if !insert_escrow(conn, payload, event).await? {
        return Ok(());
    }
    for milestone in milestones {
        insert_milestone(conn, milestone, event).await?;
    }
    Ok(())
}

/// `false` if the escrow's row exists already.
async fn insert_escrow(
    conn: &mut PgConnection,
    payload: &E,
    event: &RecordedEvent,
) -> Result<bool, ApplyError> {
    let E::EscrowCreated {
        buyer,
        seller,
        currency,
        inspection_period_days,
        dispute_window_hours,
        escrow,
        at,
        ..
    } = payload
    else {
        return Ok(false);
    };
    let created: Option<i32> = sqlx::query_scalar(
        "insert into escrows (escrow_id, buyer_party, seller_party, currency, amount, status, funded, \
                released, refunded, held, inspection_period_days, dispute_window_hours, created_at, \
                last_sequence, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         on conflict (escrow_id) do nothing \
         returning 1",
    )
    .bind(&event.aggregate_id)
    .bind(buyer.as_ref())
    .bind(seller.as_ref())
    .bind(currency.as_ref())
    .bind(escrow.amount.amount())
    .bind(escrow_status(escrow.status))
    .bind(escrow.funded.amount())
    .bind(escrow.released.amount())
    .bind(escrow.refunded.amount())
    .bind(escrow.held.amount())
    .bind(i32::try_from(*inspection_period_days).map_err(ApplyError::poison)?)
    .bind(i32::try_from(*dispute_window_hours).map_err(ApplyError::poison)?)
    .bind(at)
    .bind(event.sequence)
    .bind(event.recorded_at)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(created.is_some())
}

/// A milestone as agreed: nothing funded or delivered yet.
async fn insert_milestone(
    conn: &mut PgConnection,
    milestone: &MilestoneTerms,
    event: &RecordedEvent,
) -> Result<(), ApplyError> {
    sqlx::query(
        "insert into escrow_milestones (escrow_id, milestone_id, description, currency, amount, status, \
                funded, released, refunded, remaining, updated_at) \
         values ($1, $2, $3, $4, $5, 'awaiting_delivery', 0, 0, 0, 0, $6)",
    )
    .bind(&event.aggregate_id)
    .bind(milestone.id.as_ref())
    .bind(&milestone.description)
    .bind(milestone.amount.currency().as_ref())
    .bind(milestone.amount.amount())
    .bind(event.recorded_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Takes the event's sequence for its escrow: `false` for a replay (the row
/// holds this sequence or a later one). An escrow never created cannot take
/// later events, so that poisons.
pub(super) async fn claim(
    conn: &mut PgConnection,
    event: &RecordedEvent,
) -> Result<bool, ApplyError> {
    let claimed: Option<i32> = sqlx::query_scalar(
        "update escrows set last_sequence = $2, updated_at = $3 \
          where escrow_id = $1 and last_sequence < $2 \
         returning 1",
    )
    .bind(&event.aggregate_id)
    .bind(event.sequence)
    .bind(event.recorded_at)
    .fetch_optional(&mut *conn)
    .await?;
    if claimed.is_some() {
        return Ok(true);
    }
    let exists: bool =
        sqlx::query_scalar("select exists (select 1 from escrows where escrow_id = $1)")
            .bind(&event.aggregate_id)
            .fetch_one(&mut *conn)
            .await?;
    if !exists {
        return Err(ApplyError::poison(format!(
            "escrow {} was never created",
            event.aggregate_id
        )));
    }
    Ok(false)
}

/// Assigns the escrow's totals and status after an event, and `change`.
pub(super) async fn escrow(
    conn: &mut PgConnection,
    balance: &EscrowBalance,
    change: EscrowChange<'_>,
    event: &RecordedEvent,
) -> Result<(), ApplyError> {
    sqlx::query(
        "update escrows \
            set status = $2, amount = $3, funded = $4, released = $5, refunded = $6, held = $7, \
                payment_id = coalesce($8, payment_id), funded_at = coalesce($9, funded_at), \
                closed_at = coalesce($10, closed_at), cancelled_at = coalesce($11, cancelled_at), \
                cancel_reason = coalesce($12, cancel_reason) \
          where escrow_id = $1",
    )
    .bind(&event.aggregate_id)
    .bind(escrow_status(balance.status))
    .bind(balance.amount.amount())
    .bind(balance.funded.amount())
    .bind(balance.released.amount())
    .bind(balance.refunded.amount())
    .bind(balance.held.amount())
    .bind(change.payment_id)
    .bind(change.funded_at)
    .bind(change.closed_at)
    .bind(change.cancelled_at)
    .bind(change.cancel_reason)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Assigns one milestone's balance and status after an event, and `change`.
pub(super) async fn milestone(
    conn: &mut PgConnection,
    balance: &MilestoneBalance,
    change: MilestoneChange<'_>,
    event: &RecordedEvent,
) -> Result<(), ApplyError> {
    let updated = sqlx::query(
        "update escrow_milestones \
            set status = $3, amount = $4, funded = $5, released = $6, refunded = $7, remaining = $8, \
                delivered_at = coalesce($9, delivered_at), \
                inspection_ends_at = coalesce($10, inspection_ends_at), \
                dispute_window_ends_at = coalesce($11, dispute_window_ends_at), \
                dispute_open = coalesce($12, dispute_open), \
                dispute_reason = coalesce($13, dispute_reason), updated_at = $14 \
          where escrow_id = $1 and milestone_id = $2",
    )
    .bind(&event.aggregate_id)
    .bind(balance.id.as_ref())
    .bind(milestone_status(balance.status))
    .bind(balance.amount.amount())
    .bind(balance.funded.amount())
    .bind(balance.released.amount())
    .bind(balance.refunded.amount())
    .bind(balance.remaining.amount())
    .bind(change.delivered_at)
    .bind(change.inspection_ends_at)
    .bind(change.dispute_window_ends_at)
    .bind(change.dispute_open)
    .bind(change.dispute_reason)
    .bind(event.recorded_at)
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(ApplyError::poison(format!(
            "unknown milestone {}",
            balance.id
        )));
    }
    Ok(())
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
