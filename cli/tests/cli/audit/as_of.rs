//! An aggregate's state as of instant T, folded from its events, equals
//! what the read models showed at T, after more events changed both.

use bazaar_commands::audit::state_as_of;
use bazaar_domain::order::OrderCommand;
use bazaar_event_store::audit::{AggregateState, StateRequest};
use bazaar_testkit::fixtures::{meta, minutes, t0, vendor};
use bazaar_testkit::world::World;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgPool;

use super::checkout::{in_flow, now, pay, place, project};

/// What `read.orders` and `read.vendor_orders` show of order o-1.
#[derive(Debug, PartialEq)]
struct OrderView {
    status: String,
    total: i64,
    payment_id: Option<String>,
    refunded_total: i64,
    last_sequence: i64,
    vendors: Vec<(String, String, i64)>,
}

async fn order_view(pool: &PgPool) -> OrderView {
    let (status, total, payment_id, refunded_total, last_sequence) = sqlx::query_as(
        "select status, total, payment_id, refunded_total, last_sequence \
           from read.orders where order_id = 'o-1'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let vendors = sqlx::query_as(
        "select vendor_id, status, refunded from read.vendor_orders \
          where order_id = 'o-1' order by vendor_id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    OrderView {
        status,
        total,
        payment_id,
        refunded_total,
        last_sequence,
        vendors,
    }
}

/// The same facts from the Order aggregate's state.
fn order_facts(state: &AggregateState) -> OrderView {
    let order = &state.state;
    let vendors: Vec<(String, String, i64)> = order["vendor_orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                text(&v["vendor"]),
                text(&v["status"]),
                v["refunded"]["amount"].as_i64().unwrap(),
            )
        })
        .collect();
    OrderView {
        status: text(&order["status"]),
        total: order["checkout"]["total"]["amount"].as_i64().unwrap(),
        payment_id: order["payment"]["payment_id"].as_str().map(str::to_owned),
        refunded_total: vendors.iter().map(|v| v.2).sum(),
        last_sequence: state.sequence,
        vendors,
    }
}

fn text(value: &Value) -> String {
    value.as_str().expect("a string").to_owned()
}

/// (on hand, reserved, last sequence) of the apple stock in the read model.
async fn apple_view(pool: &PgPool) -> (i64, i64, i64) {
    sqlx::query_as(
        "select b.on_hand, b.reserved, l.last_sequence \
           from read.stock_batches b join read.stock_levels l using (sku, warehouse_id) \
          where b.sku = 'apple'",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

fn apple_facts(state: &AggregateState) -> (i64, i64, i64) {
    let batch = &state.state["batches"]["b-apple"];
    (
        batch["on_hand"].as_i64().unwrap(),
        batch["reserved"].as_i64().unwrap(),
        state.sequence,
    )
}

async fn state(world: &World, aggregate_type: &str, id: &str, at: DateTime<Utc>) -> AggregateState {
    let request = StateRequest {
        aggregate_type: aggregate_type.into(),
        aggregate_id: id.into(),
        sequence: None,
        at: Some(at),
    };
    state_as_of(&world.app, &request).await.unwrap()
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn the_state_as_of_t_is_what_the_read_models_showed_at_t(pool: PgPool) {
    let world = World::new(&pool);
    world.stock_up().await;
    let checkout = uuid::Uuid::now_v7();
    world.order_as("o-1", place(), &in_flow(checkout)).await;
    world.settle(t0()).await;
    world
        .order_as("o-1", pay(minutes(5)), &in_flow(checkout))
        .await;
    world.settle(minutes(5)).await;
    project(&world).await;
    let t = now(&world).await;
    let (order_at_t, apple_at_t) = (order_view(&pool).await, apple_view(&pool).await);

    // later: vendor A's part is cancelled, its apples go back on the shelf
    let cancel = OrderCommand::CancelVendorOrder {
        vendor: vendor("vendor-a"),
        reason: "out of season".into(),
        at: minutes(10),
    };
    world
        .order_as("o-1", cancel, &meta("vendor:vendor-a"))
        .await;
    world.settle(minutes(10)).await;
    project(&world).await;
    assert_ne!(
        order_view(&pool).await,
        order_at_t,
        "the read model moved on"
    );
    assert_ne!(apple_view(&pool).await, apple_at_t);

    let order_then = state(&world, "order", "o-1", t).await;
    let apple_then = state(&world, "stock", "apple@w1", t).await;

    assert_eq!(order_facts(&order_then), order_at_t);
    assert_eq!(apple_facts(&apple_then), apple_at_t);
    assert_eq!(apple_at_t.0, 5, "apples committed to the order at T");
    let order_now = state(&world, "Order", "o-1", now(&world).await).await;
    assert_eq!(order_facts(&order_now), order_view(&pool).await);
    let by_sequence = StateRequest {
        aggregate_type: "order".into(),
        aggregate_id: "o-1".into(),
        sequence: Some(order_then.sequence),
        at: None,
    };
    let by_sequence = state_as_of(&world.app, &by_sequence).await.unwrap();
    assert_eq!(by_sequence.state, order_then.state);
}
