//! The charges taken from an escrow's releases: an agent's commission and
//! the platform's fee, and how each release, refund and milestone gets its
//! exact share of them.
//!
//! # The rule
//! The charges of the whole sale are fixed when the escrow is created: the
//! commission is `bps` of the amount rounded once, half up (like the
//! platform fee of an order), or a fixed amount; the platform fee is its
//! rate of the amount, rounded the same way. Both are spread over the
//! milestones by largest remainder weighted by milestone amount, ties by
//! milestone id ([`allocate`]).
//!
//! Within a milestone of amount `a` with charges `c` (commission) and `f`
//! (fee), what has been *paid* once `r` of it was released is
//! `deducted(r) = round(r × (c + f) / a)`, of which the commission is
//! `round(deducted × c / (c + f))` and the fee the rest; each rounding is a
//! two-part largest-remainder split, half up. These are cumulative figures:
//! a release pays the difference between the figures after and before it.
//! Both are monotone in `r` and grow by at most the amount released, so a
//! release never pays a negative charge and never more than it moves; once
//! the whole milestone is released exactly `c` and `f` have been paid,
//! however it was cut into partial releases.
//!
//! Refunded money carries no charge: after `s` of the milestone was
//! refunded, the *forfeited* charges are those of the money that can no
//! longer be released, `charges(a) − charges(a − s)`. What is neither paid
//! nor forfeited is *pending*: it is paid if the money still held is
//! released. Released + refunded ≤ a keeps pending ≥ 0; a settled
//! milestone has nothing pending.

use serde::{Deserialize, Serialize};

use super::EscrowError;
use crate::ids::{AgentId, MilestoneId};
use crate::money::{allocate, FeeRate, Money, MoneyError};

/// What the agent of an escrow earns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Commission {
    /// Basis points of the sale, 0 to 10 000.
    Bps(u32),
    /// A fixed amount in the escrow's currency, 0 up to the sale amount.
    Fixed(Money),
}

/// The agent of an escrow sale and its commission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentTerms {
    /// Who brought the parties together.
    pub agent_id: AgentId,
    /// What the agent earns on the sale.
    pub commission: Commission,
}

/// An amount of each charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charges {
    /// The agent's part (zero without an agent).
    pub agent_commission: Money,
    /// The platform's part (zero without a fee rate).
    pub platform_fee: Money,
}

/// Where one milestone's (or the escrow's) charges stand after an event:
/// `agreed = paid + forfeited + pending`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargesBalance {
    /// Fixed at creation.
    pub agreed: Charges,
    /// Paid with releases.
    pub paid: Charges,
    /// Given up with refunds: refunded money carries no charge.
    pub forfeited: Charges,
    /// Paid if the money still to be released is released.
    pub pending: Charges,
}

/// How one release was divided: `agent_commission + platform_fee +
/// seller_proceeds` is the amount released, exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settlement {
    /// Paid to the escrow's agent.
    pub agent_commission: Money,
    /// Kept by the platform.
    pub platform_fee: Money,
    /// Paid to the seller.
    pub seller_proceeds: Money,
}

impl Charges {
    /// Zero of both, in `currency`.
    pub fn zero(currency: crate::money::Currency) -> Self {
        let zero = Money::zero(currency);
        Self {
            agent_commission: zero,
            platform_fee: zero,
        }
    }

    /// Both charges together.
    pub fn total(&self) -> Result<Money, MoneyError> {
        self.agent_commission.checked_add(self.platform_fee)
    }

    /// Part by part, `self + other`.
    pub fn plus(self, other: Self) -> Result<Self, MoneyError> {
        Ok(Self {
            agent_commission: self.agent_commission.checked_add(other.agent_commission)?,
            platform_fee: self.platform_fee.checked_add(other.platform_fee)?,
        })
    }

    /// Part by part, `self − other`.
    pub fn minus(self, other: Self) -> Result<Self, MoneyError> {
        Ok(Self {
            agent_commission: self.agent_commission.checked_sub(other.agent_commission)?,
            platform_fee: self.platform_fee.checked_sub(other.platform_fee)?,
        })
    }
}

impl ChargesBalance {
    /// Nothing paid or forfeited yet: everything agreed is pending.
    pub fn agreed(agreed: Charges) -> Self {
        let zero = Charges::zero(agreed.agent_commission.currency());
        Self {
            agreed,
            paid: zero,
            forfeited: zero,
            pending: agreed,
        }
    }

    /// The milestone's charges after `released` and `refunded` of its
    /// `amount` left it.
    pub(super) fn after(
        agreed: Charges,
        amount: Money,
        released: Money,
        refunded: Money,
    ) -> Result<Self, EscrowError> {
        let paid = paid_after(agreed, amount, released)?;
        let releasable = amount.checked_sub(refunded)?;
        let forfeited = agreed.minus(paid_after(agreed, amount, releasable)?)?;
        let pending = agreed.minus(paid)?.minus(forfeited)?;
        Ok(Self {
            agreed,
            paid,
            forfeited,
            pending,
        })
    }

    /// Part by part, `self + other` (escrow totals from milestones).
    pub(super) fn plus(self, other: Self) -> Result<Self, MoneyError> {
        Ok(Self {
            agreed: self.agreed.plus(other.agreed)?,
            paid: self.paid.plus(other.paid)?,
            forfeited: self.forfeited.plus(other.forfeited)?,
            pending: self.pending.plus(other.pending)?,
        })
    }
}

/// The charges of the whole sale of `amount`, checked: a rate of at most
/// 10 000 bps, a fixed commission in the sale's currency, not negative, and
/// commission + fee no more than the sale.
pub(super) fn agreed(
    amount: Money,
    agent: Option<&AgentTerms>,
    fee_rate: Option<FeeRate>,
) -> Result<Charges, EscrowError> {
    let currency = amount.currency();
    let agent_commission = match agent.map(|a| a.commission) {
        None => Money::zero(currency),
        Some(Commission::Bps(bps)) => {
            let rate =
                FeeRate::from_bps(bps).map_err(|_| EscrowError::CommissionRateOutOfRange(bps))?;
            Money::new(rate.fee_on(amount.amount())?, currency)
        }
        Some(Commission::Fixed(fixed)) => {
            amount.same_currency(fixed)?;
            if fixed.amount() < 0 {
                return Err(EscrowError::NegativeCommission);
            }
            fixed
        }
    };
    let fee = fee_rate.map_or(Ok(0), |rate| rate.fee_on(amount.amount()))?;
    let charges = Charges {
        agent_commission,
        platform_fee: Money::new(fee, currency),
    };
    let total = charges.total()?;
    if total.amount() > amount.amount() {
        return Err(EscrowError::ChargesExceedSale {
            charges: total,
            amount,
        });
    }
    Ok(charges)
}

/// The sale's charges spread over the milestones (largest remainder,
/// weighted by amount, ties by milestone id), in the order given.
pub(super) fn per_milestone(
    total: Charges,
    milestones: &[(MilestoneId, Money)],
) -> Result<Vec<Charges>, EscrowError> {
    let weights: Vec<(MilestoneId, i64)> = milestones
        .iter()
        .map(|(id, amount)| (id.clone(), amount.amount()))
        .collect();
    let currency = total.agent_commission.currency();
    let commission = allocate(total.agent_commission.amount(), &weights)?;
    let fee = allocate(total.platform_fee.amount(), &weights)?;
    let parts = commission
        .into_iter()
        .zip(fee)
        .map(|((_, c), (_, f))| Charges {
            agent_commission: Money::new(c, currency),
            platform_fee: Money::new(f, currency),
        });
    Ok(parts.collect())
}

/// The charges paid once `released` of a milestone of `amount` with
/// charges `agreed` was released (see the module docs).
pub(super) fn paid_after(
    agreed: Charges,
    amount: Money,
    released: Money,
) -> Result<Charges, EscrowError> {
    let currency = amount.currency();
    let (c, f) = (
        agreed.agent_commission.amount(),
        agreed.platform_fee.amount(),
    );
    let all = c.checked_add(f).ok_or(MoneyError::Overflow)?;
    if all == 0 {
        return Ok(Charges::zero(currency));
    }
    let deducted = share(all, released.amount(), amount.amount())?;
    let commission = share(c, deducted, all)?;
    Ok(Charges {
        agent_commission: Money::new(commission, currency),
        platform_fee: Money::new(deducted - commission, currency),
    })
}

/// `round(total × part / whole)`, half up, as the first part of a
/// two-part largest-remainder split of `total` over (`part`, `whole −
/// part`).
fn share(total: i64, part: i64, whole: i64) -> Result<i64, MoneyError> {
    let rest = whole.checked_sub(part).ok_or(MoneyError::Overflow)?;
    let split = allocate(total, &[(0u8, part), (1u8, rest)])?;
    Ok(split[0].1)
}
