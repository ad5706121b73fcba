//! Request bodies of the escrow commands.

use crate::routes::schemas::{CurrencyCode, FreeText, Id};
use bazaar_domain::escrow::{AgentTerms, Commission, MilestoneInput, PartyId};
use bazaar_domain::ids::{AgentId, MilestoneId, PaymentId};
use bazaar_domain::money::{Currency, Money};
use bazaar_domain::text::Text;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::http::problem::Problem;
use crate::routes::common::{MoneyDoc, MoneyOrZeroDoc};

/// The terms of a new escrow.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEscrowBody {
    /// The buyer party; only admins set it (a buyer is its own buyer).
    #[schema(value_type = Option<Id>)]
    pub buyer: Option<PartyId>,
    /// The seller party: the selling vendor's id.
    #[schema(value_type = Id)]
    pub seller: PartyId,
    /// The escrow's currency.
    #[schema(value_type = CurrencyCode)]
    pub currency: Currency,
    /// The whole amount; the milestones must sum to it.
    #[schema(value_type = MoneyDoc)]
    pub amount: Money,
    /// What is delivered and paid, step by step.
    #[schema(min_items = 1, max_items = 100)]
    pub milestones: Vec<MilestoneBody>,
    /// Days the buyer has to inspect a delivery (1 to 30).
    #[schema(minimum = 1, maximum = 30)]
    pub inspection_period_days: u32,
    /// Hours after delivery in which a dispute may be opened (24 to
    /// 720, and not past the inspection period).
    #[schema(minimum = 24, maximum = 720)]
    pub dispute_window_hours: u32,
    /// The agent who brokered the sale, and its commission (paid out of
    /// every release).
    pub agent: Option<AgentBody>,
}

/// The agent of an escrow sale.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentBody {
    /// The agent's id; neither the buyer nor the seller.
    #[schema(value_type = Id)]
    pub agent_id: AgentId,
    /// What the agent earns on the sale.
    pub commission: CommissionBody,
}

/// A commission: exactly one of `bps` (basis points of the sale, 0 to
/// 10 000) and `fixed` (an amount in the escrow's currency, up to the
/// sale amount).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommissionBody {
    /// Basis points of the sale, 0 to 10 000 (250 is 2.5 %).
    pub bps: Option<i64>,
    /// A fixed amount.
    #[schema(value_type = Option<MoneyDoc>)]
    pub fixed: Option<Money>,
}

impl TryFrom<AgentBody> for AgentTerms {
    type Error = Problem;

    fn try_from(body: AgentBody) -> Result<Self, Problem> {
        let commission = match (body.commission.bps, body.commission.fixed) {
            (Some(bps), None) => Commission::Bps(u32::try_from(bps).map_err(|_| {
                Problem::invalid(
                    "commission-rate-out-of-range",
                    format!("commission of {bps} bps is outside 0..=10000"),
                )
            })?),
            (None, Some(fixed)) => Commission::Fixed(fixed),
            _ => {
                return Err(Problem::invalid(
                    "invalid-commission",
                    "a commission is exactly one of bps and fixed",
                ))
            }
        };
        Ok(Self {
            agent_id: body.agent_id,
            commission,
        })
    }
}

/// One milestone.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneBody {
    /// Its id, unique in the escrow.
    #[schema(value_type = Id)]
    pub milestone: MilestoneId,
    /// What is delivered.
    #[schema(value_type = FreeText)]
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
    #[schema(value_type = Id)]
    pub payment_id: PaymentId,
    /// The whole escrow amount.
    #[schema(value_type = MoneyDoc)]
    pub amount: Money,
}

/// How a dispute ends.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveBody {
    /// To the seller (zero or more).
    #[schema(value_type = MoneyOrZeroDoc)]
    pub release: Money,
    /// Back to the buyer (zero or more).
    #[schema(value_type = MoneyOrZeroDoc)]
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
    #[schema(value_type = Option<Id>)]
    pub milestone: Option<MilestoneId>,
    /// Part of the milestone's remaining amount; absent for all of it.
    #[schema(value_type = Option<MoneyDoc>)]
    pub amount: Option<Money>,
    /// Why.
    #[schema(value_type = FreeText)]
    pub reason: Text,
}
