//! Funding, delivery, acceptance and the inspection lapse.

use super::*;
use crate::money::MoneyError;

fn accept(id: &str, h: i64) -> EscrowCommand {
    EscrowCommand::AcceptMilestone {
        milestone: ms(id),
        at: at(h),
    }
}

fn lapse(id: &str, h: i64) -> EscrowCommand {
    EscrowCommand::LapseInspection {
        milestone: ms(id),
        at: at(h),
    }
}

fn fund_with(amount: Money) -> EscrowCommand {
    EscrowCommand::Fund {
        payment_id: PaymentId::parse("pay-1").unwrap(),
        amount,
        at: at(1),
    }
}

#[test]
fn funding_the_full_amount_funds_every_milestone() {
    Framework::with(())
        .given(created())
        .when(fund())
        .then_expect_events(vec![EscrowEvent::EscrowFunded {
            payment_id: PaymentId::parse("pay-1").unwrap(),
            amount: eur(100_000),
            milestones: vec![
                balance("design", MilestoneStatus::AwaitingDelivery, 0, 0),
                balance("build", MilestoneStatus::AwaitingDelivery, 0, 0),
            ],
            escrow: totals(EscrowStatus::Funded, 0, 0),
            at: at(1),
        }]);
}

#[test]
fn partial_funding_is_rejected() {
    Framework::with(())
        .given(created())
        .when(fund_with(eur(99_999)))
        .then_expect_error(EscrowError::FundingMismatch {
            expected: eur(100_000),
            received: eur(99_999),
        });
}

#[test]
fn funding_in_another_currency_is_rejected() {
    let mismatch = MoneyError::CurrencyMismatch {
        expected: eur(0).currency(),
        found: usd(0).currency(),
    };
    Framework::with(())
        .given(created())
        .when(fund_with(usd(100_000)))
        .then_expect_error(EscrowError::Money(mismatch));
}

#[test]
fn funding_twice_is_rejected() {
    Framework::with(())
        .given(funded())
        .when(fund())
        .then_expect_error(EscrowError::AlreadyFunded);
}

#[test]
fn delivering_starts_the_inspection_period_and_the_dispute_window() {
    Framework::with(())
        .given(funded())
        .when(deliver("design"))
        .then_expect_events(vec![EscrowEvent::MilestoneDelivered {
            milestone: balance("design", MilestoneStatus::Delivered, 0, 0),
            inspection_ends_at: at(82),
            dispute_window_ends_at: at(58),
            at: at(10),
        }]);
}

#[test]
fn nothing_is_delivered_before_it_is_funded() {
    Framework::with(())
        .given(created())
        .when(deliver("design"))
        .then_expect_error(EscrowError::NotFunded);
}

#[test]
fn delivering_twice_is_rejected() {
    Framework::with(())
        .given(delivered("design"))
        .when(deliver("design"))
        .then_expect_error(EscrowError::AlreadyDelivered);
}

#[test]
fn delivering_an_unknown_milestone_is_rejected() {
    Framework::with(())
        .given(funded())
        .when(deliver("nope"))
        .then_expect_error(EscrowError::UnknownMilestone(ms("nope")));
}

#[test]
fn delivering_a_refunded_milestone_is_rejected() {
    let refund = EscrowCommand::Refund {
        milestone: Some(ms("design")),
        amount: None,
        reason: "late".into(),
        at: at(2),
    };
    let history = after(vec![create(), fund(), refund]);
    Framework::with(())
        .given(history)
        .when(deliver("design"))
        .then_expect_error(EscrowError::MilestoneSettled);
}

#[test]
fn a_deadline_beyond_the_calendar_is_rejected() {
    let command = EscrowCommand::MarkDelivered {
        milestone: ms("design"),
        at: DateTime::<Utc>::MAX_UTC,
    };
    Framework::with(())
        .given(funded())
        .when(command)
        .then_expect_error(EscrowError::DateOutOfRange);
}

#[test]
fn accepting_releases_the_rest_of_the_milestone_to_the_seller() {
    Framework::with(())
        .given(delivered("design"))
        .when(accept("design", 30))
        .then_expect_events(vec![EscrowEvent::FundsReleased {
            amount: eur(40_000),
            cause: ReleaseCause::BuyerAccepted,
            settlement: None,
            milestone: balance("design", MilestoneStatus::Settled, 40_000, 0),
            escrow: totals(EscrowStatus::Funded, 40_000, 0),
            at: at(30),
        }]);
}

#[test]
fn accepting_after_the_inspection_period_still_releases() {
    let events = run(&delivered("design"), accept("design", 100)).unwrap();
    assert!(matches!(
        events[..],
        [EscrowEvent::FundsReleased {
            cause: ReleaseCause::BuyerAccepted,
            ..
        }]
    ));
}

#[test]
fn accepting_before_delivery_is_rejected() {
    Framework::with(())
        .given(funded())
        .when(accept("design", 30))
        .then_expect_error(EscrowError::NotDelivered);
}

#[test]
fn accepting_a_released_milestone_is_rejected() {
    let history = after(vec![
        create(),
        fund(),
        deliver("design"),
        accept("design", 30),
    ]);
    Framework::with(())
        .given(history)
        .when(accept("design", 31))
        .then_expect_error(EscrowError::MilestoneSettled);
}

#[test]
fn the_inspection_lapse_releases_the_milestone_when_the_period_ends() {
    Framework::with(())
        .given(delivered("build"))
        .when(lapse("build", 82))
        .then_expect_events(vec![EscrowEvent::FundsReleased {
            amount: eur(60_000),
            cause: ReleaseCause::InspectionLapsed,
            settlement: None,
            milestone: balance("build", MilestoneStatus::Settled, 60_000, 0),
            escrow: totals(EscrowStatus::Funded, 60_000, 0),
            at: at(82),
        }]);
}

#[test]
fn an_early_inspection_lapse_is_too_early() {
    Framework::with(())
        .given(delivered("build"))
        .when(lapse("build", 81))
        .then_expect_error(EscrowError::TooEarly {
            inspection_ends_at: at(82),
        });
}

#[test]
fn the_inspection_lapse_is_suppressed_while_a_dispute_is_open() {
    Framework::with(())
        .given(disputed("build"))
        .when(lapse("build", 90))
        .then_expect_error(EscrowError::DisputeOpen);
}

#[test]
fn an_inspection_lapse_after_acceptance_reports_the_milestone_settled() {
    let history = after(vec![
        create(),
        fund(),
        deliver("design"),
        accept("design", 30),
    ]);
    Framework::with(())
        .given(history)
        .when(lapse("design", 82))
        .then_expect_error(EscrowError::MilestoneSettled);
}

#[test]
fn an_inspection_lapse_before_delivery_is_rejected() {
    Framework::with(())
        .given(funded())
        .when(lapse("design", 82))
        .then_expect_error(EscrowError::NotDelivered);
}
