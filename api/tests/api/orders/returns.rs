//! A return: requested by the buyer, received by the vendor with a
//! damaged unit; undamaged units go back on the shelf, every received
//! unit is refunded, and the vendor order completes after.

use serde_json::json;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::{order_after, part, vendor_part_after};
use crate::fixtures::{eventually, line, paid_order, receive_stock, refused};
use crate::helpers::{admin, buyer, spawn_full, vendor, TestApp};

/// A delivered order of 4 apples at 2.50 from v-1.
async fn delivered(app: &TestApp) -> String {
    receive_stock(app, "v-1", "apple", 10).await;
    let order = paid_order(app, "buyer-1", vec![line("v-1", "apple", 4, 250)]).await;
    app.command(
        &vendor("v-1"),
        &part(&order, "v-1", "pack"),
        &json!({}),
        200,
    )
    .await;
    let parcel = json!({"tracking": "TRK-1", "lines": [{"line_no": 1, "quantity": 4}]});
    app.command(
        &vendor("v-1"),
        &part(&order, "v-1", "shipments"),
        &parcel,
        200,
    )
    .await;
    app.command(
        &buyer("buyer-1"),
        &part(&order, "v-1", "delivery"),
        &json!({}),
        200,
    )
    .await;
    order
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn returned_units_are_refunded_and_only_undamaged_ones_restocked(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    let order = delivered(&app).await;
    eventually(&app, &vendor("v-1"), "/v1/stock/apple/wh-1", |s| {
        s["level"]["on_hand"] == 6
    })
    .await;

    let request = json!({"lines": [{"line_no": 1, "quantity": 3}], "reason": "too ripe"});
    let requested = app
        .command(
            &buyer("buyer-1"),
            &part(&order, "v-1", "returns"),
            &request,
            200,
        )
        .await;
    let mine = vendor_part_after(&app, "v-1", &order, &requested).await;
    assert_eq!(mine["lines"][0]["return_requested_quantity"], 3);
    assert_eq!(mine["vendor_order"]["status"], "DELIVERED");
    let open = refused(&app, &admin(), &part(&order, "v-1", "complete"), &json!({})).await;
    assert_eq!(open, (409, "return-in-progress".to_owned()));

    let receipt = json!({"lines": [{"line_no": 1, "received": 3, "damaged": 1}]});
    let received = app
        .command(
            &vendor("v-1"),
            &part(&order, "v-1", "returns/receipts"),
            &receipt,
            200,
        )
        .await;
    let mine = vendor_part_after(&app, "v-1", &order, &received).await;
    let returned = &mine["lines"][0];
    assert_eq!(returned["returned_quantity"], 3);
    assert_eq!(returned["damaged_quantity"], 1);
    assert_eq!(returned["refunded_amount"], 750, "damaged units too");
    assert_eq!(mine["vendor_order"]["refunded"], 750);
    let seen = order_after(&app, &buyer("buyer-1"), &order, &received).await;
    assert_eq!(seen["order"]["refunded_total"], 750);

    let stock = eventually(&app, &vendor("v-1"), "/v1/stock/apple/wh-1", |s| {
        s["level"]["on_hand"] == 8
    })
    .await;
    assert_eq!(stock["level"]["available"], 8, "2 of 3 back on the shelf");
    let split = eventually(&app, &admin(), &format!("/v1/payments/{order}"), |p| {
        p["platform"]["refunded"] == 750
    })
    .await;
    assert_eq!(split["platform"]["platform_fee_refunded"], 75);
    assert_eq!(split["vendors"][0]["net_refunded"], 675);

    let completed = app
        .command(&admin(), &part(&order, "v-1", "complete"), &json!({}), 200)
        .await;
    let seen = order_after(&app, &admin(), &order, &completed).await;
    assert_eq!(seen["order"]["status"], "COMPLETED");
    assert_eq!(seen["vendor_orders"][0]["refunded"], 750);
}
