//! Closing, cancelling, and what a finished escrow accepts (nothing).

use super::*;

fn cancel(h: i64) -> EscrowCommand {
    EscrowCommand::Cancel {
        reason: "changed mind".into(),
        at: at(h),
    }
}

fn accept(id: &str, h: i64) -> EscrowCommand {
    EscrowCommand::AcceptMilestone {
        milestone: ms(id),
        at: at(h),
    }
}

/// One of each command, all of them acceptable on some live escrow.
fn every_command() -> Vec<EscrowCommand> {
    let id = || ms("design");
    vec![
        create(),
        fund(),
        deliver("design"),
        accept("design", 30),
        EscrowCommand::RejectMilestone {
            milestone: id(),
            reason: "no".into(),
            at: at(30),
        },
        EscrowCommand::LapseInspection {
            milestone: id(),
            at: at(100),
        },
        dispute("design"),
        EscrowCommand::ResolveDispute {
            milestone: id(),
            release: eur(0),
            refund: eur(0),
            at: at(30),
        },
        EscrowCommand::Release {
            milestone: id(),
            at: at(30),
        },
        EscrowCommand::PartialRelease {
            milestone: id(),
            amount: eur(1),
            at: at(30),
        },
        refund_all(30),
        cancel(30),
    ]
}

#[test]
fn the_last_release_closes_the_escrow() {
    let history = after(vec![
        create(),
        fund(),
        deliver("design"),
        deliver("build"),
        accept("design", 20),
    ]);
    Framework::with(())
        .given(history)
        .when(accept("build", 21))
        .then_expect_events(vec![
            EscrowEvent::FundsReleased {
                amount: eur(60_000),
                cause: ReleaseCause::BuyerAccepted,
                settlement: None,
                milestone: balance("build", MilestoneStatus::Settled, 60_000, 0),
                escrow: totals(EscrowStatus::Funded, 100_000, 0),
                at: at(21),
            },
            EscrowEvent::EscrowClosed {
                escrow: totals(EscrowStatus::Closed, 100_000, 0),
                at: at(21),
            },
        ]);
}

#[test]
fn cancelling_before_funding_just_cancels() {
    let zero = eur(0);
    Framework::with(())
        .given(created())
        .when(cancel(1))
        .then_expect_events(vec![EscrowEvent::EscrowCancelled {
            reason: "changed mind".into(),
            refunded: zero,
            escrow: EscrowBalance {
                status: EscrowStatus::Cancelled,
                amount: eur(100_000),
                funded: zero,
                released: zero,
                refunded: zero,
                held: zero,
                charges: None,
            },
            at: at(1),
        }]);
}

#[test]
fn cancelling_after_funding_refunds_everything_still_held() {
    let partial = EscrowCommand::Refund {
        milestone: Some(ms("design")),
        amount: Some(eur(1_000)),
        reason: "x".into(),
        at: at(2),
    };
    let history = after(vec![create(), fund(), partial]);
    let refunded = |id, amount, total| EscrowEvent::FundsRefunded {
        amount: eur(amount),
        cause: RefundCause::Cancellation,
        reason: "changed mind".into(),
        forfeited: None,
        milestone: balance(
            id,
            MilestoneStatus::Settled,
            0,
            if id == "design" { 40_000 } else { amount },
        ),
        escrow: totals(EscrowStatus::Funded, 0, total),
        at: at(3),
    };
    Framework::with(())
        .given(history)
        .when(cancel(3))
        .then_expect_events(vec![
            refunded("design", 39_000, 40_000),
            refunded("build", 60_000, 100_000),
            EscrowEvent::EscrowCancelled {
                reason: "changed mind".into(),
                refunded: eur(99_000),
                escrow: totals(EscrowStatus::Cancelled, 0, 100_000),
                at: at(3),
            },
        ]);
}

#[test]
fn cancelling_after_a_delivery_is_rejected() {
    Framework::with(())
        .given(delivered("build"))
        .when(cancel(11))
        .then_expect_error(EscrowError::AlreadyDeliveredSome);
}

#[test]
fn cancelling_after_a_release_is_rejected() {
    let release = EscrowCommand::Release {
        milestone: ms("design"),
        at: at(2),
    };
    let history = after(vec![create(), fund(), release]);
    Framework::with(())
        .given(history)
        .when(cancel(3))
        .then_expect_error(EscrowError::AlreadyReleasedSome);
}

#[test]
fn cancelling_with_a_blank_reason_is_rejected() {
    let command = EscrowCommand::Cancel {
        reason: "\n".into(),
        at: at(1),
    };
    Framework::with(())
        .given(created())
        .when(command)
        .then_expect_error(EscrowError::BlankReason);
}

#[test]
fn a_closed_escrow_rejects_every_command() {
    let history = after(vec![create(), fund(), refund_all(2)]);
    assert_eq!(
        state(&history).balance().unwrap().status,
        EscrowStatus::Closed
    );
    for command in every_command() {
        let expected = match command {
            EscrowCommand::CreateEscrow { .. } => EscrowError::AlreadyCreated,
            _ => EscrowError::Closed,
        };
        assert_eq!(run(&history, command.clone()), Err(expected), "{command:?}");
    }
}

#[test]
fn a_cancelled_escrow_rejects_every_command() {
    for history in [
        after(vec![create(), cancel(1)]),
        after(vec![create(), fund(), cancel(2)]),
    ] {
        for command in every_command() {
            let expected = match command {
                EscrowCommand::CreateEscrow { .. } => EscrowError::AlreadyCreated,
                _ => EscrowError::Cancelled,
            };
            assert_eq!(run(&history, command.clone()), Err(expected), "{command:?}");
        }
    }
}

#[test]
fn event_types_are_the_variant_names_and_events_round_trip() {
    use cqrs_es::DomainEvent;
    let resolve = |h| EscrowCommand::ResolveDispute {
        milestone: ms("design"),
        release: eur(100),
        refund: eur(100),
        at: at(h),
    };
    let reject = EscrowCommand::RejectMilestone {
        milestone: ms("design"),
        reason: "wrong".into(),
        at: at(15),
    };
    let cancel = EscrowCommand::Cancel {
        reason: "changed mind".into(),
        at: at(1),
    };
    let settled = after(vec![
        create(),
        fund(),
        deliver("design"),
        reject,
        resolve(16),
        dispute("design"),
        resolve(21),
        refund_all(30),
    ]);
    let history = [settled, after(vec![create(), cancel])].concat();
    let names: std::collections::BTreeSet<_> = history.iter().map(|e| e.event_type()).collect();
    assert_eq!(names.len(), 10, "{names:?}");
    for event in history {
        let json = serde_json::to_value(&event).unwrap();
        let name = json.as_object().unwrap().keys().next().unwrap().clone();
        assert_eq!(event.event_type(), name);
        assert_eq!(event.event_version(), "1.0");
        assert_eq!(serde_json::from_value::<EscrowEvent>(json).unwrap(), event);
    }
}
