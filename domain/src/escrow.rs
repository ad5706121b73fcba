//! The Escrow aggregate: money held until the buyer has what they paid for.
//!
//! Used for B2B deals, for the sale of a whole business, and by the checkout
//! saga (one escrow per order, one milestone per vendor order, milestone id =
//! the vendor id; `seller` is then the marketplace's own party id and the
//! payee of a release is the vendor named by the milestone, which the payout
//! side reads from the event).
//!
//! # Lifecycle
//! `CreateEscrow` (AwaitingFunding) → `Fund` (Funded) → per milestone:
//! `MarkDelivered` → inspection → `AcceptMilestone` or `LapseInspection`
//! releases it; `RejectMilestone` / `OpenDispute` freeze it until
//! `ResolveDispute`. Agents may `Release`, `PartialRelease` or `Refund`.
//! When the last money leaves, `EscrowClosed` follows (Closed). `Cancel`
//! ends it early (Cancelled). Closed and cancelled escrows reject every
//! command (`Closed`, `Cancelled`; `CreateEscrow` gets `AlreadyCreated`).
//!
//! # Policy choices (recorded in `docs/domain.md`)
//! - **Funding is all or nothing.** Escrow.com and Trustap ask for the full
//!   amount before the seller ships; so do we. `Fund` must equal the escrow
//!   amount (`FundingMismatch`), a second `Fund` is `AlreadyFunded` and a
//!   `Fund` on a cancelled escrow is `Cancelled`: in those cases the caller
//!   refunds that payment at the provider. Funding fills every milestone to
//!   its amount.
//! - **Windows.** Inspection is 1..=30 days (Escrow.com). The dispute window
//!   is 24..=720 hours (Trustap's complaint period is 24 h), counted from
//!   delivery, and may not outlast the inspection period: auto-release fires
//!   when inspection ends, so a longer window would promise a right that the
//!   scheduler pre-empts. `inspection_ends_at` and `dispute_window_ends_at`
//!   are exclusive: `LapseInspection` at exactly `inspection_ends_at` releases.
//! - **Rejection opens a dispute.** `RejectMilestone` is allowed while the
//!   inspection period runs, even after the dispute window closed (Escrow.com
//!   lets the buyer reject until inspection ends). Escrow.com then has the
//!   goods returned and refunds the buyer; we do not guess: the milestone
//!   becomes `Disputed` and its money stays held until `ResolveDispute`
//!   (a full refund once the return arrives, or any split).
//! - **Disputes need a delivery.** `OpenDispute` only on a delivered milestone
//!   within its dispute window. Non-delivery is handled by `Refund` or
//!   `Cancel`.
//! - **A dispute freezes the milestone.** While it is open, `AcceptMilestone`,
//!   `LapseInspection` (auto-release suppressed), `Release`,
//!   `PartialRelease` and `Refund` of it are rejected with `DisputeOpen`;
//!   only `ResolveDispute` moves its money. Release + refund may be less than
//!   what remains (zero and zero dismisses the dispute): the milestone is
//!   then `Delivered` again and `DisputeResolved` carries
//!   `inspection_ends_at` so the scheduler re-fires `LapseInspection` at the
//!   later of that and now. A new dispute may be opened while the window
//!   is still open.
//! - **Acceptance needs a delivery** and is allowed until the auto-release
//!   happens, also after inspection ended.
//! - **Agent releases** (`Release`, `PartialRelease`) work on any funded
//!   milestone with money left, delivered or not (an upfront deposit both
//!   parties instruct the agent to pay), never during a dispute.
//! - **Refunds.** `milestone: None` refunds everything not yet released of
//!   every milestone and takes no amount (`PartialRefundNeedsMilestone`);
//!   `milestone: Some` with `amount: None` refunds all that remains of it,
//!   with `Some(amount)` part of it. Refunds work before and after delivery
//!   (Escrow.com lets the seller refund), never during a dispute.
//! - **Cancellation.** Before funding it just cancels. After funding it is
//!   allowed only while nothing was delivered (`AlreadyDeliveredSome`) and
//!   nothing released (`AlreadyReleasedSome`), and refunds everything still
//!   held (`FundsRefunded` per milestone, then `EscrowCancelled`); later,
//!   the deal is unwound with `Refund` or a dispute (Escrow.com allows
//!   cancelling a paid transaction only before shipping).
//! - **Closing.** `EscrowClosed` is written right after the event that
//!   empties the escrow (after `DisputeResolved` for a decision). A
//!   cancelled escrow ends with `EscrowCancelled` instead.
//! - At most [`MAX_MILESTONES`] milestones; every milestone amount is
//!   positive; buyer and seller differ; descriptions and reasons are not
//!   blank.
//! - Scheduler commands arriving late or twice get typed errors
//!   (`MilestoneSettled`, `NotDelivered`, `DisputeOpen`, `TooEarly`); no
//!   business operation here is declared idempotent, so none is silently
//!   accepted twice. Timestamps are taken as given (no ordering check).

pub mod agent;
pub mod command;
pub mod error;
pub mod event;
pub mod party;

mod decide;
mod ledger;
mod settle;
mod state;
#[cfg(test)]
mod tests;

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

pub use agent::{AgentTerms, Charges, ChargesBalance, Commission, Settlement};
pub use command::{EscrowCommand, MilestoneInput};
pub use error::EscrowError;
pub use event::{
    EscrowBalance, EscrowEvent, EscrowStatus, MilestoneBalance, MilestoneStatus, MilestoneTerms,
    RefundCause, ReleaseCause,
};
pub use party::PartyId;

use crate::ids::{AgentId, PaymentId};
use state::{Deadlines, Milestone, Terms};

/// Most milestones one escrow may have (a checkout escrow has one per vendor).
pub const MAX_MILESTONES: usize = 100;

/// An escrow: its terms, its milestones and where the money is.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Escrow {
    terms: Option<Terms>,
    balance: Option<EscrowBalance>,
    milestones: Vec<Milestone>,
    payment_id: Option<PaymentId>,
}

impl Escrow {
    /// The buyer and the seller, once created.
    pub fn parties(&self) -> Option<(&PartyId, &PartyId)> {
        self.terms
            .as_ref()
            .map(|terms| (&terms.buyer, &terms.seller))
    }

    /// The agent of the sale, if one was named.
    pub fn agent(&self) -> Option<&AgentId> {
        let terms = self.terms.as_ref()?;
        terms.agent.as_ref().map(|a| &a.agent_id)
    }
}

impl Aggregate for Escrow {
    const TYPE: &'static str = "Escrow";
    type Command = EscrowCommand;
    type Event = EscrowEvent;
    type Error = EscrowError;
    type Services = ();

    async fn handle(
        &mut self,
        command: EscrowCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), EscrowError> {
        use EscrowCommand as C;
        let events = match command {
            C::CreateEscrow {
                buyer,
                seller,
                currency,
                amount,
                milestones,
                inspection_period_days,
                dispute_window_hours,
                agent,
                platform_fee_rate,
                at,
            } => {
                let terms = Terms {
                    buyer,
                    seller,
                    currency,
                    amount,
                    inspection_period_days,
                    dispute_window_hours,
                    agent,
                    platform_fee_rate,
                };
                self.create(terms, milestones, at)?
            }
            C::Fund {
                payment_id,
                amount,
                at,
            } => self.fund(payment_id, amount, at)?,
            C::MarkDelivered { milestone, at } => self.mark_delivered(&milestone, at)?,
            C::AcceptMilestone { milestone, at } => self.accept(&milestone, at)?,
            C::RejectMilestone {
                milestone,
                reason,
                at,
            } => self.reject(&milestone, reason, at)?,
            C::LapseInspection { milestone, at } => self.lapse_inspection(&milestone, at)?,
            C::OpenDispute {
                milestone,
                reason,
                at,
            } => self.open_dispute(&milestone, reason, at)?,
            C::ResolveDispute {
                milestone,
                release,
                refund,
                at,
            } => self.resolve_dispute(&milestone, release, refund, at)?,
            C::Release { milestone, at } => self.release(&milestone, None, at)?,
            C::PartialRelease {
                milestone,
                amount,
                at,
            } => self.release(&milestone, Some(amount), at)?,
            C::Refund {
                milestone,
                amount,
                reason,
                at,
            } => self.refund(milestone.as_ref(), amount, reason, at)?,
            C::Cancel { reason, at } => self.cancel(reason, at)?,
        };
        for event in events {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: EscrowEvent) {
        use EscrowEvent as E;
        match event {
            E::EscrowCreated {
                buyer,
                seller,
                currency,
                amount,
                milestones,
                inspection_period_days,
                dispute_window_hours,
                agent,
                platform_fee_rate,
                escrow,
                ..
            } => {
                self.terms = Some(Terms {
                    buyer,
                    seller,
                    currency,
                    amount,
                    inspection_period_days,
                    dispute_window_hours,
                    agent,
                    platform_fee_rate,
                });
                self.milestones = milestones.into_iter().map(Milestone::agreed).collect();
                self.balance = Some(escrow);
            }
            E::EscrowFunded {
                payment_id,
                milestones,
                escrow,
                ..
            } => {
                self.payment_id = Some(payment_id);
                milestones.into_iter().for_each(|m| self.set_milestone(m));
                self.balance = Some(escrow);
            }
            E::MilestoneDelivered {
                milestone,
                inspection_ends_at,
                dispute_window_ends_at,
                ..
            } => {
                let deadlines = Deadlines {
                    inspection_ends_at,
                    dispute_window_ends_at,
                };
                if let Some(m) = self.milestone_mut(&milestone.id) {
                    m.deadlines = Some(deadlines);
                }
                self.set_milestone(milestone);
            }
            E::MilestoneRejected {
                milestone, reason, ..
            }
            | E::DisputeOpened {
                milestone, reason, ..
            } => {
                if let Some(m) = self.milestone_mut(&milestone.id) {
                    m.dispute_reason = Some(reason);
                }
                self.set_milestone(milestone);
            }
            E::DisputeResolved {
                milestone, escrow, ..
            } => {
                if let Some(m) = self.milestone_mut(&milestone.id) {
                    m.dispute_reason = None;
                }
                self.set_milestone(milestone);
                self.balance = Some(escrow);
            }
            E::FundsReleased {
                milestone, escrow, ..
            }
            | E::FundsRefunded {
                milestone, escrow, ..
            } => {
                self.set_milestone(milestone);
                self.balance = Some(escrow);
            }
            E::EscrowClosed { escrow, .. } | E::EscrowCancelled { escrow, .. } => {
                self.balance = Some(escrow);
            }
        }
    }
}
