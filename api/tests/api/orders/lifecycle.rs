//! The happy path of a two-vendor order, step by step, with the read
//! model checked after every command.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::{order_after, part, vendor_part_after};
use crate::fixtures::{eventually, line, pay, receive_stock, refused};
use crate::helpers::{admin, buyer, spawn_full, vendor, TestApp};

fn time(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("not a time: {value}"))
}

/// Places buyer-1's cart of 3 apples from v-1 and a pear from v-2 and
/// checks the order as placed; returns its id.
async fn place(app: &TestApp) -> String {
    let lines = [line("v-1", "apple", 3, 250), line("v-2", "pear", 1, 1000)];
    let cart = json!({"currency": "EUR", "lines": lines});
    let response = app.post_as(&buyer("buyer-1"), "/v1/orders", &cart).await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let placed: Value = response.json().await.unwrap();
    let order = placed["aggregate_id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/v1/orders/{order}"));

    let detail = order_after(app, &buyer("buyer-1"), &order, &placed).await;
    assert_eq!(detail["order"]["status"], "AWAITING_PAYMENT");
    assert_eq!(detail["order"]["buyer_id"], "buyer-1");
    assert_eq!(detail["order"]["total"], 1750);
    assert_eq!(detail["order"]["fee_rate_bps"], 1000);
    assert_eq!(detail["order"]["vendor_count"], 2);
    assert_eq!(detail["lines"][0]["line_total"], 750);
    assert_eq!(detail["lines"][1]["vendor_id"], "v-2");
    let parts: Vec<(&str, i64, &str)> = detail["vendor_orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let id = v["vendor_id"].as_str().unwrap();
            (
                id,
                v["subtotal"].as_i64().unwrap(),
                v["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        parts,
        vec![("v-1", 750, "CREATED"), ("v-2", 1000, "CREATED")]
    );
    order
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn an_order_is_paid_packed_shipped_in_two_parcels_delivered_and_completed(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    receive_stock(&app, "v-1", "apple", 10).await;
    receive_stock(&app, "v-2", "pear", 10).await;
    let order = place(&app).await;
    eventually(&app, &vendor("v-1"), "/v1/stock/apple/wh-1", |s| {
        s["level"]["reserved"] == 3
    })
    .await;

    let paid = pay(&app, &order, 1750).await;
    let detail = order_after(&app, &admin(), &order, &paid).await;
    assert_eq!(detail["order"]["status"], "PAID");
    assert_eq!(detail["order"]["payment_id"], format!("pay-{order}"));
    assert!(detail["order"]["paid_at"].is_string());
    eventually(&app, &vendor("v-1"), "/v1/stock/apple/wh-1", |s| {
        s["level"]["on_hand"] == 7 && s["level"]["reserved"] == 0
    })
    .await;

    let packed = app
        .command(
            &vendor("v-1"),
            &part(&order, "v-1", "pack"),
            &json!({}),
            200,
        )
        .await;
    let mine = vendor_part_after(&app, "v-1", &order, &packed).await;
    assert_eq!(mine["vendor_order"]["status"], "PACKED");
    assert!(mine["vendor_order"]["packed_at"].is_string());

    let parcel = |tracking: &str, units: u32| {
        json!({
            "tracking": tracking, "lines": [{"line_no": 1, "quantity": units}]
        })
    };
    let shipments = part(&order, "v-1", "shipments");
    let first = app
        .command(&vendor("v-1"), &shipments, &parcel("TRK-1", 1), 200)
        .await;
    let mine = vendor_part_after(&app, "v-1", &order, &first).await;
    assert_eq!(mine["vendor_order"]["status"], "PARTIALLY_SHIPPED");
    assert_eq!(mine["vendor_order"]["tracking"], "TRK-1");
    assert!(mine["vendor_order"]["auto_confirm_at"].is_null());
    assert_eq!(mine["lines"][0]["shipped_quantity"], 1);
    let seen = order_after(&app, &buyer("buyer-1"), &order, &first).await;
    assert_eq!(seen["order"]["status"], "PARTIALLY_SHIPPED");

    let rest = app
        .command(&vendor("v-1"), &shipments, &parcel("TRK-2", 2), 200)
        .await;
    let mine = vendor_part_after(&app, "v-1", &order, &rest).await;
    let shipped = &mine["vendor_order"];
    assert_eq!(shipped["status"], "SHIPPED");
    assert_eq!(shipped["tracking"], "TRK-2");
    assert_eq!(mine["lines"][0]["shipped_quantity"], 3);
    assert_eq!(
        time(&shipped["auto_confirm_at"]) - time(&shipped["shipped_at"]),
        Duration::days(14)
    );

    let delivered = app
        .command(
            &buyer("buyer-1"),
            &part(&order, "v-1", "delivery"),
            &json!({}),
            200,
        )
        .await;
    let mine = vendor_part_after(&app, "v-1", &order, &delivered).await;
    assert_eq!(mine["vendor_order"]["status"], "DELIVERED");
    assert_eq!(mine["vendor_order"]["delivery_confirmed_by"], "BUYER");

    let completed = app
        .command(&admin(), &part(&order, "v-1", "complete"), &json!({}), 200)
        .await;
    let mine = vendor_part_after(&app, "v-1", &order, &completed).await;
    assert_eq!(mine["vendor_order"]["status"], "COMPLETED");
    assert!(mine["vendor_order"]["completed_at"].is_string());
    assert_eq!(mine["vendor_order"]["refunded"], 0);

    finish_the_second_vendor(&app, &order).await;
}

/// v-2 ships everything in one parcel; auto-delivery is refused before
/// its time; the buyer confirms; completing it completes the order.
async fn finish_the_second_vendor(app: &TestApp, order: &str) {
    app.command(&vendor("v-2"), &part(order, "v-2", "pack"), &json!({}), 200)
        .await;
    let parcel = json!({"tracking": "TRK-3", "lines": [{"line_no": 2, "quantity": 1}]});
    app.command(
        &vendor("v-2"),
        &part(order, "v-2", "shipments"),
        &parcel,
        200,
    )
    .await;

    let early = refused(
        app,
        &admin(),
        &part(order, "v-2", "auto-delivery"),
        &json!({}),
    )
    .await;
    assert_eq!(early, (409, "delivery-not-due".to_owned()));
    let delivered = app
        .command(
            &buyer("buyer-1"),
            &part(order, "v-2", "delivery"),
            &json!({}),
            200,
        )
        .await;
    let seen = order_after(app, &buyer("buyer-1"), order, &delivered).await;
    assert_eq!(seen["order"]["status"], "DELIVERED");
    let late = refused(
        app,
        &admin(),
        &part(order, "v-2", "auto-delivery"),
        &json!({}),
    )
    .await;
    assert_eq!(late, (409, "already-delivered".to_owned()));

    let completed = app
        .command(&admin(), &part(order, "v-2", "complete"), &json!({}), 200)
        .await;
    let seen = order_after(app, &admin(), order, &completed).await;
    assert_eq!(seen["order"]["status"], "COMPLETED");
    let statuses: Vec<&str> = seen["vendor_orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["COMPLETED", "COMPLETED"]);
}
