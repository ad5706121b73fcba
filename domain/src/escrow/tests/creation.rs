use super::*;
use crate::money::MoneyError;

fn create_terms(days: u32, hours: u32) -> EscrowCommand {
    let EscrowCommand::CreateEscrow {
        buyer,
        seller,
        currency,
        amount,
        milestones,
        at,
        ..
    } = create()
    else {
        unreachable!()
    };
    EscrowCommand::CreateEscrow {
        buyer,
        seller,
        currency,
        amount,
        milestones,
        inspection_period_days: days,
        dispute_window_hours: hours,
        agent: None,
        platform_fee_rate: None,
        at,
    }
}

#[test]
fn creating_an_escrow_records_the_terms_and_zero_totals() {
    let zero = eur(0);
    Framework::with(())
        .given_no_previous_events()
        .when(create())
        .then_expect_events(vec![EscrowEvent::EscrowCreated {
            buyer: party("buyer-1"),
            seller: party("seller-1"),
            currency: Currency::parse("EUR").unwrap(),
            amount: eur(100_000),
            milestones: vec![
                MilestoneTerms {
                    id: ms("design"),
                    description: "design work".into(),
                    amount: eur(40_000),
                    charges: None,
                },
                MilestoneTerms {
                    id: ms("build"),
                    description: "build work".into(),
                    amount: eur(60_000),
                    charges: None,
                },
            ],
            inspection_period_days: 3,
            dispute_window_hours: 48,
            agent: None,
            platform_fee_rate: None,
            escrow: EscrowBalance {
                status: EscrowStatus::AwaitingFunding,
                amount: eur(100_000),
                funded: zero,
                released: zero,
                refunded: zero,
                held: zero,
                charges: None,
            },
            at: at(0),
        }]);
}

#[test]
fn zero_and_three_decimal_currencies_work() {
    for code in ["JPY", "KWD"] {
        let money = |n| Money::new(n, Currency::parse(code).unwrap());
        let command = create_with(
            money(1_001),
            vec![milestone("a", money(1)), milestone("b", money(1_000))],
        );
        assert!(run(&[], command).is_ok(), "{code}");
    }
}

#[test]
fn creating_an_existing_escrow_is_rejected() {
    Framework::with(())
        .given(created())
        .when(create())
        .then_expect_error(EscrowError::AlreadyCreated);
}

#[test]
fn commands_before_creation_are_rejected() {
    Framework::with(())
        .given_no_previous_events()
        .when(fund())
        .then_expect_error(EscrowError::NotCreated);
}

#[test]
fn an_escrow_without_milestones_is_rejected() {
    let command = create_with(eur(100), vec![]);
    Framework::with(())
        .given_no_previous_events()
        .when(command)
        .then_expect_error(EscrowError::NoMilestones);
}

#[test]
fn more_than_the_maximum_of_milestones_is_rejected() {
    let milestones = (0..=MAX_MILESTONES)
        .map(|i| milestone(&format!("m{i}"), eur(1)))
        .collect();
    let command = create_with(eur(MAX_MILESTONES as i64 + 1), milestones);
    Framework::with(())
        .given_no_previous_events()
        .when(command)
        .then_expect_error(EscrowError::TooManyMilestones);
}

#[test]
fn duplicate_milestone_ids_are_rejected() {
    let command = create_with(
        eur(200),
        vec![milestone("a", eur(100)), milestone("a", eur(100))],
    );
    Framework::with(())
        .given_no_previous_events()
        .when(command)
        .then_expect_error(EscrowError::DuplicateMilestone(ms("a")));
}

#[test]
fn milestones_that_do_not_sum_to_the_amount_are_rejected() {
    let command = create_with(
        eur(1_000),
        vec![milestone("a", eur(400)), milestone("b", eur(599))],
    );
    Framework::with(())
        .given_no_previous_events()
        .when(command)
        .then_expect_error(EscrowError::MilestoneSumMismatch {
            amount: eur(1_000),
            sum: eur(999),
        });
}

#[test]
fn a_zero_milestone_is_rejected() {
    let command = create_with(
        eur(100),
        vec![milestone("a", eur(100)), milestone("b", eur(0))],
    );
    Framework::with(())
        .given_no_previous_events()
        .when(command)
        .then_expect_error(EscrowError::NonPositiveAmount);
}

#[test]
fn a_zero_escrow_amount_is_rejected() {
    let command = create_with(eur(0), vec![milestone("a", eur(0))]);
    Framework::with(())
        .given_no_previous_events()
        .when(command)
        .then_expect_error(EscrowError::NonPositiveAmount);
}

#[test]
fn a_milestone_in_another_currency_is_rejected() {
    let command = create_with(eur(100), vec![milestone("a", usd(100))]);
    let mismatch = MoneyError::CurrencyMismatch {
        expected: eur(0).currency(),
        found: usd(0).currency(),
    };
    Framework::with(())
        .given_no_previous_events()
        .when(command)
        .then_expect_error(EscrowError::Money(mismatch));
}

#[test]
fn an_amount_in_another_currency_than_the_escrow_is_rejected() {
    let EscrowCommand::CreateEscrow {
        buyer,
        seller,
        milestones,
        at,
        ..
    } = create()
    else {
        unreachable!()
    };
    let command = EscrowCommand::CreateEscrow {
        buyer,
        seller,
        currency: usd(0).currency(),
        amount: eur(100_000),
        milestones,
        inspection_period_days: 3,
        dispute_window_hours: 48,
        agent: None,
        platform_fee_rate: None,
        at,
    };
    let mismatch = MoneyError::CurrencyMismatch {
        expected: usd(0).currency(),
        found: eur(0).currency(),
    };
    Framework::with(())
        .given_no_previous_events()
        .when(command)
        .then_expect_error(EscrowError::Money(mismatch));
}

#[test]
fn a_milestone_sum_that_overflows_is_rejected() {
    let command = create_with(
        eur(i64::MAX),
        vec![milestone("a", eur(i64::MAX)), milestone("b", eur(1))],
    );
    Framework::with(())
        .given_no_previous_events()
        .when(command)
        .then_expect_error(EscrowError::Money(MoneyError::Overflow));
}

#[test]
fn a_blank_milestone_description_is_rejected() {
    let mut input = milestone("a", eur(100));
    input.description = "  ".into();
    let command = create_with(eur(100), vec![input]);
    Framework::with(())
        .given_no_previous_events()
        .when(command)
        .then_expect_error(EscrowError::BlankDescription);
}

#[test]
fn an_inspection_period_outside_1_to_30_days_is_rejected() {
    for days in [0, 31] {
        let result = run(&[], create_terms(days, 24));
        assert_eq!(result, Err(EscrowError::InspectionPeriodOutOfRange(days)));
    }
}

#[test]
fn a_dispute_window_outside_24_to_720_hours_is_rejected() {
    for hours in [23, 721] {
        let result = run(&[], create_terms(30, hours));
        assert_eq!(result, Err(EscrowError::DisputeWindowOutOfRange(hours)));
    }
}

#[test]
fn a_dispute_window_longer_than_the_inspection_period_is_rejected() {
    Framework::with(())
        .given_no_previous_events()
        .when(create_terms(1, 25))
        .then_expect_error(EscrowError::DisputeWindowExceedsInspection);
}

#[test]
fn the_widest_terms_are_accepted() {
    assert!(run(&[], create_terms(30, 720)).is_ok());
    assert!(run(&[], create_terms(1, 24)).is_ok());
}

#[test]
fn buyer_and_seller_must_differ() {
    let EscrowCommand::CreateEscrow {
        buyer,
        currency,
        amount,
        milestones,
        at,
        ..
    } = create()
    else {
        unreachable!()
    };
    let command = EscrowCommand::CreateEscrow {
        seller: buyer.clone(),
        buyer,
        currency,
        amount,
        milestones,
        inspection_period_days: 3,
        dispute_window_hours: 48,
        agent: None,
        platform_fee_rate: None,
        at,
    };
    Framework::with(())
        .given_no_previous_events()
        .when(command)
        .then_expect_error(EscrowError::BuyerIsSeller);
}
