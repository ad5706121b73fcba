//! Property tests over random command sequences: money out never exceeds
//! money in, per milestone and in total; every balance in the events adds
//! up; a closed or cancelled escrow accepts nothing; auto-release never
//! happens during a dispute.

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use super::*;

/// Milestone ids by index; the last one is not in the escrow.
const IDS: [&str; 4] = ["a", "b", "c", "ghost"];

#[derive(Debug, Clone)]
enum Step {
    Create,
    Fund { exact: bool },
    Deliver(usize),
    Accept(usize),
    Reject(usize),
    Lapse(usize),
    Dispute(usize),
    Resolve(usize, i64, i64),
    Release(usize),
    PartialRelease(usize, i64),
    Refund(Option<usize>, Option<i64>),
    Cancel,
}

impl Step {
    fn command(&self, hour: i64) -> EscrowCommand {
        use EscrowCommand as C;
        let (m, at, reason) = (|i: &usize| ms(IDS[*i]), at(hour), "because".to_owned());
        match self {
            Step::Create => create3(),
            Step::Fund { exact } => {
                let amount = eur(if *exact { 1_000 } else { 999 });
                C::Fund {
                    payment_id: PaymentId::parse("pay-9").unwrap(),
                    amount,
                    at,
                }
            }
            Step::Deliver(i) => C::MarkDelivered {
                milestone: m(i),
                at,
            },
            Step::Accept(i) => C::AcceptMilestone {
                milestone: m(i),
                at,
            },
            Step::Reject(i) => C::RejectMilestone {
                milestone: m(i),
                reason,
                at,
            },
            Step::Lapse(i) => C::LapseInspection {
                milestone: m(i),
                at,
            },
            Step::Dispute(i) => C::OpenDispute {
                milestone: m(i),
                reason,
                at,
            },
            Step::Resolve(i, release, refund) => C::ResolveDispute {
                milestone: m(i),
                release: eur(*release),
                refund: eur(*refund),
                at,
            },
            Step::Release(i) => C::Release {
                milestone: m(i),
                at,
            },
            Step::PartialRelease(i, amount) => C::PartialRelease {
                milestone: m(i),
                amount: eur(*amount),
                at,
            },
            Step::Refund(i, amount) => C::Refund {
                milestone: i.as_ref().map(m),
                amount: amount.map(eur),
                reason,
                at,
            },
            Step::Cancel => C::Cancel { reason, at },
        }
    }
}

/// EUR 10.00 in three milestones of 3.00, 2.00 and 5.00.
fn create3() -> EscrowCommand {
    create_with(
        eur(1_000),
        vec![
            milestone("a", eur(300)),
            milestone("b", eur(200)),
            milestone("c", eur(500)),
        ],
    )
}

/// Created, then funded if `steps >= 1`, then milestones delivered in order.
fn opening(steps: usize) -> Vec<EscrowCommand> {
    let delivered = (0..3).map(|i| Step::Deliver(i).command(0));
    let all = [create3(), Step::Fund { exact: true }.command(0)]
        .into_iter()
        .chain(delivered);
    all.take(steps + 1).collect()
}

fn step() -> impl Strategy<Value = Step> {
    let i = || prop_oneof![9 => 0usize..IDS.len() - 1, 1 => Just(IDS.len() - 1)];
    let amount = || -5i64..=600;
    prop_oneof![
        1 => Just(Step::Create),
        1 => any::<bool>().prop_map(|exact| Step::Fund { exact }),
        6 => i().prop_map(Step::Deliver),
        2 => i().prop_map(Step::Accept),
        3 => i().prop_map(Step::Reject),
        3 => i().prop_map(Step::Lapse),
        4 => i().prop_map(Step::Dispute),
        4 => (i(), -5i64..=250, -5i64..=250).prop_map(|(i, a, b)| Step::Resolve(i, a, b)),
        1 => i().prop_map(Step::Release),
        3 => (i(), amount()).prop_map(|(i, a)| Step::PartialRelease(i, a)),
        2 => (prop::option::of(i()), prop::option::of(amount())).prop_map(|(i, a)| Step::Refund(i, a)),
        1 => Just(Step::Cancel),
    ]
}

fn finished(escrow: &Escrow) -> bool {
    let status = escrow.balance().map(|b| b.status);
    matches!(status, Ok(EscrowStatus::Closed | EscrowStatus::Cancelled))
}

fn disputed(escrow: &Escrow, i: usize) -> bool {
    let status = escrow.milestone(&ms(IDS[i])).map(|m| m.balance.status);
    status == Ok(MilestoneStatus::Disputed)
}

/// Released + refunded <= funded per milestone and in total, and the
/// totals are the sums of the milestones.
fn check_money(escrow: &Escrow) -> Result<(), TestCaseError> {
    let total = escrow
        .balance()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let (mut amount, mut funded, mut released, mut refunded) = (0, 0, 0, 0);
    for m in &escrow.milestones {
        let b = &m.balance;
        let (f, rel, rf) = (b.funded.amount(), b.released.amount(), b.refunded.amount());
        prop_assert!(rel >= 0 && rf >= 0 && rel + rf <= f, "{b:?}");
        prop_assert!(f == 0 || f == b.amount.amount(), "{b:?}");
        prop_assert_eq!(b.remaining.amount(), f - rel - rf);
        prop_assert_eq!(
            b.status == MilestoneStatus::Settled,
            f > 0 && b.remaining.amount() == 0,
            "{:?}",
            b
        );
        (amount, funded) = (amount + b.amount.amount(), funded + f);
        (released, refunded) = (released + rel, refunded + rf);
    }
    prop_assert_eq!(amount, total.amount.amount());
    prop_assert_eq!(
        (funded, released, refunded),
        (
            total.funded.amount(),
            total.released.amount(),
            total.refunded.amount()
        )
    );
    prop_assert!(released + refunded <= funded);
    prop_assert_eq!(total.held.amount(), funded - released - refunded);
    match total.status {
        EscrowStatus::AwaitingFunding => prop_assert_eq!(funded, 0),
        EscrowStatus::Funded => {
            prop_assert!(total.held.amount() > 0, "an empty escrow must be closed")
        }
        EscrowStatus::Closed => prop_assert!(funded > 0 && total.held.amount() == 0),
        EscrowStatus::Cancelled => prop_assert_eq!(total.held.amount(), 0),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn money_out_never_exceeds_money_in_and_finished_escrows_accept_nothing(
        start in prop_oneof![1 => Just(0), 2 => Just(1), 3 => Just(4)],
        steps in prop::collection::vec((step(), 0i64..20), 1..25)
    ) {
        let mut history = after(opening(start));
        let mut hour = 0;
        for (step, advance) in steps {
            hour += advance;
            let before = state(&history);
            let result = run(&history, step.command(hour));
            if finished(&before) {
                prop_assert!(result.is_err(), "{step:?} changed a finished escrow");
            }
            if let Step::Lapse(i) = step {
                if disputed(&before, i) {
                    prop_assert_eq!(&result, &Err(EscrowError::DisputeOpen), "auto-release during a dispute");
                }
            }
            if let Ok(events) = result {
                history.extend(events);
            }
            check_money(&state(&history))?;
        }
    }
}
