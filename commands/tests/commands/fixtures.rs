//! The escrow commands the executor and scheduler tests share.

use bazaar_domain::escrow::command::{EscrowCommand, MilestoneInput};
use bazaar_domain::escrow::PartyId;
use bazaar_domain::ids::{MilestoneId, PaymentId};
use bazaar_domain::money::Currency;
use bazaar_testkit::fixtures::{eur, t0};

/// A two-milestone escrow of 100.00 EUR.
pub(crate) fn create_escrow() -> EscrowCommand {
    let milestone = |id: &str, amount| MilestoneInput {
        milestone: MilestoneId::parse(id).unwrap(),
        description: format!("deliver {id}"),
        amount: eur(amount),
    };
    EscrowCommand::CreateEscrow {
        buyer: PartyId::parse("buyer-1").unwrap(),
        seller: PartyId::parse("seller-1").unwrap(),
        currency: Currency::parse("EUR").unwrap(),
        amount: eur(10_000),
        milestones: vec![milestone("m-1", 6_000), milestone("m-2", 4_000)],
        inspection_period_days: 3,
        dispute_window_hours: 48,
        agent: None,
        platform_fee_rate: None,
        at: t0(),
    }
}

pub(crate) fn fund(amount: i64) -> EscrowCommand {
    EscrowCommand::Fund {
        payment_id: PaymentId::parse("pay-1").unwrap(),
        amount: eur(amount),
        at: t0(),
    }
}
