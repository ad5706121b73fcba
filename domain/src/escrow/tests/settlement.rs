//! Agent releases and refunds.

use super::*;
use crate::money::MoneyError;

fn partial_release(id: &str, amount: Money) -> EscrowCommand {
    EscrowCommand::PartialRelease {
        milestone: ms(id),
        amount,
        at: at(5),
    }
}

fn refund(id: &str, amount: Option<i64>) -> EscrowCommand {
    EscrowCommand::Refund {
        milestone: Some(ms(id)),
        amount: amount.map(eur),
        reason: "short".into(),
        at: at(5),
    }
}

#[test]
fn an_agent_release_pays_the_rest_of_an_undelivered_milestone() {
    let release = EscrowCommand::Release {
        milestone: ms("design"),
        at: at(5),
    };
    Framework::with(())
        .given(funded())
        .when(release)
        .then_expect_events(vec![EscrowEvent::FundsReleased {
            amount: eur(40_000),
            cause: ReleaseCause::AgentRelease,
            settlement: None,
            milestone: balance("design", MilestoneStatus::Settled, 40_000, 0),
            escrow: totals(EscrowStatus::Funded, 40_000, 0),
            at: at(5),
        }]);
}

#[test]
fn a_partial_release_pays_part_of_a_milestone() {
    Framework::with(())
        .given(funded())
        .when(partial_release("build", eur(100)))
        .then_expect_events(vec![EscrowEvent::FundsReleased {
            amount: eur(100),
            cause: ReleaseCause::AgentRelease,
            settlement: None,
            milestone: balance("build", MilestoneStatus::AwaitingDelivery, 100, 0),
            escrow: totals(EscrowStatus::Funded, 100, 0),
            at: at(5),
        }]);
}

#[test]
fn a_partial_release_of_nothing_is_rejected() {
    Framework::with(())
        .given(funded())
        .when(partial_release("build", eur(0)))
        .then_expect_error(EscrowError::NonPositiveAmount);
}

#[test]
fn a_partial_release_beyond_what_remains_is_rejected() {
    Framework::with(())
        .given(funded())
        .when(partial_release("build", eur(60_001)))
        .then_expect_error(EscrowError::ExceedsRemaining {
            requested: eur(60_001),
            remaining: eur(60_000),
        });
}

#[test]
fn a_partial_release_in_another_currency_is_rejected() {
    let mismatch = MoneyError::CurrencyMismatch {
        expected: eur(0).currency(),
        found: usd(0).currency(),
    };
    Framework::with(())
        .given(funded())
        .when(partial_release("build", usd(1)))
        .then_expect_error(EscrowError::Money(mismatch));
}

#[test]
fn a_release_during_a_dispute_is_rejected() {
    let release = EscrowCommand::Release {
        milestone: ms("design"),
        at: at(21),
    };
    Framework::with(())
        .given(disputed("design"))
        .when(release)
        .then_expect_error(EscrowError::DisputeOpen);
}

#[test]
fn a_release_before_funding_is_rejected() {
    let release = EscrowCommand::Release {
        milestone: ms("design"),
        at: at(1),
    };
    Framework::with(())
        .given(created())
        .when(release)
        .then_expect_error(EscrowError::NotFunded);
}

#[test]
fn refunding_a_milestone_refunds_what_remains_of_it() {
    let history = after(vec![create(), fund(), partial_release("design", eur(100))]);
    Framework::with(())
        .given(history)
        .when(refund("design", None))
        .then_expect_events(vec![EscrowEvent::FundsRefunded {
            amount: eur(39_900),
            cause: RefundCause::Refund,
            reason: "short".into(),
            forfeited: None,
            milestone: balance("design", MilestoneStatus::Settled, 100, 39_900),
            escrow: totals(EscrowStatus::Funded, 100, 39_900),
            at: at(5),
        }]);
}

#[test]
fn a_partial_refund_refunds_part_of_a_delivered_milestone() {
    Framework::with(())
        .given(delivered("design"))
        .when(refund("design", Some(500)))
        .then_expect_events(vec![EscrowEvent::FundsRefunded {
            amount: eur(500),
            cause: RefundCause::Refund,
            reason: "short".into(),
            forfeited: None,
            milestone: balance("design", MilestoneStatus::Delivered, 0, 500),
            escrow: totals(EscrowStatus::Funded, 0, 500),
            at: at(5),
        }]);
}

#[test]
fn refunding_everything_refunds_each_milestone_and_closes_the_escrow() {
    let history = after(vec![create(), fund(), partial_release("build", eur(100))]);
    let refunded = |id, amount, released, escrow_refunded| EscrowEvent::FundsRefunded {
        amount: eur(amount),
        cause: RefundCause::Refund,
        reason: "deal off".into(),
        forfeited: None,
        milestone: balance(id, MilestoneStatus::Settled, released, amount),
        escrow: totals(EscrowStatus::Funded, 100, escrow_refunded),
        at: at(7),
    };
    Framework::with(())
        .given(history)
        .when(refund_all(7))
        .then_expect_events(vec![
            refunded("design", 40_000, 0, 40_000),
            refunded("build", 59_900, 100, 99_900),
            EscrowEvent::EscrowClosed {
                escrow: totals(EscrowStatus::Closed, 100, 99_900),
                at: at(7),
            },
        ]);
}

#[test]
fn a_partial_refund_without_a_milestone_is_rejected() {
    let command = EscrowCommand::Refund {
        milestone: None,
        amount: Some(eur(1)),
        reason: "x".into(),
        at: at(5),
    };
    Framework::with(())
        .given(funded())
        .when(command)
        .then_expect_error(EscrowError::PartialRefundNeedsMilestone);
}

#[test]
fn refunding_everything_during_a_dispute_is_rejected() {
    Framework::with(())
        .given(disputed("build"))
        .when(refund_all(21))
        .then_expect_error(EscrowError::DisputeOpen);
}

#[test]
fn refunding_before_funding_is_rejected() {
    Framework::with(())
        .given(created())
        .when(refund_all(1))
        .then_expect_error(EscrowError::NotFunded);
}

#[test]
fn a_refund_with_a_blank_reason_is_rejected() {
    let command = EscrowCommand::Refund {
        milestone: None,
        amount: None,
        reason: "".into(),
        at: at(5),
    };
    Framework::with(())
        .given(funded())
        .when(command)
        .then_expect_error(EscrowError::BlankReason);
}
