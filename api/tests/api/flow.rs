//! One multi-vendor checkout through the HTTP API only, as buyers,
//! vendors and the payment webhook would drive it, with the workers
//! (saga, projections) running: every amount checked to the cent.

use serde_json::json;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::fixtures::{eventually, line, order_when, pay, place_order, receive_stock};
use crate::helpers::{admin, buyer, spawn_full, vendor};

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_two_vendor_checkout_is_paid_split_shipped_and_delivered(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    receive_stock(&app, "v-1", "apple", 10).await;
    receive_stock(&app, "v-2", "pear", 10).await;

    let placed = place_order(
        &app,
        "buyer-1",
        vec![line("v-1", "apple", 2, 250), line("v-2", "pear", 1, 1000)],
    )
    .await;
    let order = placed["aggregate_id"].as_str().unwrap().to_owned();
    let detail = order_when(&app, &order, "AWAITING_PAYMENT").await;
    assert_eq!(detail["order"]["total"], 1500);
    assert_eq!(detail["vendor_orders"].as_array().unwrap().len(), 2);
    eventually(&app, &vendor("v-1"), "/v1/stock/apple/wh-1", |s| {
        s["level"]["reserved"] == 2
    })
    .await;

    pay(&app, &order, 1500).await;
    let split = eventually(&app, &admin(), &format!("/v1/payments/{order}"), |_| true).await;
    assert_eq!(split["platform"]["captured"], 1500);
    assert_eq!(
        split["platform"]["platform_fee"], 150,
        "10 % of each vendor's gross"
    );
    let nets: Vec<i64> = split["vendors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["net"].as_i64().unwrap())
        .collect();
    assert_eq!(nets, vec![450, 900]);
    order_when(&app, &order, "PAID").await;

    let part = format!("/v1/orders/{order}/vendors/v-1");
    app.command(&vendor("v-1"), &format!("{part}/pack"), &json!({}), 200)
        .await;
    let shipment = json!({"tracking": "TRK-1", "lines": [{"line_no": 1, "quantity": 2}]});
    app.command(&vendor("v-1"), &format!("{part}/shipments"), &shipment, 200)
        .await;
    let delivered = app
        .command(
            &buyer("buyer-1"),
            &format!("{part}/delivery"),
            &json!({}),
            200,
        )
        .await;
    let position = delivered["position"].as_str().unwrap();

    let mine = app
        .read(
            &vendor("v-1"),
            &format!("/v1/vendors/v-1/orders/{order}?min_position={position}"),
        )
        .await;
    assert_eq!(mine["vendor_order"]["status"], "DELIVERED");
    assert_eq!(
        mine["lines"].as_array().unwrap().len(),
        1,
        "only v-1's own line"
    );
    let balances = eventually(&app, &vendor("v-1"), "/v1/vendors/v-1/balances", |b| {
        b.as_array().is_some_and(|rows| !rows.is_empty())
    })
    .await;
    assert_eq!(balances[0]["earned"], 450);
    assert_eq!(
        app.get_as(&vendor("v-1"), "/v1/vendors/v-2/balances")
            .await
            .status(),
        404
    );
}
