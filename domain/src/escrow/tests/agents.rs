//! Agents' commissions and the platform fee on escrow releases: the terms
//! are checked, every release divides exactly, partial releases add up to
//! the agreed charges, refunds forfeit theirs, and events written before
//! agents read back unchanged.

use proptest::prelude::*;

use super::*;
use crate::ids::AgentId;
use crate::money::{FeeRate, MoneyError};

fn agent(commission: Commission) -> Option<AgentTerms> {
    Some(AgentTerms {
        agent_id: AgentId::parse("agent-1").unwrap(),
        commission,
    })
}

/// The fixture (EUR 1000.00: design 400.00, build 600.00) with an agent
/// and a fee rate.
fn create_brokered(commission: Commission, fee_bps: Option<u32>) -> EscrowCommand {
    let EscrowCommand::CreateEscrow {
        buyer,
        seller,
        currency,
        amount,
        milestones,
        inspection_period_days,
        dispute_window_hours,
        at,
        ..
    } = create()
    else {
        unreachable!("create() makes a CreateEscrow")
    };
    EscrowCommand::CreateEscrow {
        buyer,
        seller,
        currency,
        amount,
        milestones,
        inspection_period_days,
        dispute_window_hours,
        agent: agent(commission),
        platform_fee_rate: fee_bps.map(|bps| FeeRate::from_bps(bps).unwrap()),
        at,
    }
}

fn charges(commission: i64, fee: i64) -> Charges {
    Charges {
        agent_commission: eur(commission),
        platform_fee: eur(fee),
    }
}

fn partial(id: &str, amount: i64, h: i64) -> EscrowCommand {
    EscrowCommand::PartialRelease {
        milestone: ms(id),
        amount: eur(amount),
        at: at(h),
    }
}

fn settlements(events: &[EscrowEvent]) -> Vec<(Money, Settlement)> {
    events
        .iter()
        .filter_map(|e| match e {
            EscrowEvent::FundsReleased {
                amount, settlement, ..
            } => Some((*amount, settlement.expect("a brokered release is settled"))),
            _ => None,
        })
        .collect()
}

#[test]
fn the_commission_is_spread_over_the_milestones_by_largest_remainder() {
    // 2.5 % of 1000.00 = 25.00; 0.1 % fee = 1.00; design gets 40 %
    let history = after(vec![create_brokered(Commission::Bps(250), Some(10))]);
    let EscrowEvent::EscrowCreated {
        milestones, escrow, ..
    } = &history[0]
    else {
        panic!("not created: {history:?}")
    };
    assert_eq!(milestones[0].charges, Some(charges(1_000, 40)));
    assert_eq!(milestones[1].charges, Some(charges(1_500, 60)));
    let total = escrow.charges.expect("charges");
    assert_eq!(total.agreed, charges(2_500, 100));
    assert_eq!(total.pending, charges(2_500, 100));
}

#[test]
fn a_release_pays_the_agent_and_the_platform_and_the_seller_the_rest() {
    let history = after(vec![
        create_brokered(Commission::Bps(250), Some(10)),
        fund(),
    ]);
    let events = run(
        &history,
        EscrowCommand::Release {
            milestone: ms("design"),
            at: at(2),
        },
    )
    .unwrap();
    let [(amount, settlement)] = settlements(&events)[..] else {
        panic!("one release: {events:?}")
    };
    assert_eq!(amount, eur(40_000));
    assert_eq!(
        settlement,
        Settlement {
            agent_commission: eur(1_000),
            platform_fee: eur(40),
            seller_proceeds: eur(38_960),
        }
    );
}

#[test]
fn partial_releases_add_up_to_the_agreed_commission_exactly() {
    // a fixed commission of 333.33 over 1000.00: design's share is 133.33
    let fixed = Commission::Fixed(eur(33_333));
    let mut history = after(vec![create_brokered(fixed, None), fund()]);
    let mut paid = Vec::new();
    for (h, cut) in [(2, 1), (3, 7_777), (4, 3), (5, 12_219)] {
        let events = run(&history, partial("design", cut, h)).unwrap();
        paid.extend(settlements(&events));
        history.extend(events);
    }
    let events = run(
        &history,
        EscrowCommand::Release {
            milestone: ms("design"),
            at: at(6),
        },
    )
    .unwrap();
    paid.extend(settlements(&events));
    let commission: i64 = paid.iter().map(|(_, s)| s.agent_commission.amount()).sum();
    assert_eq!(commission, 13_333, "design's share of 333.33");
    for (amount, s) in &paid {
        let parts = s.agent_commission.amount() + s.platform_fee.amount();
        assert_eq!(parts + s.seller_proceeds.amount(), amount.amount());
        assert!(s.agent_commission.amount() >= 0 && s.seller_proceeds.amount() >= 0);
    }
    assert_eq!(
        paid[0].1.agent_commission,
        eur(0),
        "0.33 of one cent rounds down"
    );
}

#[test]
fn refunded_money_forfeits_its_commission_and_nothing_stays_pending() {
    let history = after(vec![
        create_brokered(Commission::Bps(1_000), None),
        fund(),
        partial("build", 45_000, 2),
    ]);
    let events = run(
        &history,
        EscrowCommand::Refund {
            milestone: Some(ms("build")),
            amount: None,
            reason: "half the stock was missing".into(),
            at: at(3),
        },
    )
    .unwrap();
    let EscrowEvent::FundsRefunded {
        forfeited,
        milestone,
        ..
    } = &events[0]
    else {
        panic!("a refund: {events:?}")
    };
    assert_eq!(*forfeited, Some(charges(1_500, 0)));
    let after = milestone.charges.expect("charges");
    assert_eq!(after.paid, charges(4_500, 0));
    assert_eq!(after.forfeited, charges(1_500, 0));
    assert_eq!(after.pending, charges(0, 0));
}

#[test]
fn commission_terms_are_checked() {
    let cases = [
        (
            create_brokered(Commission::Bps(10_001), None),
            EscrowError::CommissionRateOutOfRange(10_001),
        ),
        (
            create_brokered(Commission::Fixed(eur(-1)), None),
            EscrowError::NegativeCommission,
        ),
        (
            create_brokered(Commission::Fixed(usd(100)), None),
            EscrowError::Money(MoneyError::CurrencyMismatch {
                expected: Currency::parse("EUR").unwrap(),
                found: Currency::parse("USD").unwrap(),
            }),
        ),
        (
            create_brokered(Commission::Fixed(eur(100_001)), None),
            EscrowError::ChargesExceedSale {
                charges: eur(100_001),
                amount: eur(100_000),
            },
        ),
        (
            create_brokered(Commission::Bps(9_500), Some(600)),
            EscrowError::ChargesExceedSale {
                charges: eur(101_000),
                amount: eur(100_000),
            },
        ),
    ];
    for (command, error) in cases {
        Framework::with(())
            .given_no_previous_events()
            .when(command)
            .then_expect_error(error);
    }
}

#[test]
fn the_agent_is_neither_buyer_nor_seller() {
    let mut command = create_brokered(Commission::Bps(100), None);
    if let EscrowCommand::CreateEscrow { agent, .. } = &mut command {
        *agent = Some(AgentTerms {
            agent_id: AgentId::parse("seller-1").unwrap(),
            commission: Commission::Bps(100),
        });
    }
    Framework::with(())
        .given_no_previous_events()
        .when(command)
        .then_expect_error(EscrowError::AgentIsParty);
}

#[test]
fn events_written_before_agents_read_back_and_write_the_same_json() {
    let stored = serde_json::json!({"FundsReleased": {
        "amount": {"amount": 100, "currency": "EUR"},
        "cause": "AgentRelease",
        "milestone": {"id": "m", "status": "Settled",
            "amount": {"amount": 100, "currency": "EUR"}, "funded": {"amount": 100, "currency": "EUR"},
            "released": {"amount": 100, "currency": "EUR"}, "refunded": {"amount": 0, "currency": "EUR"},
            "remaining": {"amount": 0, "currency": "EUR"}},
        "escrow": {"status": "Funded", "amount": {"amount": 200, "currency": "EUR"},
            "funded": {"amount": 200, "currency": "EUR"}, "released": {"amount": 100, "currency": "EUR"},
            "refunded": {"amount": 0, "currency": "EUR"}, "held": {"amount": 100, "currency": "EUR"}},
        "at": "2026-03-01T00:00:00Z"}});
    let event: EscrowEvent = serde_json::from_value(stored.clone()).unwrap();
    let EscrowEvent::FundsReleased { settlement, .. } = &event else {
        panic!("{event:?}")
    };
    assert_eq!(*settlement, None);
    assert_eq!(serde_json::to_value(&event).unwrap(), stored);
}

#[test]
fn a_command_without_an_agent_serialises_as_before_agents() {
    let json = serde_json::to_value(create()).unwrap();
    let fields = json["CreateEscrow"].as_object().unwrap();
    assert!(!fields.contains_key("agent") && !fields.contains_key("platform_fee_rate"));
    let back: EscrowCommand = serde_json::from_value(json).unwrap();
    assert_eq!(back, create());
}

/// Releases and refunds in random cuts of a brokered escrow with a fee.
#[derive(Debug, Clone)]
enum Cut {
    Release(usize, i64),
    Refund(usize, i64),
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn every_release_divides_exactly_and_the_charges_always_add_up(
        bps in 0u32..=9_000,
        fee in 0u32..=1_000,
        cuts in prop::collection::vec(
            prop_oneof![
                3 => (0usize..2, 1i64..30_000).prop_map(|(m, a)| Cut::Release(m, a)),
                1 => (0usize..2, 1i64..30_000).prop_map(|(m, a)| Cut::Refund(m, a)),
            ],
            1..30,
        ),
    ) {
        let mut history = after(vec![create_brokered(Commission::Bps(bps), Some(fee)), fund()]);
        let mut paid = charges(0, 0);
        for (h, cut) in cuts.iter().enumerate() {
            let h = i64::try_from(h).unwrap() + 2;
            let command = match cut {
                Cut::Release(m, a) => partial(["design", "build"][*m], *a, h),
                Cut::Refund(m, a) => EscrowCommand::Refund {
                    milestone: Some(ms(["design", "build"][*m])),
                    amount: Some(eur(*a)),
                    reason: "short".into(),
                    at: at(h),
                },
            };
            let Ok(events) = run(&history, command) else { continue };
            for (amount, s) in settlements(&events) {
                prop_assert!(s.agent_commission.amount() >= 0 && s.platform_fee.amount() >= 0);
                prop_assert!(s.seller_proceeds.amount() >= 0);
                let sum = s.agent_commission.amount() + s.platform_fee.amount()
                    + s.seller_proceeds.amount();
                prop_assert_eq!(sum, amount.amount());
                paid = paid.plus(charges(s.agent_commission.amount(), s.platform_fee.amount())).unwrap();
            }
            history.extend(events);
        }
        let escrow = state(&history);
        let total = escrow.balance().unwrap().charges.unwrap();
        prop_assert_eq!(total.paid, paid);
        let sum = total.paid.plus(total.forfeited).unwrap().plus(total.pending).unwrap();
        prop_assert_eq!(sum, total.agreed);
        for m in &escrow.milestones {
            let c = m.balance.charges.unwrap();
            prop_assert!(c.pending.agent_commission.amount() >= 0 && c.pending.platform_fee.amount() >= 0);
            if m.balance.status == MilestoneStatus::Settled {
                prop_assert_eq!(c.pending, charges(0, 0));
            }
            if m.balance.refunded.amount() == 0 && m.balance.remaining.amount() == 0 {
                prop_assert_eq!(c.paid, c.agreed);
            }
        }
    }
}
