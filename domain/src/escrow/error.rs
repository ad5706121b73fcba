//! Why an escrow rejected a command. A rejection writes no events.

use chrono::{DateTime, Utc};

use crate::ids::MilestoneId;
use crate::money::{Money, MoneyError};

/// Rejections of the [`Escrow`](super::Escrow) aggregate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum EscrowError {
    /// Any command but `CreateEscrow` before the escrow exists.
    #[error("escrow does not exist")]
    NotCreated,
    /// `CreateEscrow` on an existing escrow.
    #[error("escrow already exists")]
    AlreadyCreated,
    /// The escrow is closed: everything was released or refunded.
    #[error("escrow is closed")]
    Closed,
    /// The escrow was cancelled.
    #[error("escrow is cancelled")]
    Cancelled,
    /// The inspection period is outside 1..=30 days.
    #[error("inspection period of {0} days is outside 1..=30")]
    InspectionPeriodOutOfRange(u32),
    /// The dispute window is outside 24..=720 hours.
    #[error("dispute window of {0} hours is outside 24..=720")]
    DisputeWindowOutOfRange(u32),
    /// The dispute window would outlast the inspection period.
    #[error("dispute window is longer than the inspection period")]
    DisputeWindowExceedsInspection,
    /// Buyer and seller are the same party.
    #[error("buyer and seller are the same party")]
    BuyerIsSeller,
    /// The agent is the buyer or the seller.
    #[error("the agent may be neither buyer nor seller")]
    AgentIsParty,
    /// A commission rate outside 0..=10000 basis points.
    #[error("commission of {0} bps is outside 0..=10000")]
    CommissionRateOutOfRange(u32),
    /// A fixed commission below zero.
    #[error("commission must not be negative")]
    NegativeCommission,
    /// Commission and platform fee together are more than the sale.
    #[error("commission and fee of {charges} exceed the sale amount {amount}")]
    ChargesExceedSale {
        /// Commission + fee.
        charges: Money,
        /// The escrow amount.
        amount: Money,
    },
    /// No milestones were given.
    #[error("an escrow needs at least one milestone")]
    NoMilestones,
    /// More than [`MAX_MILESTONES`](super::MAX_MILESTONES) milestones.
    #[error("too many milestones")]
    TooManyMilestones,
    /// Two milestones share an id.
    #[error("duplicate milestone {0}")]
    DuplicateMilestone(MilestoneId),
    /// A milestone description is blank.
    #[error("milestone description is blank")]
    BlankDescription,
    /// A reason is blank.
    #[error("reason is blank")]
    BlankReason,
    /// A reason or description holds a control character (NUL and the
    /// like: see [`crate::text`]).
    #[error("text must not contain control characters")]
    ControlCharacter,
    /// An amount that must be positive is zero or negative.
    #[error("amount must be positive")]
    NonPositiveAmount,
    /// The milestone amounts do not add up to the escrow amount.
    #[error("milestones sum to {sum}, not the escrow amount {amount}")]
    MilestoneSumMismatch {
        /// The escrow amount.
        amount: Money,
        /// What the milestones add up to.
        sum: Money,
    },
    /// The escrow was already funded.
    #[error("escrow is already funded")]
    AlreadyFunded,
    /// Funding must be exactly the escrow amount.
    #[error("funding of {received} does not match the escrow amount {expected}")]
    FundingMismatch {
        /// The escrow amount.
        expected: Money,
        /// What the payment brought.
        received: Money,
    },
    /// The escrow is not funded yet.
    #[error("escrow is not funded")]
    NotFunded,
    /// No milestone has this id.
    #[error("unknown milestone {0}")]
    UnknownMilestone(MilestoneId),
    /// The milestone was not delivered yet.
    #[error("milestone is not delivered")]
    NotDelivered,
    /// The milestone was already delivered.
    #[error("milestone is already delivered")]
    AlreadyDelivered,
    /// Nothing remains of the milestone: it was released or refunded.
    #[error("milestone is settled")]
    MilestoneSettled,
    /// A dispute is open on the milestone; only `ResolveDispute` moves its
    /// money (this is also how auto-release is suppressed).
    #[error("a dispute is open on the milestone")]
    DisputeOpen,
    /// `ResolveDispute` without an open dispute.
    #[error("no dispute is open on the milestone")]
    NoDispute,
    /// `RejectMilestone` after the inspection period.
    #[error("inspection period is over")]
    InspectionOver,
    /// `OpenDispute` after the dispute window.
    #[error("dispute window is closed")]
    DisputeWindowClosed,
    /// `LapseInspection` before the inspection period ends.
    #[error("inspection period ends at {inspection_ends_at}")]
    TooEarly {
        /// When the inspection period ends.
        inspection_ends_at: DateTime<Utc>,
    },
    /// An amount is more than what remains of the milestone.
    #[error("{requested} exceeds the {remaining} left on the milestone")]
    ExceedsRemaining {
        /// What was asked for.
        requested: Money,
        /// What remains.
        remaining: Money,
    },
    /// A partial refund did not name a milestone.
    #[error("a partial refund must name a milestone")]
    PartialRefundNeedsMilestone,
    /// `Cancel` after a milestone was delivered.
    #[error("a milestone was delivered; refund or dispute instead")]
    AlreadyDeliveredSome,
    /// `Cancel` after money went to the seller.
    #[error("funds were released; refund the rest instead")]
    AlreadyReleasedSome,
    /// A deadline does not fit in the calendar.
    #[error("date out of range")]
    DateOutOfRange,
    /// Currency mismatch or overflow.
    #[error(transparent)]
    Money(#[from] MoneyError),
}
