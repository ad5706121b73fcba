//! Facts about an escrow. Every event carries the resulting balances and
//! statuses, so read models copy them and never recompute.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::agent::{AgentTerms, Charges, ChargesBalance, Settlement};
use super::PartyId;
use crate::ids::{MilestoneId, PaymentId};
use crate::money::{Currency, FeeRate, Money};

/// Where the escrow as a whole stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EscrowStatus {
    /// Terms agreed, no money yet.
    AwaitingFunding,
    /// The whole amount is held; milestones are being delivered and paid.
    Funded,
    /// Every unit of money was released or refunded. Final.
    Closed,
    /// Called off; anything funded was refunded. Final.
    Cancelled,
}

/// Where one milestone stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MilestoneStatus {
    /// Not delivered yet.
    AwaitingDelivery,
    /// Delivered; in (or past) its inspection period, auto-release pending.
    Delivered,
    /// A dispute is open; auto-release is suppressed.
    Disputed,
    /// Nothing remains: everything was released or refunded.
    Settled,
}

/// Why money went to the seller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReleaseCause {
    /// The buyer accepted the delivery.
    BuyerAccepted,
    /// The inspection period ended without a dispute.
    InspectionLapsed,
    /// An agent released (Release or PartialRelease).
    AgentRelease,
    /// The decision on a dispute.
    DisputeResolution,
}

/// Why money went back to the buyer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RefundCause {
    /// A Refund command.
    Refund,
    /// The escrow was cancelled after funding.
    Cancellation,
    /// The decision on a dispute.
    DisputeResolution,
}

/// One milestone as agreed at creation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MilestoneTerms {
    /// Unique within the escrow.
    pub id: MilestoneId,
    /// What is delivered.
    pub description: String,
    /// Its share of the escrow amount.
    pub amount: Money,
    /// Its share of the agent's commission and the platform fee; absent
    /// when the escrow takes neither (and in events written before agents).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charges: Option<Charges>,
}

/// A milestone's money after an event: `remaining = funded - released -
/// refunded`, the money still held for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MilestoneBalance {
    /// Which milestone.
    pub id: MilestoneId,
    /// Its status after the event.
    pub status: MilestoneStatus,
    /// Its agreed amount.
    pub amount: Money,
    /// Held for it: zero before funding, its amount after.
    pub funded: Money,
    /// Paid to the seller so far.
    pub released: Money,
    /// Paid back to the buyer so far.
    pub refunded: Money,
    /// Still held.
    pub remaining: Money,
    /// Its charges paid, forfeited and pending; absent when the escrow
    /// takes none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charges: Option<ChargesBalance>,
}

/// The escrow's totals after an event: `held = funded - released - refunded`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EscrowBalance {
    /// The escrow's status after the event.
    pub status: EscrowStatus,
    /// The agreed amount.
    pub amount: Money,
    /// Received from the buyer.
    pub funded: Money,
    /// Paid to the seller so far.
    pub released: Money,
    /// Paid back to the buyer so far.
    pub refunded: Money,
    /// Still held.
    pub held: Money,
    /// The charges of every milestone together; absent when the escrow
    /// takes none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charges: Option<ChargesBalance>,
}

/// Events of the [`Escrow`](super::Escrow) aggregate. The variant names are
/// persisted as event types: never rename them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum EscrowEvent {
    /// Terms were agreed.
    EscrowCreated {
        /// Who pays in.
        buyer: PartyId,
        /// Who is paid out.
        seller: PartyId,
        /// The escrow's one currency.
        currency: Currency,
        /// The total to be funded.
        amount: Money,
        /// The milestones, in the order given.
        milestones: Vec<MilestoneTerms>,
        /// Days of inspection after each delivery.
        inspection_period_days: u32,
        /// Hours after each delivery during which a dispute may be opened.
        dispute_window_hours: u32,
        /// The agent of the sale and its commission, if one was named.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agent: Option<AgentTerms>,
        /// The platform's fee rate on releases, if it takes one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        platform_fee_rate: Option<FeeRate>,
        /// Totals (all zero) and status `AwaitingFunding`; the charges of
        /// the whole sale, all pending.
        escrow: EscrowBalance,
        /// When.
        at: DateTime<Utc>,
    },
    /// The whole amount was received.
    EscrowFunded {
        /// The capture at the payment provider.
        payment_id: PaymentId,
        /// The amount received.
        amount: Money,
        /// Every milestone, now funded.
        milestones: Vec<MilestoneBalance>,
        /// Totals and status `Funded`.
        escrow: EscrowBalance,
        /// When.
        at: DateTime<Utc>,
    },
    /// A milestone was delivered. The scheduler fires `LapseInspection` at
    /// `inspection_ends_at`.
    MilestoneDelivered {
        /// The milestone, now `Delivered`.
        milestone: MilestoneBalance,
        /// When auto-release becomes due.
        inspection_ends_at: DateTime<Utc>,
        /// Until when (exclusive) a dispute may be opened.
        dispute_window_ends_at: DateTime<Utc>,
        /// When it was delivered.
        at: DateTime<Utc>,
    },
    /// The buyer rejected a delivery; the milestone is now `Disputed`.
    MilestoneRejected {
        /// The milestone, now `Disputed`.
        milestone: MilestoneBalance,
        /// The buyer's reason.
        reason: String,
        /// When.
        at: DateTime<Utc>,
    },
    /// A dispute was opened; the milestone is now `Disputed`.
    DisputeOpened {
        /// The milestone, now `Disputed`.
        milestone: MilestoneBalance,
        /// The stated reason.
        reason: String,
        /// When.
        at: DateTime<Utc>,
    },
    /// A dispute was decided and closed. Comes after the money events of
    /// the decision. If money remains, the milestone is `Delivered` again
    /// and auto-release is due at `inspection_ends_at` (or now, if past).
    DisputeResolved {
        /// The milestone after the decision.
        milestone: MilestoneBalance,
        /// Released to the seller by this decision.
        released: Money,
        /// Refunded to the buyer by this decision.
        refunded: Money,
        /// When the (unchanged) inspection period ends.
        inspection_ends_at: DateTime<Utc>,
        /// Totals after the decision.
        escrow: EscrowBalance,
        /// When.
        at: DateTime<Utc>,
    },
    /// Money left the escrow for the seller (less the agent's commission
    /// and the platform fee, when the escrow takes them).
    FundsReleased {
        /// How much, positive.
        amount: Money,
        /// Why.
        cause: ReleaseCause,
        /// Who gets what of `amount`; absent when the escrow takes no
        /// charges (all of it is the seller's).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        settlement: Option<Settlement>,
        /// The milestone after the release.
        milestone: MilestoneBalance,
        /// Totals after the release.
        escrow: EscrowBalance,
        /// When.
        at: DateTime<Utc>,
    },
    /// Money left the escrow for the buyer.
    FundsRefunded {
        /// How much, positive.
        amount: Money,
        /// Why, as a kind.
        cause: RefundCause,
        /// Why, in words.
        reason: String,
        /// The charges this refund gave up (refunded money carries none);
        /// absent when the escrow takes no charges.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        forfeited: Option<Charges>,
        /// The milestone after the refund.
        milestone: MilestoneBalance,
        /// Totals after the refund.
        escrow: EscrowBalance,
        /// When.
        at: DateTime<Utc>,
    },
    /// The last money left; the escrow is `Closed` and never changes again.
    EscrowClosed {
        /// Final totals, status `Closed`.
        escrow: EscrowBalance,
        /// When.
        at: DateTime<Utc>,
    },
    /// The escrow was called off and never changes again. After funding,
    /// `FundsRefunded` events for every milestone come first.
    EscrowCancelled {
        /// Why.
        reason: String,
        /// Refunded by the cancellation (zero before funding).
        refunded: Money,
        /// Final totals, status `Cancelled`.
        escrow: EscrowBalance,
        /// When.
        at: DateTime<Utc>,
    },
}

impl DomainEvent for EscrowEvent {
    fn event_type(&self) -> String {
        let name = match self {
            Self::EscrowCreated { .. } => "EscrowCreated",
            Self::EscrowFunded { .. } => "EscrowFunded",
            Self::MilestoneDelivered { .. } => "MilestoneDelivered",
            Self::MilestoneRejected { .. } => "MilestoneRejected",
            Self::DisputeOpened { .. } => "DisputeOpened",
            Self::DisputeResolved { .. } => "DisputeResolved",
            Self::FundsReleased { .. } => "FundsReleased",
            Self::FundsRefunded { .. } => "FundsRefunded",
            Self::EscrowClosed { .. } => "EscrowClosed",
            Self::EscrowCancelled { .. } => "EscrowCancelled",
        };
        name.to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}
