use std::sync::Arc;

use bazaar_commands::{CommandError, WriteSide};
use bazaar_domain::ids::ReservationId;
use bazaar_domain::inventory::{InventoryReservationCommand as Stock, InventoryReservationError};
use bazaar_domain::order::OrderStatus;
use bazaar_testkit::fixtures::{line, meta, stock, t0};
use bazaar_testkit::world::World;
use chrono::Duration;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

/// Most times one buyer is told "contention" before the test gives up.
const MOST_CONTENTIONS: usize = 50;

/// Fifty buyers through five application instances (five processes, each
/// with its own executors), all reserving the last ten units at once. A
/// buyer told [`CommandError::Contention`] (its attempts were spent losing
/// races to the other instances; nothing was written) tries again, as an
/// HTTP client does on that answer's `Retry-After`.
#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn fifty_concurrent_reservations_for_ten_units_give_ten_holds_and_forty_clean_rejections(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let pool = PgPoolOptions::new()
        .max_connections(20)
        .connect_with(options)
        .await
        .unwrap();
    let world = World::new(&pool);
    world.receive("apple", 10).await;
    let instances: Vec<_> = (0..5)
        .map(|_| Arc::new(WriteSide::new(pool.clone())))
        .collect();

    let buyers: Vec<_> = (0..50)
        .map(|n| {
            let app = Arc::clone(&instances[n % 5]);
            tokio::spawn(async move {
                let reserve = Stock::Reserve {
                    reservation: ReservationId::parse(format!("r-{n}")).unwrap(),
                    quantity: 1,
                    expires_at: t0() + Duration::minutes(30),
                    ship_on: t0().date_naive(),
                    min_shelf_life_days: 0,
                    at: t0(),
                };
                for _ in 0..MOST_CONTENTIONS {
                    let outcome = app
                        .stock
                        .execute(&stock("apple"), reserve.clone(), &meta("buyer:race"))
                        .await;
                    if !matches!(outcome, Err(CommandError::Contention { .. })) {
                        return outcome;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
                panic!("buyer {n} was told contention {MOST_CONTENTIONS} times");
            })
        })
        .collect();
    let (mut held, mut short) = (0, 0);
    for buyer in buyers {
        match buyer.await.unwrap() {
            Ok(_) => held += 1,
            Err(CommandError::Rejected(InventoryReservationError::InsufficientStock {
                ..
            })) => short += 1,
            Err(other) => panic!("not a clean outcome: {other:?}"),
        }
    }

    assert_eq!((held, short), (10, 40));
    assert_eq!(world.levels("apple").await, (10, 10));
    let events = world
        .count("select count(*) from events where aggregate_type = 'InventoryReservation'")
        .await;
    assert_eq!(
        events,
        1 + 10,
        "one receipt and ten reservations, nothing else written"
    );
}

/// The same race through checkout: fifty orders of one unit each.
#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn fifty_concurrent_checkouts_for_ten_units_leave_ten_orders_awaiting_payment(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let pool = PgPoolOptions::new()
        .max_connections(20)
        .connect_with(options)
        .await
        .unwrap();
    let world = Arc::new(World::new(&pool));
    world.receive("apple", 10).await;

    let buyers: Vec<_> = (0..50)
        .map(|n| {
            let world = Arc::clone(&world);
            tokio::spawn(async move {
                let lines = vec![line("vendor-a", "apple", 1, 200)];
                world
                    .place(&format!("o-{n}"), &format!("buyer-{n}"), lines)
                    .await;
            })
        })
        .collect();
    for buyer in buyers {
        buyer.await.unwrap();
    }
    world.settle(t0()).await;

    let mut statuses = Vec::new();
    for n in 0..50 {
        let order = world
            .app
            .orders
            .store()
            .load(&format!("o-{n}"))
            .await
            .unwrap()
            .aggregate;
        statuses.push(order.status().unwrap());
    }
    let awaiting = statuses
        .iter()
        .filter(|s| **s == OrderStatus::AwaitingPayment)
        .count();
    let cancelled = statuses
        .iter()
        .filter(|s| **s == OrderStatus::Cancelled)
        .count();
    assert_eq!((awaiting, cancelled), (10, 40));
    assert_eq!(world.levels("apple").await, (10, 10));
}
