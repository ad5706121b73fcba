use std::time::Duration as Wait;

use bazaar_commands::saga::run_once;
use bazaar_domain::ids::PaymentId;
use bazaar_domain::order::OrderCommand;
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
    // stop the saga at many points inside its reactions: each cut drops the
    // work in flight, like a process killed between two steps
    let initial = snapshot_of_effects(&world).await;
    let mut cut_between_steps = 0;
    let mut cut = Wait::from_micros(200);
    loop {
        let saga = run_once(&pool, &world.saga, 500);
        let ran = tokio::time::timeout(cut, saga).await;
        let stopped = ran.is_err();
        let effects = snapshot_of_effects(&world).await;
        cut_between_steps += usize::from(stopped && effects != initial && effects != reference);
        // a run that saw nothing (another test database's open transaction
        // holds the commit-ordered horizon back) proves nothing: go on
        let reacted = matches!(ran, Ok(Ok(n)) if n > 0);
        if !stopped && (reacted || cut > Wait::from_secs(5)) {
            break;
        }
        // fine steps: with aggregates in memory and group commit, a whole
        // reaction takes a few milliseconds, and coarser steps could jump
        // from "nothing written" to "everything written"
        cut = cut * 5 / 4;
    }
    assert!(
        cut_between_steps >= 1,
        "no run was stopped between two steps"
    );
    world.settle(t0() + Duration::minutes(5)).await;

    assert_eq!(snapshot_of_effects(&world).await, reference);
}
