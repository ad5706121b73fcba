//! What each `Escrow` event writes: the milestone's remainder as the
//! vendor order's `held_in_escrow`, and releases and refunds as memo
//! entries of a checkout order's vendor.

use bazaar_domain::escrow::{EscrowEvent, MilestoneBalance, RefundCause, ReleaseCause};

use super::ledger::{self, Entry, Kind};
use super::rows::Rows;
use super::write;
use super::Stamp;

/// Applies one event of the order's escrow.
pub(super) fn apply(rows: &mut Rows, stamp: Stamp<'_>, event: EscrowEvent) {
    use EscrowEvent as E;
    match event {
        E::EscrowFunded { milestones, .. } => {
            for milestone in &milestones {
                remaining(rows, stamp, milestone);
            }
        }
        E::MilestoneDelivered { milestone, .. }
        | E::MilestoneRejected { milestone, .. }
        | E::DisputeOpened { milestone, .. }
        | E::DisputeResolved { milestone, .. } => remaining(rows, stamp, &milestone),
        E::FundsReleased {
            amount,
            cause,
            milestone,
            at,
            ..
        } => {
            let entry = Entry::credit(milestone.id.as_ref(), Kind::EscrowReleased, amount, at);
            money_left(rows, stamp, &milestone, entry.detail(released(cause)))
        }
        E::FundsRefunded {
            amount,
            cause,
            milestone,
            at,
            ..
        } => {
            let entry = Entry::debit(milestone.id.as_ref(), Kind::EscrowRefunded, amount, at);
            money_left(rows, stamp, &milestone, entry.detail(refunded(cause)))
        }
        E::EscrowCreated { .. } | E::EscrowClosed { .. } | E::EscrowCancelled { .. } => {}
    }
}

/// Assigns what remains of the milestone (and so of the vendor order's
/// `held_in_escrow`, which the vendor's totals follow).
fn remaining(rows: &mut Rows, stamp: Stamp<'_>, milestone: &MilestoneBalance) {
    write::milestone(rows, stamp, milestone);
}

/// Money left the milestone: its remainder, and `entry` (referencing the
/// order's payment) if the milestone is a vendor's part of a checkout order.
fn money_left(rows: &mut Rows, stamp: Stamp<'_>, milestone: &MilestoneBalance, entry: Entry<'_>) {
    remaining(rows, stamp, milestone);
    if !write::has_vendor_order(rows, stamp.order_id, milestone.id.as_ref()) {
        return;
    }
    let entry = match write::payment_id(rows, stamp.order_id) {
        Some(payment_id) => entry.reference(payment_id),
        None => entry,
    };
    ledger::record(rows, stamp, entry);
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
