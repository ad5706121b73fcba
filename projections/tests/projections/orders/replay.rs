//! Rebuilding from the log gives the same rows; applying events again
//! changes nothing; events the model cannot apply poison it.

use bazaar_domain::order::OrderCommand;
use bazaar_event_store::{Position, RecordedEvent};
use bazaar_projections::generation::{create, schema_name};
use bazaar_projections::read_models::orders::Orders;
use bazaar_projections::{ApplyError, Projection};
use bazaar_testkit::fixtures::{days, line, minutes, pay, t0, vendor};
use bazaar_testkit::read;
use bazaar_testkit::world::{all_events, World};
use sqlx::PgPool;
use uuid::Uuid;

use super::lifecycle::full_lifecycle;
use super::rows::{dump, project};

/// o-1's whole lifecycle, o-2 expired unpaid, o-3 paid with one vendor
/// cancelled.
async fn three_orders(world: &World) {
    full_lifecycle(world).await;
    world
        .place("o-2", "buyer-2", vec![line("vendor-b", "bread", 1, 450)])
        .await;
    world.three_vendor_order("o-3").await;
    world.settle(t0()).await;
    world.order("o-3", pay(2_900, minutes(5))).await;
    world.settle(minutes(5)).await;
    let cancel = OrderCommand::CancelVendorOrder {
        vendor: vendor("vendor-c"),
        reason: "cheese sold out".to_owned(),
        at: minutes(60),
    };
    world.order("o-3", cancel).await;
    world.settle(days(21)).await;
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_rebuilt_generation_has_the_same_rows_as_the_live_one(pool: PgPool) {
    let world = World::new(&pool);
    three_orders(&world).await;
    let live = project(&pool).await;

    let mut tx = bazaar_event_store::pool::begin(&pool).await.unwrap();
    let rebuilt = create(&mut tx, &Orders, "building").await.unwrap();
    tx.commit().await.unwrap();
    read::catch_up(&pool, &Orders, rebuilt).await;

    let statuses: Vec<String> =
        sqlx::query_scalar("select status from read.orders order by order_id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(statuses, ["DELIVERED", "PAYMENT_EXPIRED", "PAID"]);
    assert_ne!(live, rebuilt);
    assert_eq!(dump(&pool, rebuilt).await, dump(&pool, live).await);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn applying_every_event_again_changes_nothing(pool: PgPool) {
    let world = World::new(&pool);
    three_orders(&world).await;
    let generation = project(&pool).await;
    let before = dump(&pool, generation).await;

    let events = all_events(&pool).await;
    assert!(
        events.iter().any(|e| e.aggregate_type != "Order"),
        "other aggregates are skipped too"
    );
    let mut tx = bazaar_event_store::pool::begin(&pool).await.unwrap();
    let schema = schema_name(Orders::NAME, generation);
    sqlx::raw_sql(&format!("set local search_path = {schema}, public"))
        .execute(&mut *tx)
        .await
        .unwrap();
    for event in events.iter().chain(events.iter()) {
        Orders.apply(&mut tx, event).await.unwrap();
    }
    tx.commit().await.unwrap();

    assert_eq!(dump(&pool, generation).await, before);
}

/// A new `building` generation of the orders model.
async fn fresh(pool: &PgPool) -> i32 {
    let mut tx = bazaar_event_store::pool::begin(pool).await.unwrap();
    let generation = create(&mut tx, &Orders, "building").await.unwrap();
    tx.commit().await.unwrap();
    generation
}

async fn in_generation(
    pool: &PgPool,
    generation: i32,
) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut tx = bazaar_event_store::pool::begin(pool).await.unwrap();
    let schema = schema_name(Orders::NAME, generation);
    sqlx::raw_sql(&format!("set local search_path = {schema}, public"))
        .execute(&mut *tx)
        .await
        .unwrap();
    tx
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn one_set_based_batch_gives_the_rows_of_one_event_at_a_time(pool: PgPool) {
    let world = World::new(&pool);
    three_orders(&world).await;
    let events = all_events(&pool).await;

    let single = fresh(&pool).await;
    let mut tx = in_generation(&pool, single).await;
    for event in &events {
        Orders.apply(&mut tx, event).await.unwrap();
    }
    tx.commit().await.unwrap();

    // every order's events twice in one batch: the second copies are skipped
    let batched = fresh(&pool).await;
    let twice: Vec<RecordedEvent> = events.iter().chain(events.iter()).cloned().collect();
    let mut tx = in_generation(&pool, batched).await;
    Orders.apply_batch(&mut tx, &twice).await.unwrap();
    tx.commit().await.unwrap();

    let rows = dump(&pool, single).await;
    assert!(
        rows[0].contains("\"o-3\"") && rows[2].contains("vendor-c"),
        "{rows:?}"
    );
    assert_eq!(dump(&pool, batched).await, rows);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_batch_names_the_event_it_cannot_apply(pool: PgPool) {
    let world = World::new(&pool);
    three_orders(&world).await;
    let mut events = all_events(&pool).await;
    let stranger = order_event(
        "o-1",
        99,
        serde_json::json!({ "OrderPlaced": { "buyer": 7 } }),
    );
    events.insert(3, stranger);

    let generation = fresh(&pool).await;
    let mut tx = in_generation(&pool, generation).await;
    let failure = Orders.apply_batch(&mut tx, &events).await.unwrap_err();
    assert_eq!(failure.at, Some(3));
    assert!(
        matches!(failure.error, ApplyError::Poison(_)),
        "{:?}",
        failure.error
    );
}

fn order_event(id: &str, sequence: i64, payload: serde_json::Value) -> RecordedEvent {
    let event_type = payload
        .as_object()
        .and_then(|o| o.keys().next().cloned())
        .unwrap_or_default();
    RecordedEvent {
        position: Position::new(1, sequence),
        event_id: Uuid::now_v7(),
        aggregate_type: "Order".to_owned(),
        aggregate_id: id.to_owned(),
        sequence,
        event_type,
        event_version: "1.0".to_owned(),
        payload: payload.into(),
        metadata: serde_json::json!({}).into(),
        recorded_at: t0(),
    }
}

async fn apply_alone(pool: &PgPool, event: &RecordedEvent) -> Result<(), ApplyError> {
    let generation = project(pool).await;
    let mut tx = in_generation(pool, generation).await;
    Orders.apply(&mut tx, event).await
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn an_unreadable_payload_an_order_never_placed_or_a_stranger_vendor_poisons(pool: PgPool) {
    let unreadable = order_event(
        "o-9",
        1,
        serde_json::json!({ "OrderPlaced": { "buyer": 7 } }),
    );
    let error = apply_alone(&pool, &unreadable).await.unwrap_err();
    assert!(
        matches!(&error, ApplyError::Poison(r) if r.contains("unreadable OrderPlaced")),
        "{error}"
    );

    let packed = serde_json::json!({ "VendorOrderPacked": {
        "vendor": "vendor-a", "packed_at": days(1),
        "vendor_order_status": "PACKED", "order_status": "PAID"
    }});
    let error = apply_alone(&pool, &order_event("o-9", 3, packed.clone()))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ApplyError::Poison(r) if r.contains("before it was placed")),
        "{error}"
    );

    World::new(&pool)
        .place("o-9", "buyer-1", vec![line("vendor-b", "bread", 1, 450)])
        .await;
    let error = apply_alone(&pool, &order_event("o-9", 2, packed))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ApplyError::Poison(r) if r.contains("not in the order") && r.contains("vendor-a")),
        "{error}"
    );
}
