use bazaar_domain::order::{OrderCommand, OrderStatus};
use bazaar_domain::payment_split::PaymentSplit;
use bazaar_event_store::read_stream;
use bazaar_testkit::fixtures::{eur, line, meta, minutes, pay, t0, vendor};
use bazaar_testkit::world::World;
use chrono::Duration;
use sqlx::PgPool;

async fn escrow_balance(world: &World, id: &str) -> serde_json::Value {
    let events = read_stream(&world.pool, "Escrow", id, 0).await.unwrap();
    let last = events.last().expect("escrow events");
    let payload = last.payload.to_value();
    let (_, body) = payload.as_object().unwrap().iter().next().unwrap();
    body["escrow"].clone()
}

async fn split(world: &World, id: &str) -> PaymentSplit {
    world.app.splits.store().load(id).await.unwrap().aggregate
}

async fn ship_everything(world: &World) {
    let at = t0() + Duration::days(1);
    for (id, lines) in [
        ("vendor-a", vec![(1, 3), (3, 2)]),
        ("vendor-b", vec![(2, 1)]),
        ("vendor-c", vec![(4, 2)]),
    ] {
        world
            .order(
                "o-1",
                OrderCommand::PackVendorOrder {
                    vendor: vendor(id),
                    at,
                },
            )
            .await;
        let ship = OrderCommand::ShipVendorOrder {
            vendor: vendor(id),
            tracking: format!("trk-{id}"),
            lines,
            at,
        };
        world.order("o-1", ship).await;
    }
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn an_order_across_three_vendors_runs_from_placement_to_payout(pool: PgPool) {
    let world = World::new(&pool);
    world.stock_up().await;
    world.three_vendor_order("o-1").await;
    world.settle(t0()).await;
    assert_eq!(
        world.levels("apple").await,
        (10, 5),
        "apple lines summed into one reservation"
    );

    world.order("o-1", pay(2_900, minutes(5))).await;
    world.settle(t0() + Duration::minutes(5)).await;
    assert_eq!(world.levels("apple").await, (5, 0), "committed at payment");
    assert_eq!(escrow_balance(&world, "o-1").await["held"]["amount"], 2_900);

    ship_everything(&world).await;
    for id in ["vendor-a", "vendor-b"] {
        let confirm = OrderCommand::ConfirmDelivery {
            vendor: vendor(id),
            at: t0() + Duration::days(3),
        };
        world.order("o-1", confirm).await;
    }
    // vendor C's buyer never confirms: auto-confirmation 14 days after shipping
    world.settle(t0() + Duration::days(15)).await;
    // inspection (3 days) lapses, escrow releases, payouts a day later
    world.settle(t0() + Duration::days(30)).await;

    let order = world
        .app
        .orders
        .store()
        .load("o-1")
        .await
        .unwrap()
        .aggregate;
    assert_eq!(order.status(), Some(OrderStatus::Delivered));
    let escrow = escrow_balance(&world, "o-1").await;
    assert_eq!(
        (escrow["status"].as_str(), &escrow["released"]["amount"]),
        (Some("Closed"), &2_900.into())
    );
    let split = split(&world, "o-1").await;
    let totals = split.totals().unwrap();
    assert_eq!(
        (totals.captured, totals.platform_fee, totals.remaining),
        (eur(2_900), eur(290), eur(2_900))
    );
    for (id, fee, net) in [
        ("vendor-a", 100, 900),
        ("vendor-b", 45, 405),
        ("vendor-c", 145, 1_305),
    ] {
        let balance = split.balance(&vendor(id)).unwrap();
        assert_eq!(
            (balance.fee, balance.net, balance.paid_out),
            (eur(fee), eur(net), eur(net)),
            "{id}"
        );
        assert_eq!(
            (balance.held, balance.available, balance.debt),
            (eur(0), eur(0), eur(0)),
            "{id}"
        );
    }
    let pending = world
        .count("select count(*) from scheduled_command where status = 'pending'")
        .await;
    assert_eq!(pending, 0);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_payment_after_expiry_is_refunded_and_the_stock_freed(pool: PgPool) {
    let world = World::new(&pool);
    world.stock_up().await;
    world.three_vendor_order("o-1").await;
    world.settle(t0()).await;
    world.settle(t0() + Duration::minutes(30)).await;
    assert_eq!(
        world.levels("apple").await,
        (10, 0),
        "reservation released at expiry"
    );

    world.order("o-1", pay(2_900, minutes(45))).await;
    world.settle(t0() + Duration::minutes(45)).await;

    let events = read_stream(&pool, "Order", "o-1", 0).await.unwrap();
    let payload = events.last().unwrap().payload.to_value();
    let stray = &payload["PaymentReceivedAfterClose"];
    assert_eq!(stray["refund_due"]["amount"], 2_900);
    let split = split(&world, "o-1").await;
    let totals = split.totals().unwrap();
    assert_eq!(
        (totals.captured, totals.refunded, totals.remaining),
        (eur(2_900), eur(2_900), eur(0))
    );
    assert_eq!(
        world
            .count("select count(*) from events where aggregate_type = 'Escrow'")
            .await,
        0
    );
    assert_eq!(world.levels("bread").await, (5, 0));
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_short_line_releases_the_others_and_rejects_the_order(pool: PgPool) {
    let world = World::new(&pool);
    world.receive("apple", 10).await;
    world.receive("bread", 1).await;
    let lines = vec![
        line("vendor-a", "apple", 4, 200),
        line("vendor-b", "bread", 2, 450),
    ];
    world.place("o-1", "buyer-1", lines).await;

    world.settle(t0()).await;

    let order = world
        .app
        .orders
        .store()
        .load("o-1")
        .await
        .unwrap()
        .aggregate;
    assert_eq!(order.status(), Some(OrderStatus::Cancelled));
    assert_eq!(world.levels("apple").await, (10, 0));
    assert_eq!(world.levels("bread").await, (1, 0));
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_vendor_cancelling_inside_a_paid_order_is_refunded_and_restocked(pool: PgPool) {
    let world = World::new(&pool);
    world.stock_up().await;
    world.three_vendor_order("o-1").await;
    world.settle(t0()).await;
    world.order("o-1", pay(2_900, minutes(5))).await;
    world.settle(t0() + Duration::minutes(5)).await;

    let cancel = OrderCommand::CancelVendorOrder {
        vendor: vendor("vendor-b"),
        reason: "oven broke".into(),
        at: t0() + Duration::hours(2),
    };
    world
        .app
        .orders
        .execute("o-1", cancel, &meta("vendor:vendor-b"))
        .await
        .unwrap();
    world.settle(t0() + Duration::hours(2)).await;

    let split = split(&world, "o-1").await;
    let b = split.balance(&vendor("vendor-b")).unwrap();
    assert_eq!((b.net_refunded, b.fee_refunded), (eur(405), eur(45)));
    assert_eq!(split.totals().unwrap().remaining, eur(2_450));
    assert_eq!(
        world.levels("bread").await,
        (5, 0),
        "bread back on the shelf"
    );
    assert_eq!(escrow_balance(&world, "o-1").await["held"]["amount"], 2_450);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_payment_on_time_survives_timers_firing_before_the_saga_catches_up(pool: PgPool) {
    let world = World::new(&pool);
    world.stock_up().await;
    world.three_vendor_order("o-1").await;
    world.settle(t0()).await;

    // paid a minute before the deadline; the saga lags, the timers do not
    world.order("o-1", pay(2_900, minutes(29))).await;
    let due = t0() + Duration::minutes(30);
    bazaar_commands::scheduler::run_due(&pool, &*world.app, due, 100)
        .await
        .unwrap();
    world.settle(due).await;

    let order = world
        .app
        .orders
        .store()
        .load("o-1")
        .await
        .unwrap()
        .aggregate;
    assert_eq!(order.status(), Some(OrderStatus::Paid));
    assert_eq!(
        world.levels("apple").await,
        (5, 0),
        "stock committed, not lost"
    );
    assert_eq!(escrow_balance(&world, "o-1").await["held"]["amount"], 2_900);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn each_hold_has_a_timer_that_frees_it_when_the_hold_lapses(pool: PgPool) {
    let world = World::new(&pool);
    world.stock_up().await;
    world.three_vendor_order("o-1").await;
    world.settle(t0()).await;
    let lapses = t0() + Duration::minutes(30) + Duration::hours(6);
    let due: Vec<chrono::DateTime<chrono::Utc>> = sqlx::query_scalar(
        "select due_at from scheduled_command \
         where aggregate_type = 'InventoryReservation' order by due_at",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(due, vec![lapses; 3], "one timer per hold, at its lapse");

    // no payment, and the payment path misses the order (its timer is
    // lost): the holds' own timers free the units once they lapse
    sqlx::query("delete from scheduled_command where aggregate_type = 'Order'")
        .execute(&pool)
        .await
        .unwrap();
    world.settle(lapses).await;
    let statuses: Vec<String> = sqlx::query_scalar(
        "select status from scheduled_command where aggregate_type = 'InventoryReservation'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        statuses,
        vec!["done"; 3],
        "the safety net is accepted, not refused as too early"
    );
    assert_eq!(world.levels("apple").await, (10, 0));
    assert_eq!(world.levels("bread").await, (5, 0));
    assert_eq!(world.levels("cheese").await, (4, 0));
}
