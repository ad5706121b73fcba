//! What each `Escrow` event writes: the milestone's remainder as the
//! vendor order's `held_in_escrow`, and releases and refunds as memo
//! entries of a checkout order's vendor.

use bazaar_domain::escrow::{EscrowEvent, MilestoneBalance, RefundCause, ReleaseCause};
use sqlx::PgConnection;

use super::ledger::{self, Entry, Kind};
use super::write;
use super::Stamp;
use crate::projection::ApplyError;

/// Applies one event of the order's escrow.
pub(super) async fn apply(
    conn: &mut PgConnection,
    stamp: Stamp<'_>,
    event: EscrowEvent,
) -> Result<(), ApplyError> {
    use EscrowEvent as E;
    match event {
        E::EscrowFunded { milestones, .. } => {
            for milestone in &milestones {
                remaining(conn, stamp, milestone).await?;
            }
            Ok(())
        }
        E::MilestoneDelivered { milestone, .. }
        | E::MilestoneRejected { milestone, .. }
        | E::DisputeOpened { milestone, .. }
        | E::DisputeResolved { milestone, .. } => remaining(conn, stamp, &milestone).await,
        E::FundsReleased {
            amount,
            cause,
            milestone,
            at,
            ..
        } => {
            let entry = Entry::credit(milestone.id.as_ref(), Kind::EscrowReleased, amount, at);
            money_left(conn, stamp, &milestone, entry.detail(released(cause))).await
        }
        E::FundsRefunded {
            amount,
            cause,
            milestone,
            at,
            ..
        } => {
            let entry = Entry::debit(milestone.id.as_ref(), Kind::EscrowRefunded, amount, at);
            money_left(conn, stamp, &milestone, entry.detail(refunded(cause))).await
        }
        E::EscrowCreated { .. } | E::EscrowClosed { .. } | E::EscrowCancelled { .. } => Ok(()),
    }
}

/// Assigns what remains of the milestone and recomputes its vendor's totals.
async fn remaining(
    conn: &mut PgConnection,
    stamp: Stamp<'_>,
    milestone: &MilestoneBalance,
) -> Result<(), ApplyError> {
    write::milestone(conn, stamp, milestone).await?;
    write::vendor_totals(conn, milestone.id.as_ref()).await?;
    Ok(())
}

/// Money left the milestone: its remainder, and `entry` (referencing the
/// order's payment) if the milestone is a vendor's part of a checkout order.
async fn money_left(
    conn: &mut PgConnection,
    stamp: Stamp<'_>,
    milestone: &MilestoneBalance,
    entry: Entry<'_>,
) -> Result<(), ApplyError> {
    remaining(conn, stamp, milestone).await?;
    if !write::has_vendor_order(conn, stamp.order_id, milestone.id.as_ref()).await? {
        return Ok(());
    }
    let entry = match write::payment_id(conn, stamp.order_id).await? {
        Some(payment_id) => entry.reference(payment_id),
        None => entry,
    };
    ledger::record(conn, stamp, entry).await?;
    Ok(())
}

fn released(cause: ReleaseCause) -> &'static str {
    match cause {
        ReleaseCause::BuyerAccepted => "buyer_accepted",
        ReleaseCause::InspectionLapsed => "inspection_lapsed",
        ReleaseCause::AgentRelease => "agent_release",
        ReleaseCause::DisputeResolution => "dispute_resolution",
    }
}

fn refunded(cause: RefundCause) -> &'static str {
    match cause {
        RefundCause::Refund => "refund",
        RefundCause::Cancellation => "cancellation",
        RefundCause::DisputeResolution => "dispute_resolution",
    }
}
