//! The escrow's state between commands, and the guards every decision
//! starts with.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::agent::{AgentTerms, ChargesBalance};
use super::{
    Escrow, EscrowBalance, EscrowError, EscrowStatus, MilestoneBalance, MilestoneStatus,
    MilestoneTerms, PartyId,
};
use crate::ids::MilestoneId;
use crate::money::{Currency, FeeRate, Money};

/// The agreed terms, as needed for decisions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Terms {
    pub(super) buyer: PartyId,
    pub(super) seller: PartyId,
    pub(super) currency: Currency,
    pub(super) amount: Money,
    pub(super) inspection_period_days: u32,
    pub(super) dispute_window_hours: u32,
    pub(super) agent: Option<AgentTerms>,
    pub(super) platform_fee_rate: Option<FeeRate>,
}

/// One milestone's money and deadlines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Milestone {
    pub(super) balance: MilestoneBalance,
    pub(super) deadlines: Option<Deadlines>,
    pub(super) dispute_reason: Option<String>,
}

/// Set on delivery.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(super) struct Deadlines {
    pub(super) inspection_ends_at: DateTime<Utc>,
    pub(super) dispute_window_ends_at: DateTime<Utc>,
}

impl Escrow {
    pub(super) fn milestone_mut(&mut self, id: &MilestoneId) -> Option<&mut Milestone> {
        self.milestones.iter_mut().find(|m| &m.balance.id == id)
    }

    pub(super) fn set_milestone(&mut self, balance: MilestoneBalance) {
        if let Some(m) = self.milestone_mut(&balance.id) {
            m.balance = balance;
        }
    }

    /// The escrow's totals; `NotCreated` before `CreateEscrow`.
    pub(super) fn balance(&self) -> Result<&EscrowBalance, EscrowError> {
        self.balance.as_ref().ok_or(EscrowError::NotCreated)
    }

    /// Terms and totals of an escrow that may still change.
    pub(super) fn live(&self) -> Result<(&Terms, &EscrowBalance), EscrowError> {
        let terms = self.terms.as_ref().ok_or(EscrowError::NotCreated)?;
        let balance = self.balance()?;
        match balance.status {
            EscrowStatus::Closed => Err(EscrowError::Closed),
            EscrowStatus::Cancelled => Err(EscrowError::Cancelled),
            EscrowStatus::AwaitingFunding | EscrowStatus::Funded => Ok((terms, balance)),
        }
    }

    /// Fails unless the escrow is live and funded.
    pub(super) fn funded(&self) -> Result<(), EscrowError> {
        match self.live()?.1.status {
            EscrowStatus::Funded => Ok(()),
            _ => Err(EscrowError::NotFunded),
        }
    }

    pub(super) fn milestone(&self, id: &MilestoneId) -> Result<&Milestone, EscrowError> {
        self.milestones
            .iter()
            .find(|m| &m.balance.id == id)
            .ok_or_else(|| EscrowError::UnknownMilestone(id.clone()))
    }

    /// A funded milestone with money left and no open dispute.
    pub(super) fn movable(&self, id: &MilestoneId) -> Result<&Milestone, EscrowError> {
        self.funded()?;
        let milestone = self.milestone(id)?;
        match milestone.balance.status {
            MilestoneStatus::Disputed => Err(EscrowError::DisputeOpen),
            MilestoneStatus::Settled => Err(EscrowError::MilestoneSettled),
            MilestoneStatus::AwaitingDelivery | MilestoneStatus::Delivered => Ok(milestone),
        }
    }

    /// A delivered milestone with money left and no open dispute.
    pub(super) fn delivered(
        &self,
        id: &MilestoneId,
    ) -> Result<(&Milestone, Deadlines), EscrowError> {
        let milestone = self.movable(id)?;
        match (milestone.balance.status, milestone.deadlines) {
            (MilestoneStatus::Delivered, Some(deadlines)) => Ok((milestone, deadlines)),
            _ => Err(EscrowError::NotDelivered),
        }
    }
}

impl Milestone {
    /// A milestone as agreed: nothing funded, nothing delivered.
    pub(super) fn agreed(terms: MilestoneTerms) -> Self {
        let zero = Money::zero(terms.amount.currency());
        Self {
            balance: MilestoneBalance {
                id: terms.id,
                status: MilestoneStatus::AwaitingDelivery,
                amount: terms.amount,
                funded: zero,
                released: zero,
                refunded: zero,
                remaining: zero,
                charges: terms.charges.map(ChargesBalance::agreed),
            },
            deadlines: None,
            dispute_reason: None,
        }
    }
}
