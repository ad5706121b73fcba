//! Request bodies of the escrow commands.

use bazaar_domain::escrow::{MilestoneInput, PartyId};
use bazaar_domain::ids::{MilestoneId, PaymentId};
use bazaar_domain::money::{Currency, Money};
use bazaar_domain::text::Text;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::routes::common::MoneyDoc;

/// The terms of a new escrow.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEscrowBody {
    /// The buyer party; only admins set it (a buyer is its own buyer).
    #[schema(value_type = Option<String>)]
    pub buyer: Option<PartyId>,
    /// The seller party: the selling vendor's id.
    #[schema(value_type = String)]
    pub seller: PartyId,
    /// The escrow's currency.
    #[schema(value_type = String)]
    pub currency: Currency,
    /// The whole amount; the milestones must sum to it.
    #[schema(value_type = MoneyDoc)]
    pub amount: Money,
    /// What is delivered and paid, step by step.
    pub milestones: Vec<MilestoneBody>,
    /// Days the buyer has to inspect a delivery (1 to 30).
    pub inspection_period_days: u32,
    /// Hours after delivery in which a dispute may be opened.
    pub dispute_window_hours: u32,
}

/// One milestone.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneBody {
    /// Its id, unique in the escrow.
    #[schema(value_type = String)]
    pub milestone: MilestoneId,
    /// What is delivered.
    #[schema(value_type = String)]
    pub description: Text,
    /// What it pays.
    #[schema(value_type = MoneyDoc)]
    pub amount: Money,
}

impl From<MilestoneBody> for MilestoneInput {
    fn from(body: MilestoneBody) -> Self {
        Self {
            milestone: body.milestone,
            description: body.description.into(),
            amount: body.amount,
        }
    }
}

/// The buyer's payment into the escrow.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FundBody {
    /// The capture at the payment provider.
    #[schema(value_type = String)]
    pub payment_id: PaymentId,
    /// The whole escrow amount.
    #[schema(value_type = MoneyDoc)]
    pub amount: Money,
}

/// How a dispute ends.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveBody {
    /// To the seller.
    #[schema(value_type = MoneyDoc)]
    pub release: Money,
    /// Back to the buyer.
    #[schema(value_type = MoneyDoc)]
    pub refund: Money,
}

/// An amount.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AmountBody {
    /// The amount.
    #[schema(value_type = MoneyDoc)]
    pub amount: Money,
}

/// A refund to the buyer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscrowRefundBody {
    /// One milestone, or absent for everything still held.
    #[schema(value_type = Option<String>)]
    pub milestone: Option<MilestoneId>,
    /// Part of the milestone's remaining amount; absent for all of it.
    #[schema(value_type = Option<MoneyDoc>)]
    pub amount: Option<Money>,
    /// Why.
    #[schema(value_type = String)]
    pub reason: Text,
}
