//! The decisions from creation to dispute: each returns the
//! events to write, or a rejection.

use std::collections::HashSet;

use chrono::{DateTime, TimeDelta, Utc};

use super::agent::{self, ChargesBalance};
use super::ledger::Draft;
use super::state::{Milestone, Terms};
use super::{
    Charges, Escrow, EscrowBalance, EscrowError, EscrowEvent, EscrowStatus, MilestoneInput,
    MilestoneStatus, MilestoneTerms, ReleaseCause, MAX_MILESTONES,
};
use crate::ids::{MilestoneId, PaymentId};
use crate::money::Money;

type Decision = Result<Vec<EscrowEvent>, EscrowError>;

impl Escrow {
    pub(super) fn create(
        &self,
        terms: Terms,
        milestones: Vec<MilestoneInput>,
        at: DateTime<Utc>,
    ) -> Decision {
        if self.terms.is_some() {
            return Err(EscrowError::AlreadyCreated);
        }
        check_terms(&terms)?;
        let milestones = check_milestones(&terms, milestones)?;
        let (milestones, charges) = charge(&terms, milestones)?;
        let zero = Money::zero(terms.currency);
        let escrow = EscrowBalance {
            status: EscrowStatus::AwaitingFunding,
            amount: terms.amount,
            funded: zero,
            released: zero,
            refunded: zero,
            held: zero,
            charges: charges.map(ChargesBalance::agreed),
        };
        Ok(vec![EscrowEvent::EscrowCreated {
            buyer: terms.buyer,
            seller: terms.seller,
            currency: terms.currency,
            amount: terms.amount,
            milestones,
            inspection_period_days: terms.inspection_period_days,
            dispute_window_hours: terms.dispute_window_hours,
            agent: terms.agent,
            platform_fee_rate: terms.platform_fee_rate,
            escrow,
            at,
        }])
    }

    pub(super) fn fund(&self, payment_id: PaymentId, amount: Money, at: DateTime<Utc>) -> Decision {
        let (terms, balance) = self.live()?;
        if balance.status == EscrowStatus::Funded {
            return Err(EscrowError::AlreadyFunded);
        }
        terms.amount.same_currency(amount)?;
        if amount != terms.amount {
            return Err(EscrowError::FundingMismatch {
                expected: terms.amount,
                received: amount,
            });
        }
        let milestones = self
            .milestones
            .iter()
            .map(|m| {
                let mut b = m.balance.clone();
                (b.funded, b.remaining) = (b.amount, b.amount);
                b
            })
            .collect();
        let escrow = EscrowBalance {
            status: EscrowStatus::Funded,
            funded: amount,
            held: amount,
            ..balance.clone()
        };
        Ok(vec![EscrowEvent::EscrowFunded {
            payment_id,
            amount,
            milestones,
            escrow,
            at,
        }])
    }

    pub(super) fn mark_delivered(&self, id: &MilestoneId, at: DateTime<Utc>) -> Decision {
        self.funded()?;
        let (terms, _) = self.live()?;
        let milestone = self.milestone(id)?;
        match milestone.balance.status {
            MilestoneStatus::AwaitingDelivery => {}
            MilestoneStatus::Settled => return Err(EscrowError::MilestoneSettled),
            MilestoneStatus::Delivered | MilestoneStatus::Disputed => {
                return Err(EscrowError::AlreadyDelivered)
            }
        }
        let inspection = TimeDelta::try_days(i64::from(terms.inspection_period_days));
        let window = TimeDelta::try_hours(i64::from(terms.dispute_window_hours));
        let after = |delta: Option<TimeDelta>| {
            delta
                .and_then(|d| at.checked_add_signed(d))
                .ok_or(EscrowError::DateOutOfRange)
        };
        let mut balance = milestone.balance.clone();
        balance.status = MilestoneStatus::Delivered;
        Ok(vec![EscrowEvent::MilestoneDelivered {
            milestone: balance,
            inspection_ends_at: after(inspection)?,
            dispute_window_ends_at: after(window)?,
            at,
        }])
    }

    pub(super) fn accept(&self, id: &MilestoneId, at: DateTime<Utc>) -> Decision {
        let (milestone, _) = self.delivered(id)?;
        self.release_rest(milestone, ReleaseCause::BuyerAccepted, at)
    }

    pub(super) fn lapse_inspection(&self, id: &MilestoneId, at: DateTime<Utc>) -> Decision {
        let (milestone, deadlines) = self.delivered(id)?;
        if at < deadlines.inspection_ends_at {
            let inspection_ends_at = deadlines.inspection_ends_at;
            return Err(EscrowError::TooEarly { inspection_ends_at });
        }
        self.release_rest(milestone, ReleaseCause::InspectionLapsed, at)
    }

    /// Releases all that remains of the milestone, closing if it was the last.
    pub(super) fn release_rest(
        &self,
        milestone: &Milestone,
        cause: ReleaseCause,
        at: DateTime<Utc>,
    ) -> Decision {
        let mut draft = Draft::new(self);
        draft.release(
            &milestone.balance.id,
            milestone.balance.remaining,
            cause,
            at,
        )?;
        draft.close_if_empty(at)?;
        Ok(draft.finish())
    }

    pub(super) fn reject(&self, id: &MilestoneId, reason: String, at: DateTime<Utc>) -> Decision {
        check_reason(&reason)?;
        let (milestone, deadlines) = self.delivered(id)?;
        if at >= deadlines.inspection_ends_at {
            return Err(EscrowError::InspectionOver);
        }
        let mut balance = milestone.balance.clone();
        balance.status = MilestoneStatus::Disputed;
        Ok(vec![EscrowEvent::MilestoneRejected {
            milestone: balance,
            reason,
            at,
        }])
    }

    pub(super) fn open_dispute(
        &self,
        id: &MilestoneId,
        reason: String,
        at: DateTime<Utc>,
    ) -> Decision {
        check_reason(&reason)?;
        let (milestone, deadlines) = self.delivered(id)?;
        if at >= deadlines.dispute_window_ends_at {
            return Err(EscrowError::DisputeWindowClosed);
        }
        let mut balance = milestone.balance.clone();
        balance.status = MilestoneStatus::Disputed;
        Ok(vec![EscrowEvent::DisputeOpened {
            milestone: balance,
            reason,
            at,
        }])
    }
}

pub(super) fn check_reason(reason: &str) -> Result<(), EscrowError> {
    if reason.trim().is_empty() {
        return Err(EscrowError::BlankReason);
    }
    if !crate::text::is_storable(reason) {
        return Err(EscrowError::ControlCharacter);
    }
    Ok(())
}

fn check_terms(terms: &Terms) -> Result<(), EscrowError> {
    let days = terms.inspection_period_days;
    if !(1..=30).contains(&days) {
        return Err(EscrowError::InspectionPeriodOutOfRange(days));
    }
    let hours = terms.dispute_window_hours;
    if !(24..=720).contains(&hours) {
        return Err(EscrowError::DisputeWindowOutOfRange(hours));
    }
    if u64::from(hours) > u64::from(days) * 24 {
        return Err(EscrowError::DisputeWindowExceedsInspection);
    }
    if terms.buyer == terms.seller {
        return Err(EscrowError::BuyerIsSeller);
    }
    if let Some(agent) = &terms.agent {
        let id = agent.agent_id.as_ref();
        if id == terms.buyer.as_ref() || id == terms.seller.as_ref() {
            return Err(EscrowError::AgentIsParty);
        }
    }
    Money::zero(terms.currency).same_currency(terms.amount)?;
    if terms.amount.amount() <= 0 {
        return Err(EscrowError::NonPositiveAmount);
    }
    Ok(())
}

fn check_milestones(
    terms: &Terms,
    milestones: Vec<MilestoneInput>,
) -> Result<Vec<MilestoneTerms>, EscrowError> {
    if milestones.is_empty() {
        return Err(EscrowError::NoMilestones);
    }
    if milestones.len() > MAX_MILESTONES {
        return Err(EscrowError::TooManyMilestones);
    }
    let mut seen = HashSet::new();
    let mut sum = Money::zero(terms.currency);
    for m in &milestones {
        if !seen.insert(&m.milestone) {
            return Err(EscrowError::DuplicateMilestone(m.milestone.clone()));
        }
        if m.description.trim().is_empty() {
            return Err(EscrowError::BlankDescription);
        }
        if !crate::text::is_storable(&m.description) {
            return Err(EscrowError::ControlCharacter);
        }
        sum = sum.checked_add(m.amount)?;
        if m.amount.amount() <= 0 {
            return Err(EscrowError::NonPositiveAmount);
        }
    }
    if sum != terms.amount {
        return Err(EscrowError::MilestoneSumMismatch {
            amount: terms.amount,
            sum,
        });
    }
    let terms = milestones.into_iter().map(|m| MilestoneTerms {
        id: m.milestone,
        description: m.description,
        amount: m.amount,
        charges: None,
    });
    Ok(terms.collect())
}

/// The sale's charges and each milestone's share of them; none (and the
/// milestones unchanged) when the escrow names no agent and takes no fee.
fn charge(
    terms: &Terms,
    mut milestones: Vec<MilestoneTerms>,
) -> Result<(Vec<MilestoneTerms>, Option<Charges>), EscrowError> {
    if terms.agent.is_none() && terms.platform_fee_rate.is_none() {
        return Ok((milestones, None));
    }
    let total = agent::agreed(terms.amount, terms.agent.as_ref(), terms.platform_fee_rate)?;
    let amounts: Vec<(MilestoneId, Money)> = milestones
        .iter()
        .map(|m| (m.id.clone(), m.amount))
        .collect();
    let parts = agent::per_milestone(total, &amounts)?;
    for (milestone, part) in milestones.iter_mut().zip(parts) {
        milestone.charges = Some(part);
    }
    Ok((milestones, Some(total)))
}
