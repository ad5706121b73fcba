//! Two processes on one database, each with its own executors, pool, group
//! commit and aggregates in memory: a process's cached aggregate goes stale
//! whenever the other writes, and the database must catch every decision
//! made on the stale copy.

use std::sync::Arc;

use bazaar_commands::{CommandError, WriteSide};
use bazaar_domain::ids::ReservationId;
use bazaar_domain::inventory::{
    InventoryReservationCommand as Stock, InventoryReservationError, ReleaseReason,
};
use bazaar_testkit::fixtures::{meta, stock, t0};
use bazaar_testkit::world::World;
use chrono::Duration;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

async fn process(options: &PgConnectOptions) -> Arc<WriteSide> {
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .connect_with(options.clone())
        .await
        .unwrap();
    Arc::new(WriteSide::new(pool))
}

fn reserve(n: usize) -> Stock {
    Stock::Reserve {
        reservation: ReservationId::parse(format!("r-{n}")).unwrap(),
        quantity: 1,
        expires_at: t0() + Duration::minutes(30),
        ship_on: t0().date_naive(),
        min_shelf_life_days: 0,
        at: t0(),
    }
}

type Reserved = Result<bazaar_commands::Outcome, CommandError<InventoryReservationError>>;

async fn reserve_on(app: &WriteSide, n: usize) -> Reserved {
    app.stock
        .execute(&stock("apple"), reserve(n), &meta("buyer:race"))
        .await
}

fn short(result: &Reserved) -> bool {
    matches!(
        result,
        Err(CommandError::Rejected(
            InventoryReservationError::InsufficientStock { .. }
        ))
    )
}

/// A decision on a stale copy is redone on the current state, whether the
/// stale copy said yes (its append conflicts) or no (its rejection is not
/// logged, because the stream moved on).
#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_stale_aggregate_in_memory_never_decides(pool: PgPool) {
    let options = (*pool.connect_options()).clone();
    let world = World::new(&pool);
    world.receive("apple", 1).await;
    let (first, second) = (process(&options).await, process(&options).await);

    // the first process holds the last unit and keeps the stock in memory
    reserve_on(&first, 1).await.unwrap();
    // the second frees it: the first's copy still says "sold out"
    let release = Stock::ReleaseReservation {
        reservation: ReservationId::parse("r-1").unwrap(),
        reason: ReleaseReason::OrderCancelled,
        at: t0(),
    };
    second
        .stock
        .execute(&stock("apple"), release, &meta("buyer:race"))
        .await
        .unwrap();
    reserve_on(&first, 2)
        .await
        .expect("decided on the freed unit");
    // now the second's copy says "one free": it must not take it
    assert!(short(&reserve_on(&second, 3).await));

    assert_eq!(world.levels("apple").await, (1, 1));
    let rejected = world
        .count("select count(*) from command_log where outcome = 'rejected'")
        .await;
    assert_eq!(rejected, 1);
}

/// Forty buyers through two warm processes race for thirty units (two of
/// them taken first): 28 holds, 12 clean rejections, no lost update, no
/// duplicate sequence.
#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn two_processes_with_warm_aggregates_race_without_losing_an_update(pool: PgPool) {
    let options = (*pool.connect_options()).clone();
    let world = World::new(&pool);
    world.receive("apple", 30).await;
    let processes = [process(&options).await, process(&options).await];
    for (n, app) in processes.iter().enumerate() {
        reserve_on(app, 100 + n).await.unwrap();
    }

    let buyers: Vec<_> = (0..40)
        .map(|n| {
            let app = Arc::clone(&processes[n % 2]);
            tokio::spawn(async move {
                // a hot stock across processes may answer "contention, retry"
                // (409 with Retry-After over HTTP): the client retries
                loop {
                    match reserve_on(&app, n).await {
                        Err(CommandError::Contention { .. }) => continue,
                        other => return other,
                    }
                }
            })
        })
        .collect();
    let (mut held, mut short_of) = (0, 0);
    for buyer in buyers {
        match buyer.await.unwrap() {
            Ok(_) => held += 1,
            other if short(&other) => short_of += 1,
            other => panic!("not a clean outcome: {other:?}"),
        }
    }

    assert_eq!((held, short_of), (28, 12));
    assert_eq!(world.levels("apple").await, (30, 30));
    let events = world
        .count("select count(*) from events where aggregate_type = 'InventoryReservation'")
        .await;
    assert_eq!(events, 1 + 30, "one receipt and thirty holds");
}
