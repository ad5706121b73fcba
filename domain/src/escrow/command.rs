//! What callers ask an escrow to do.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::agent::AgentTerms;
use super::PartyId;
use crate::ids::{MilestoneId, PaymentId};
use crate::money::{Currency, FeeRate, Money};

/// One milestone of the terms: a part of the deal that is delivered,
/// inspected and paid out on its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MilestoneInput {
    /// Unique within the escrow; for a checkout escrow, the vendor id.
    pub milestone: MilestoneId,
    /// What the seller delivers for this milestone (not blank).
    pub description: String,
    /// Positive; all milestone amounts sum to the escrow amount.
    pub amount: Money,
}

/// Commands of the [`Escrow`](super::Escrow) aggregate. `at` is "now" as
/// the caller (API or durable scheduler) sees it; the domain never reads a
/// clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum EscrowCommand {
    /// Agree the terms. Nothing is held yet.
    CreateEscrow {
        /// Who pays in and gets refunds.
        buyer: PartyId,
        /// Who is paid out (the marketplace for a checkout escrow).
        seller: PartyId,
        /// The one currency of the escrow.
        currency: Currency,
        /// The total to be funded.
        amount: Money,
        /// At least one, at most [`MAX_MILESTONES`](super::MAX_MILESTONES).
        milestones: Vec<MilestoneInput>,
        /// Days the buyer has to inspect a delivery, 1..=30.
        inspection_period_days: u32,
        /// Hours after delivery during which a dispute may be opened,
        /// 24..=720 and no longer than the inspection period.
        dispute_window_hours: u32,
        /// The agent who brokered the sale and its commission, paid out of
        /// every release; neither buyer nor seller. Absent fields are left
        /// out when serialised, so a command without them hashes as it did
        /// before agents (command ids of stored commands stay valid).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agent: Option<AgentTerms>,
        /// The platform's fee on releases (not for checkout escrows, whose
        /// fee is taken in the payment split).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        platform_fee_rate: Option<FeeRate>,
        /// When the terms were agreed.
        at: DateTime<Utc>,
    },
    /// The buyer's payment arrived; it must be the whole escrow amount.
    Fund {
        /// The capture at the payment provider.
        payment_id: PaymentId,
        /// Must equal the escrow amount.
        amount: Money,
        /// When the funds were received.
        at: DateTime<Utc>,
    },
    /// The seller delivered a milestone; its inspection period starts.
    MarkDelivered {
        /// The delivered milestone.
        milestone: MilestoneId,
        /// When it was delivered.
        at: DateTime<Utc>,
    },
    /// The buyer accepts a delivery: what remains of it goes to the seller.
    AcceptMilestone {
        /// The accepted milestone.
        milestone: MilestoneId,
        /// When the buyer accepted.
        at: DateTime<Utc>,
    },
    /// The buyer rejects a delivery during inspection; this opens a dispute.
    RejectMilestone {
        /// The rejected milestone.
        milestone: MilestoneId,
        /// Why (not blank).
        reason: String,
        /// When the buyer rejected.
        at: DateTime<Utc>,
    },
    /// Scheduled at `inspection_ends_at`: release if no dispute is open.
    LapseInspection {
        /// The milestone whose inspection period ended.
        milestone: MilestoneId,
        /// When the scheduler fired.
        at: DateTime<Utc>,
    },
    /// A party disputes a delivery within the dispute window.
    OpenDispute {
        /// The disputed milestone.
        milestone: MilestoneId,
        /// Why (not blank).
        reason: String,
        /// When the dispute was opened.
        at: DateTime<Utc>,
    },
    /// The agent's decision on an open dispute; closes it.
    ResolveDispute {
        /// The disputed milestone.
        milestone: MilestoneId,
        /// Paid to the seller, zero or more.
        release: Money,
        /// Paid back to the buyer, zero or more.
        refund: Money,
        /// When the dispute was decided.
        at: DateTime<Utc>,
    },
    /// Agent release of everything that remains of a milestone.
    Release {
        /// The milestone to pay out.
        milestone: MilestoneId,
        /// When the agent released.
        at: DateTime<Utc>,
    },
    /// Agent release of part of what remains of a milestone.
    PartialRelease {
        /// The milestone to pay out from.
        milestone: MilestoneId,
        /// Positive, at most what remains of the milestone.
        amount: Money,
        /// When the agent released.
        at: DateTime<Utc>,
    },
    /// Pay money back to the buyer.
    Refund {
        /// `None`: everything not yet released, across all milestones.
        milestone: Option<MilestoneId>,
        /// `None`: all that remains; `Some`: a partial refund of the named
        /// milestone (requires `milestone`).
        amount: Option<Money>,
        /// Why (not blank).
        reason: String,
        /// When the refund was decided.
        at: DateTime<Utc>,
    },
    /// Call the deal off: before funding, or after funding while nothing
    /// was delivered or released (then everything is refunded).
    Cancel {
        /// Why (not blank).
        reason: String,
        /// When it was cancelled.
        at: DateTime<Utc>,
    },
}
