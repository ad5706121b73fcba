//! What each escrow event changes, as data: the escrow's totals and dates,
//! and which milestones' balances, deadlines and disputes.

use bazaar_domain::escrow::{EscrowBalance, EscrowEvent as E, MilestoneBalance};
use chrono::{DateTime, Utc};

/// Columns of `escrows` an event sets besides the totals; `None` keeps one.
#[derive(Debug, Default)]
pub(super) struct EscrowChange<'a> {
    pub(super) payment_id: Option<&'a str>,
    pub(super) funded_at: Option<DateTime<Utc>>,
    pub(super) closed_at: Option<DateTime<Utc>>,
    pub(super) cancelled_at: Option<DateTime<Utc>>,
    pub(super) cancel_reason: Option<&'a str>,
}

impl<'a> EscrowChange<'a> {
    fn funded(payment_id: &'a str, at: DateTime<Utc>) -> Self {
        let (payment_id, funded_at) = (Some(payment_id), Some(at));
        Self {
            payment_id,
            funded_at,
            ..Self::default()
        }
    }

    fn closed(at: DateTime<Utc>) -> Self {
        let closed_at = Some(at);
        Self {
            closed_at,
            ..Self::default()
        }
    }

    fn cancelled(at: DateTime<Utc>, reason: &'a str) -> Self {
        let (cancelled_at, cancel_reason) = (Some(at), Some(reason));
        Self {
            cancelled_at,
            cancel_reason,
            ..Self::default()
        }
    }
}

/// Columns of `escrow_milestones` an event sets besides the balance;
/// `None` keeps one.
#[derive(Debug, Default)]
pub(super) struct MilestoneChange<'a> {
    pub(super) delivered_at: Option<DateTime<Utc>>,
    pub(super) inspection_ends_at: Option<DateTime<Utc>>,
    pub(super) dispute_window_ends_at: Option<DateTime<Utc>>,
    pub(super) dispute_open: Option<bool>,
    pub(super) dispute_reason: Option<&'a str>,
}

impl<'a> MilestoneChange<'a> {
    fn delivered(at: DateTime<Utc>, inspection: DateTime<Utc>, window: DateTime<Utc>) -> Self {
        let delivered_at = Some(at);
        let (inspection_ends_at, dispute_window_ends_at) = (Some(inspection), Some(window));
        Self {
            delivered_at,
            inspection_ends_at,
            dispute_window_ends_at,
            ..Self::default()
        }
    }

    fn disputed(reason: &'a str) -> Self {
        let (dispute_open, dispute_reason) = (Some(true), Some(reason));
        Self {
            dispute_open,
            dispute_reason,
            ..Self::default()
        }
    }

    fn resolved(inspection: DateTime<Utc>) -> Self {
        let (dispute_open, inspection_ends_at) = (Some(false), Some(inspection));
        Self {
            dispute_open,
            inspection_ends_at,
            ..Self::default()
        }
    }
}

/// The escrow's totals after the event and what else it sets, if the event
/// carries them (creation is written on its own).
pub(super) fn escrow(payload: &E) -> Option<(&EscrowBalance, EscrowChange<'_>)> {
    let change = match payload {
        E::EscrowFunded {
            payment_id,
            escrow,
            at,
            ..
        } => (escrow, EscrowChange::funded(payment_id.as_ref(), *at)),
        E::EscrowClosed { escrow, at } => (escrow, EscrowChange::closed(*at)),
        E::EscrowCancelled {
            reason, escrow, at, ..
        } => (escrow, EscrowChange::cancelled(*at, reason)),
        E::DisputeResolved { escrow, .. }
        | E::FundsReleased { escrow, .. }
        | E::FundsRefunded { escrow, .. } => (escrow, EscrowChange::default()),
        E::EscrowCreated { .. }
        | E::MilestoneDelivered { .. }
        | E::MilestoneRejected { .. }
        | E::DisputeOpened { .. } => return None,
    };
    Some(change)
}

/// The milestones the event carries, each with what else it sets.
pub(super) fn milestones(payload: &E) -> Vec<(&MilestoneBalance, MilestoneChange<'_>)> {
    let balance_only = |m| (m, MilestoneChange::default());
    let change = match payload {
        E::EscrowFunded { milestones, .. } => return milestones.iter().map(balance_only).collect(),
        E::MilestoneDelivered {
            milestone,
            inspection_ends_at,
            dispute_window_ends_at,
            at,
        } => {
            let delivered =
                MilestoneChange::delivered(*at, *inspection_ends_at, *dispute_window_ends_at);
            (milestone, delivered)
        }
        E::MilestoneRejected {
            milestone, reason, ..
        }
        | E::DisputeOpened {
            milestone, reason, ..
        } => (milestone, MilestoneChange::disputed(reason)),
        E::DisputeResolved {
            milestone,
            inspection_ends_at,
            ..
        } => (milestone, MilestoneChange::resolved(*inspection_ends_at)),
        E::FundsReleased { milestone, .. } | E::FundsRefunded { milestone, .. } => {
            balance_only(milestone)
        }
        E::EscrowCreated { .. } | E::EscrowClosed { .. } | E::EscrowCancelled { .. } => {
            return vec![]
        }
    };
    vec![change]
}
