//! Moving money out of an escrow: a draft that applies each event as it is
//! decided, so a command can emit several events and fail without writing
//! any of them.

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;

use super::agent::{ChargesBalance, Settlement};
use super::{
    Escrow, EscrowBalance, EscrowError, EscrowEvent, EscrowStatus, MilestoneBalance,
    MilestoneStatus, RefundCause, ReleaseCause,
};
use crate::ids::MilestoneId;
use crate::money::Money;

/// Events decided so far, and the escrow as it will be after them.
pub(super) struct Draft {
    escrow: Escrow,
    events: Vec<EscrowEvent>,
}

impl Draft {
    pub(super) fn new(escrow: &Escrow) -> Self {
        Self {
            escrow: escrow.clone(),
            events: Vec::new(),
        }
    }

    /// The escrow after the events decided so far.
    pub(super) fn escrow(&self) -> &Escrow {
        &self.escrow
    }

    pub(super) fn push(&mut self, event: EscrowEvent) {
        self.escrow.apply(event.clone());
        self.events.push(event);
    }

    pub(super) fn finish(self) -> Vec<EscrowEvent> {
        self.events
    }

    /// Pays `amount` of the milestone to the seller.
    pub(super) fn release(
        &mut self,
        id: &MilestoneId,
        amount: Money,
        cause: ReleaseCause,
        at: DateTime<Utc>,
    ) -> Result<(), EscrowError> {
        let before = self.escrow.milestone(id)?.balance.charges;
        let (milestone, escrow) = self.moved(id, amount, Direction::ToSeller)?;
        let settlement = match (before, milestone.charges) {
            (Some(before), Some(after)) => {
                let charged = after.paid.minus(before.paid)?;
                let seller_proceeds = amount.checked_sub(charged.total()?)?;
                Some(Settlement {
                    agent_commission: charged.agent_commission,
                    platform_fee: charged.platform_fee,
                    seller_proceeds,
                })
            }
            _ => None,
        };
        self.push(EscrowEvent::FundsReleased {
            amount,
            cause,
            settlement,
            milestone,
            escrow,
            at,
        });
        Ok(())
    }

    /// Pays `amount` of the milestone back to the buyer.
    pub(super) fn refund(
        &mut self,
        id: &MilestoneId,
        amount: Money,
        cause: RefundCause,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<(), EscrowError> {
        let before = self.escrow.milestone(id)?.balance.charges;
        let (milestone, escrow) = self.moved(id, amount, Direction::ToBuyer)?;
        let forfeited = match (before, milestone.charges) {
            (Some(before), Some(after)) => Some(after.forfeited.minus(before.forfeited)?),
            _ => None,
        };
        let reason = reason.to_owned();
        self.push(EscrowEvent::FundsRefunded {
            amount,
            cause,
            reason,
            forfeited,
            milestone,
            escrow,
            at,
        });
        Ok(())
    }

    /// Writes `EscrowClosed` if the escrow is funded and holds nothing.
    pub(super) fn close_if_empty(&mut self, at: DateTime<Utc>) -> Result<(), EscrowError> {
        let balance = self.escrow.balance()?;
        if balance.status == EscrowStatus::Funded && balance.held.amount() == 0 {
            let escrow = EscrowBalance {
                status: EscrowStatus::Closed,
                ..balance.clone()
            };
            self.push(EscrowEvent::EscrowClosed { escrow, at });
        }
        Ok(())
    }

    /// The balances after moving `amount` out of the milestone. Checks that
    /// the amount is positive, in the escrow's currency and no more than
    /// what remains, so released + refunded never exceeds funded.
    fn moved(
        &self,
        id: &MilestoneId,
        amount: Money,
        direction: Direction,
    ) -> Result<(MilestoneBalance, EscrowBalance), EscrowError> {
        let mut milestone = self.escrow.milestone(id)?.balance.clone();
        let mut escrow = self.escrow.balance()?.clone();
        milestone.remaining.same_currency(amount)?;
        if amount.amount() <= 0 {
            return Err(EscrowError::NonPositiveAmount);
        }
        if amount.amount() > milestone.remaining.amount() {
            let remaining = milestone.remaining;
            return Err(EscrowError::ExceedsRemaining {
                requested: amount,
                remaining,
            });
        }
        match direction {
            Direction::ToSeller => {
                milestone.released = milestone.released.checked_add(amount)?;
                escrow.released = escrow.released.checked_add(amount)?;
            }
            Direction::ToBuyer => {
                milestone.refunded = milestone.refunded.checked_add(amount)?;
                escrow.refunded = escrow.refunded.checked_add(amount)?;
            }
        }
        milestone.remaining = milestone.remaining.checked_sub(amount)?;
        escrow.held = escrow.held.checked_sub(amount)?;
        if milestone.remaining.amount() == 0 {
            milestone.status = MilestoneStatus::Settled;
        }
        if let Some(charges) = milestone.charges {
            let after = ChargesBalance::after(
                charges.agreed,
                milestone.amount,
                milestone.released,
                milestone.refunded,
            )?;
            milestone.charges = Some(after);
            escrow.charges = self.total_charges(&milestone)?;
        }
        Ok((milestone, escrow))
    }

    /// The escrow's charges with `changed` in place of its old balance.
    fn total_charges(
        &self,
        changed: &MilestoneBalance,
    ) -> Result<Option<ChargesBalance>, EscrowError> {
        let mut total: Option<ChargesBalance> = None;
        for m in &self.escrow.milestones {
            let balance = if m.balance.id == changed.id {
                changed
            } else {
                &m.balance
            };
            if let Some(charges) = balance.charges {
                total = Some(match total {
                    None => charges,
                    Some(sum) => sum.plus(charges)?,
                });
            }
        }
        Ok(total)
    }
}

/// Who receives money that leaves the escrow.
#[derive(Clone, Copy)]
enum Direction {
    ToSeller,
    ToBuyer,
}
