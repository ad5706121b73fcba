use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration as Wait;

use bazaar_commands::saga::checkout::CheckoutSaga;
use bazaar_commands::saga::{run_once, Saga};
use bazaar_domain::ids::PaymentId;
use bazaar_domain::order::OrderCommand;
use bazaar_event_store::RecordedEvent;
use bazaar_testkit::fixtures::{eur, line, t0};
use bazaar_testkit::world::World;
use chrono::Duration;
use sqlx::PgPool;

const EVENTS_BY_TYPE: &str =
    "select coalesce(string_agg(aggregate_type || ':' || n, ',' order by aggregate_type), '') \
     from (select aggregate_type, count(*) as n from events group by aggregate_type) counts";

async fn snapshot_of_effects(world: &World) -> (String, i64) {
    let events: String = sqlx::query_scalar(EVENTS_BY_TYPE)
        .fetch_one(&world.pool)
        .await
        .unwrap();
    let timers = world.count("select count(*) from scheduled_command").await;
    (events, timers)
}

async fn paid_order(world: &World) {
    world.receive("apple", 10).await;
    world.receive("bread", 5).await;
    let lines = vec![
        line("vendor-a", "apple", 3, 200),
        line("vendor-b", "bread", 1, 450),
    ];
    world.place("o-1", "buyer-1", lines).await;
    world.settle(t0()).await;
    let pay = OrderCommand::ConfirmPayment {
        payment_id: PaymentId::parse("pay-1").unwrap(),
        amount: eur(1_050),
        at: t0() + Duration::minutes(5),
    };
    world.order("o-1", pay).await;
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn replaying_every_reaction_from_the_start_writes_nothing_new(pool: PgPool) {
    let world = World::new(&pool);
    paid_order(&world).await;
    world.settle(t0() + Duration::minutes(5)).await;
    let before = snapshot_of_effects(&world).await;

    // the saga crashed after acting but before any checkpoint was saved
    sqlx::query("delete from subscription_checkpoint")
        .execute(&pool)
        .await
        .unwrap();
    world.settle(t0() + Duration::minutes(5)).await;

    assert_eq!(snapshot_of_effects(&world).await, before);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_saga_stopped_between_steps_completes_on_restart_without_acting_twice(pool: PgPool) {
    // reference: the same story without interruptions, in its own database
    let reference = {
        let world = World::new(&pool);
        paid_order(&world).await;
        world.settle(t0() + Duration::minutes(5)).await;
        snapshot_of_effects(&world).await
    };
    sqlx::raw_sql("delete from command_log; delete from scheduled_command; delete from subscription_checkpoint; \
                   delete from snapshots; set session_replication_role = replica; delete from events; \
                   set session_replication_role = origin;")
        .execute(&pool)
        .await
        .unwrap();

    let world = World::new(&pool);
    paid_order(&world).await;
    // stop the saga at every await point of every reaction in turn: each
    // run lets its first reaction be polled `polls` times and drops it
    // there, like a process killed mid-reaction; a reaction that completes
    // within its budget is followed by one cut before it acts
    let initial = snapshot_of_effects(&world).await;
    let mut cut_between_steps = 0;
    let mut cut_mid_reaction = 0;
    let mut polls = 1;
    for _ in 0..10_000 {
        wait_until_every_event_is_readable(&pool).await;
        let saga = Cut::new(&world.saga, polls);
        let ran = run_once(&pool, &saga, 500).await;
        let effects = snapshot_of_effects(&world).await;
        if ran.is_err() {
            cut_between_steps += usize::from(effects != initial && effects != reference);
            cut_mid_reaction += usize::from(!saga.first_completed());
        }
        if saga.first_completed() {
            polls = 1;
        } else if saga.started() > 0 {
            polls += 1;
        } else if world.saga_caught_up().await {
            break;
        } else {
            // another database's open transaction holds the horizon back
            tokio::time::sleep(Wait::from_millis(5)).await;
        }
    }
    assert!(world.saga_caught_up().await, "the cut runs never finished");
    assert!(
        cut_between_steps >= 2,
        "no run was stopped between two steps"
    );
    assert!(cut_mid_reaction >= 2, "no reaction was stopped part-way");
    world.settle(t0() + Duration::minutes(5)).await;

    assert_eq!(snapshot_of_effects(&world).await, reference);
}

/// Waits (at most ten seconds) until the feed's horizon has passed every
/// event: a transaction open in another database on the same server holds
/// the horizon back, and a run that then sees only one of two pending
/// events could not be stopped between them.
async fn wait_until_every_event_is_readable(pool: &PgPool) {
    for _ in 0..2_000 {
        let readable: bool = sqlx::query_scalar(
            "select not exists (select 1 from events \
              where tx_id >= pg_snapshot_xmin(pg_current_snapshot()))",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        if readable {
            return;
        }
        tokio::time::sleep(Wait::from_millis(5)).await;
    }
}

/// The checkout saga, stopped in each run: the run's first reaction is
/// dropped after `polls` polls (at one of its await points, as a killed
/// process would leave it), every later one fails before acting.
#[derive(Clone)]
struct Cut {
    saga: CheckoutSaga,
    polls: usize,
    started: Arc<AtomicUsize>,
    first_completed: Arc<AtomicBool>,
}

impl Cut {
    fn new(saga: &CheckoutSaga, polls: usize) -> Self {
        Self {
            saga: saga.clone(),
            polls,
            started: Arc::default(),
            first_completed: Arc::default(),
        }
    }

    fn started(&self) -> usize {
        self.started.load(Ordering::SeqCst)
    }

    fn first_completed(&self) -> bool {
        self.first_completed.load(Ordering::SeqCst)
    }
}

impl Saga for Cut {
    const NAME: &'static str = CheckoutSaga::NAME;

    fn partition(&self, event: &RecordedEvent) -> Option<String> {
        self.saga.partition(event)
    }

    async fn react(&self, event: &RecordedEvent) -> Result<(), String> {
        if self.started.fetch_add(1, Ordering::SeqCst) > 0 {
            return Err("cut before acting".to_owned());
        }
        let reaction = Budget {
            future: Box::pin(self.saga.react(event)),
            polls: self.polls,
        };
        reaction.await?;
        self.first_completed.store(true, Ordering::SeqCst);
        Ok(())
    }
}

/// A future dropped, unfinished, after `polls` polls.
struct Budget<F> {
    future: Pin<Box<F>>,
    polls: usize,
}

impl<F: Future<Output = Result<(), String>>> Future for Budget<F> {
    type Output = Result<(), String>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.polls == 0 {
            return Poll::Ready(Err("cut mid-reaction".to_owned()));
        }
        self.polls -= 1;
        self.future.as_mut().poll(cx)
    }
}
