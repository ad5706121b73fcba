//! How the stock projection refuses events it cannot apply: it stops on
//! them (poison) instead of writing a wrong row.

use std::time::Duration;

use bazaar_commands::WriteSide;
use bazaar_event_store::{Position, RecordedEvent};
use bazaar_projections::generation::{self, ensure_live};
use bazaar_projections::read_models::stock::Stock;
use bazaar_projections::runtime::catch_up;
use bazaar_projections::{ApplyError, Projection};
use bazaar_testkit::read;
use bazaar_testkit::world::all_events;
use chrono::Utc;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use super::world::{self, at, date, stream, SKU};

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_reservation_id_held_on_two_stocks_stops_the_projection(pool: PgPool) {
    let app = WriteSide::new(pool.clone());
    for sku in [SKU, "sku-bread"] {
        world::run(&app, sku, world::receive(sku, "b-1", 5, date(12, 31), 0)).await;
        let same = world::reserve("r-same", 1, at(3, 9, 0), date(11, 3));
        world::run(&app, sku, same).await;
    }
    let generation = read::live(&pool, &Stock).await;

    let stopped = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            match catch_up(&pool, &Stock, generation, |_| {}).await {
                Err(error) => return error,
                // the horizon may still hide the second stock's events
                Ok(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
    });

    let reason = stopped
        .await
        .expect("the projection reaches the second hold")
        .to_string();
    assert!(
        reason.contains("reservation id r-same is used by another stock"),
        "{reason}"
    );
    assert_eq!(ensure_live(&pool, &Stock).await.unwrap().status, "failed");
}

fn fabricated(aggregate_type: &str, payload: Value) -> RecordedEvent {
    RecordedEvent {
        position: Position::new(1, 1),
        event_id: Uuid::now_v7(),
        aggregate_type: aggregate_type.to_owned(),
        aggregate_id: stream(SKU),
        sequence: 1,
        event_type: "BatchReceived".to_owned(),
        event_version: "1.0".to_owned(),
        payload: payload.into(),
        metadata: json!({}).into(),
        recorded_at: Utc::now(),
    }
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn an_unreadable_payload_poisons_and_other_aggregates_are_ignored(pool: PgPool) {
    let generation = read::live(&pool, &Stock).await;
    let mut tx = bazaar_event_store::pool::begin(&pool).await.unwrap();
    let schema = generation::schema_name(Stock::NAME, generation);
    let search_path = format!("set local search_path = {schema}, public");
    sqlx::raw_sql(&search_path).execute(&mut *tx).await.unwrap();
    let garbage = json!({"BatchReceived": {"sku": SKU}});

    let ignored = Stock
        .apply(&mut tx, &fabricated("Escrow", garbage.clone()))
        .await;
    let poisoned = Stock
        .apply(&mut tx, &fabricated("InventoryReservation", garbage))
        .await;

    assert!(ignored.is_ok());
    assert!(
        matches!(poisoned, Err(ApplyError::Poison(_))),
        "{poisoned:?}"
    );
    let count = sqlx::query_scalar("select count(*) from stock_levels");
    let rows: i64 = count.fetch_one(&mut *tx).await.unwrap();
    assert_eq!(rows, 0);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_batch_the_database_refuses_is_applied_again_one_event_at_a_time_to_name_the_event(
    pool: PgPool,
) {
    world::scenario(&WriteSide::new(pool.clone())).await;
    let mut events = all_events(&pool).await;
    // a stream that claims another SKU: only the unique `stock_id` refuses it
    let mut stranger = events[0].clone();
    let mut payload = stranger.payload.to_value();
    payload["BatchReceived"]["sku"] = json!("sku-stranger");
    stranger.payload = payload.into();
    stranger.event_id = Uuid::now_v7();
    stranger.position = Position::new(events[2].position.tx_id, 999_999);
    events.insert(3, stranger);
    let generation = read::live(&pool, &Stock).await;

    let outcome =
        bazaar_projections::batch::apply_batch(&pool, &Stock, generation, Position::START, &events)
            .await
            .unwrap();

    let bazaar_projections::batch::Batch::Poisoned { position, reason } = outcome else {
        panic!("{outcome:?}");
    };
    assert_eq!(position, events[3].position);
    assert!(reason.contains("23505"), "{reason}");
    let row = ensure_live(&pool, &Stock).await.unwrap();
    assert_eq!(row.status, "failed");
    assert_eq!(
        row.position, events[2].position.global_position,
        "the events before it are applied"
    );
}
