//! Decisions that settle money: dispute resolution, agent releases,
//! refunds and cancellation.

use chrono::{DateTime, Utc};

use super::decide::check_reason;
use super::ledger::Draft;
use super::{
    Escrow, EscrowBalance, EscrowError, EscrowEvent, EscrowStatus, MilestoneStatus, RefundCause,
    ReleaseCause,
};
use crate::ids::MilestoneId;
use crate::money::Money;

type Decision = Result<Vec<EscrowEvent>, EscrowError>;

/// Refund reason when a dispute decision refunds and no reason was stored.
const DISPUTE_RESOLVED: &str = "dispute resolved";

impl Escrow {
    pub(super) fn resolve_dispute(
        &self,
        id: &MilestoneId,
        release: Money,
        refund: Money,
        at: DateTime<Utc>,
    ) -> Decision {
        self.funded()?;
        let milestone = self.milestone(id)?;
        if milestone.balance.status != MilestoneStatus::Disputed {
            return Err(EscrowError::NoDispute);
        }
        let remaining = milestone.balance.remaining;
        let requested = release
            .non_negative()?
            .checked_add(refund.non_negative()?)?;
        remaining.same_currency(requested)?;
        if requested.amount() > remaining.amount() {
            return Err(EscrowError::ExceedsRemaining {
                requested,
                remaining,
            });
        }
        let reason = milestone
            .dispute_reason
            .as_deref()
            .unwrap_or(DISPUTE_RESOLVED);
        let inspection_ends_at = milestone.deadlines.map(|d| d.inspection_ends_at);
        let inspection_ends_at = inspection_ends_at.ok_or(EscrowError::NotDelivered)?;
        let mut draft = Draft::new(self);
        if release.amount() > 0 {
            draft.release(id, release, ReleaseCause::DisputeResolution, at)?;
        }
        if refund.amount() > 0 {
            draft.refund(id, refund, RefundCause::DisputeResolution, reason, at)?;
        }
        let mut balance = draft.escrow().milestone(id)?.balance.clone();
        if balance.remaining.amount() > 0 {
            balance.status = MilestoneStatus::Delivered;
        }
        let escrow = draft.escrow().balance()?.clone();
        draft.push(EscrowEvent::DisputeResolved {
            milestone: balance,
            released: release,
            refunded: refund,
            inspection_ends_at,
            escrow,
            at,
        });
        draft.close_if_empty(at)?;
        Ok(draft.finish())
    }

    /// `Release` (all that remains) or `PartialRelease` (`amount`).
    pub(super) fn release(
        &self,
        id: &MilestoneId,
        amount: Option<Money>,
        at: DateTime<Utc>,
    ) -> Decision {
        let milestone = self.movable(id)?;
        match amount {
            None => self.release_rest(milestone, ReleaseCause::AgentRelease, at),
            Some(amount) => {
                let mut draft = Draft::new(self);
                draft.release(id, amount, ReleaseCause::AgentRelease, at)?;
                draft.close_if_empty(at)?;
                Ok(draft.finish())
            }
        }
    }

    pub(super) fn refund(
        &self,
        id: Option<&MilestoneId>,
        amount: Option<Money>,
        reason: String,
        at: DateTime<Utc>,
    ) -> Decision {
        check_reason(&reason)?;
        let mut draft = Draft::new(self);
        match (id, amount) {
            (None, Some(_)) => return Err(EscrowError::PartialRefundNeedsMilestone),
            (None, None) => {
                self.funded()?;
                self.refund_all(&mut draft, RefundCause::Refund, &reason, at)?;
            }
            (Some(id), amount) => {
                let rest = self.movable(id)?.balance.remaining;
                let amount = amount.unwrap_or(rest);
                draft.refund(id, amount, RefundCause::Refund, &reason, at)?;
            }
        }
        draft.close_if_empty(at)?;
        Ok(draft.finish())
    }

    pub(super) fn cancel(&self, reason: String, at: DateTime<Utc>) -> Decision {
        check_reason(&reason)?;
        let (_, balance) = self.live()?;
        let mut draft = Draft::new(self);
        if balance.status == EscrowStatus::Funded {
            if self.milestones.iter().any(|m| m.deadlines.is_some()) {
                return Err(EscrowError::AlreadyDeliveredSome);
            }
            if balance.released.amount() > 0 {
                return Err(EscrowError::AlreadyReleasedSome);
            }
            self.refund_all(&mut draft, RefundCause::Cancellation, &reason, at)?;
        }
        let after = draft.escrow().balance()?;
        let refunded = after.refunded.checked_sub(balance.refunded)?;
        let escrow = EscrowBalance {
            status: EscrowStatus::Cancelled,
            ..after.clone()
        };
        draft.push(EscrowEvent::EscrowCancelled {
            reason,
            refunded,
            escrow,
            at,
        });
        Ok(draft.finish())
    }

    /// Refunds what remains of every milestone; `DisputeOpen` if any
    /// milestone with money left is disputed.
    fn refund_all(
        &self,
        draft: &mut Draft,
        cause: RefundCause,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<(), EscrowError> {
        for m in &self.milestones {
            let balance = &m.balance;
            if balance.status == MilestoneStatus::Disputed {
                return Err(EscrowError::DisputeOpen);
            }
            if balance.remaining.amount() > 0 {
                draft.refund(&balance.id, balance.remaining, cause, reason, at)?;
            }
        }
        Ok(())
    }
}
