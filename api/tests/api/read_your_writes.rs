//! A command's `position` lets a query wait for the read model instead
//! of polling; a position the read model does not reach in time is 503.

use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::fixtures::{line, place_order, receive_stock};
use crate::helpers::{buyer, spawn_full, vendor};

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_query_with_min_position_sees_the_command_at_once(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    let received = receive_stock(&app, "v-1", "apple", 10).await;
    let position = received["position"].as_str().unwrap();

    let stock = app
        .read(
            &vendor("v-1"),
            &format!("/v1/stock/apple/wh-1?min_position={position}"),
        )
        .await;
    assert_eq!(stock["level"]["on_hand"], 10);
    assert_eq!(stock["level"]["vendor_id"], "v-1");

    for n in 0..10 {
        let placed = place_order(&app, "buyer-1", vec![line("v-1", "apple", 1, 100 + n)]).await;
        let order = placed["aggregate_id"].as_str().unwrap();
        let position = placed["position"].as_str().unwrap();
        let detail = app
            .read(
                &buyer("buyer-1"),
                &format!("/v1/orders/{order}?min_position={position}"),
            )
            .await;
        assert_eq!(
            detail["order"]["order_id"], order,
            "read {n} saw its own write"
        );
        assert_eq!(detail["order"]["total"], 100 + n);
    }
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_position_not_reached_in_time_is_503_with_retry_after(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |s| s.read_wait_ms = 200).await;

    let response = app
        .get_as(
            &buyer("buyer-1"),
            "/v1/orders?min_position=999999999-999999999",
        )
        .await;

    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "1");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], "/problems/read-model-behind");
}
