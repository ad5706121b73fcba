//! Rejection, disputes and their resolution.

use super::*;
use crate::money::MoneyError;

fn reject(id: &str, h: i64, reason: &str) -> EscrowCommand {
    EscrowCommand::RejectMilestone {
        milestone: ms(id),
        reason: reason.into(),
        at: at(h),
    }
}

fn dispute_at(id: &str, h: i64) -> EscrowCommand {
    EscrowCommand::OpenDispute {
        milestone: ms(id),
        reason: "scratched".into(),
        at: at(h),
    }
}

fn resolve(id: &str, release: i64, refund: i64) -> EscrowCommand {
    EscrowCommand::ResolveDispute {
        milestone: ms(id),
        release: eur(release),
        refund: eur(refund),
        at: at(30),
    }
}

#[test]
fn rejecting_during_inspection_opens_a_dispute() {
    Framework::with(())
        .given(delivered("design"))
        .when(reject("design", 81, "wrong colour"))
        .then_expect_events(vec![EscrowEvent::MilestoneRejected {
            milestone: balance("design", MilestoneStatus::Disputed, 0, 0),
            reason: "wrong colour".into(),
            at: at(81),
        }]);
}

#[test]
fn rejecting_after_the_inspection_period_is_rejected() {
    Framework::with(())
        .given(delivered("design"))
        .when(reject("design", 82, "wrong colour"))
        .then_expect_error(EscrowError::InspectionOver);
}

#[test]
fn rejecting_with_a_nul_in_the_reason_is_rejected() {
    Framework::with(())
        .given(delivered("design"))
        .when(reject("design", 20, "late\u{0}"))
        .then_expect_error(EscrowError::ControlCharacter);
}

#[test]
fn rejecting_with_a_blank_reason_is_rejected() {
    Framework::with(())
        .given(delivered("design"))
        .when(reject("design", 20, " "))
        .then_expect_error(EscrowError::BlankReason);
}

#[test]
fn opening_a_dispute_within_the_window_freezes_the_milestone() {
    Framework::with(())
        .given(delivered("design"))
        .when(dispute_at("design", 57))
        .then_expect_events(vec![EscrowEvent::DisputeOpened {
            milestone: balance("design", MilestoneStatus::Disputed, 0, 0),
            reason: "scratched".into(),
            at: at(57),
        }]);
}

#[test]
fn opening_a_dispute_after_the_window_is_rejected() {
    Framework::with(())
        .given(delivered("design"))
        .when(dispute_at("design", 58))
        .then_expect_error(EscrowError::DisputeWindowClosed);
}

#[test]
fn opening_a_dispute_before_delivery_is_rejected() {
    Framework::with(())
        .given(funded())
        .when(dispute_at("design", 5))
        .then_expect_error(EscrowError::NotDelivered);
}

#[test]
fn opening_a_second_dispute_is_rejected() {
    Framework::with(())
        .given(disputed("design"))
        .when(dispute_at("design", 21))
        .then_expect_error(EscrowError::DisputeOpen);
}

#[test]
fn accepting_a_disputed_milestone_is_rejected() {
    let accept = EscrowCommand::AcceptMilestone {
        milestone: ms("design"),
        at: at(21),
    };
    Framework::with(())
        .given(disputed("design"))
        .when(accept)
        .then_expect_error(EscrowError::DisputeOpen);
}

#[test]
fn resolving_splits_the_milestone_and_closes_the_dispute() {
    Framework::with(())
        .given(disputed("design"))
        .when(resolve("design", 10_000, 30_000))
        .then_expect_events(vec![
            EscrowEvent::FundsReleased {
                amount: eur(10_000),
                cause: ReleaseCause::DisputeResolution,
                settlement: None,
                milestone: balance("design", MilestoneStatus::Disputed, 10_000, 0),
                escrow: totals(EscrowStatus::Funded, 10_000, 0),
                at: at(30),
            },
            EscrowEvent::FundsRefunded {
                amount: eur(30_000),
                cause: RefundCause::DisputeResolution,
                reason: "scratched".into(),
                forfeited: None,
                milestone: balance("design", MilestoneStatus::Settled, 10_000, 30_000),
                escrow: totals(EscrowStatus::Funded, 10_000, 30_000),
                at: at(30),
            },
            EscrowEvent::DisputeResolved {
                milestone: balance("design", MilestoneStatus::Settled, 10_000, 30_000),
                released: eur(10_000),
                refunded: eur(30_000),
                inspection_ends_at: at(82),
                escrow: totals(EscrowStatus::Funded, 10_000, 30_000),
                at: at(30),
            },
        ]);
}

#[test]
fn resolving_with_money_left_returns_the_milestone_to_inspection() {
    Framework::with(())
        .given(disputed("design"))
        .when(resolve("design", 0, 0))
        .then_expect_events(vec![EscrowEvent::DisputeResolved {
            milestone: balance("design", MilestoneStatus::Delivered, 0, 0),
            released: eur(0),
            refunded: eur(0),
            inspection_ends_at: at(82),
            escrow: totals(EscrowStatus::Funded, 0, 0),
            at: at(30),
        }]);
}

#[test]
fn after_a_resolution_the_inspection_lapse_releases_the_rest() {
    let history = after(vec![
        create(),
        fund(),
        deliver("design"),
        dispute("design"),
        resolve("design", 0, 15_000),
    ]);
    let lapse = EscrowCommand::LapseInspection {
        milestone: ms("design"),
        at: at(82),
    };
    let events = run(&history, lapse).unwrap();
    let EscrowEvent::FundsReleased {
        amount, milestone, ..
    } = &events[0]
    else {
        panic!("{events:?}")
    };
    assert_eq!(
        (amount, milestone),
        (
            &eur(25_000),
            &balance("design", MilestoneStatus::Settled, 25_000, 15_000)
        )
    );
}

#[test]
fn a_rejected_milestone_is_refunded_by_the_resolution_with_the_rejection_reason() {
    let history = after(vec![
        create(),
        fund(),
        deliver("design"),
        reject("design", 20, "broken"),
    ]);
    let events = run(&history, resolve("design", 0, 40_000)).unwrap();
    assert!(matches!(&events[0], EscrowEvent::FundsRefunded { reason, .. } if reason == "broken"));
}

#[test]
fn resolving_more_than_remains_is_rejected() {
    Framework::with(())
        .given(disputed("design"))
        .when(resolve("design", 20_000, 20_001))
        .then_expect_error(EscrowError::ExceedsRemaining {
            requested: eur(40_001),
            remaining: eur(40_000),
        });
}

#[test]
fn resolving_with_a_negative_amount_is_rejected() {
    Framework::with(())
        .given(disputed("design"))
        .when(resolve("design", -1, 100))
        .then_expect_error(EscrowError::Money(MoneyError::Negative(-1)));
}

#[test]
fn resolving_without_an_open_dispute_is_rejected() {
    Framework::with(())
        .given(delivered("design"))
        .when(resolve("design", 0, 100))
        .then_expect_error(EscrowError::NoDispute);
}
