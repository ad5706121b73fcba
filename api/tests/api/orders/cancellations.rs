//! Cancelling a vendor's part, the whole order, and a payment that comes
//! after the order closed; the saga's refunds checked in the payment read
//! model.

use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::{order_after, part, vendor_part_after};
use crate::fixtures::{
    eventually, line, order_when, paid_order, pay, place_order, receive_stock, refused,
};
use crate::helpers::{admin, buyer, spawn_full, vendor};

fn reason(text: &str) -> Value {
    json!({ "reason": text })
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_vendor_cancels_its_part_of_a_paid_order_then_the_buyer_cancels_the_rest(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    receive_stock(&app, "v-1", "apple", 10).await;
    receive_stock(&app, "v-2", "pear", 10).await;
    let cart = vec![line("v-1", "apple", 2, 250), line("v-2", "pear", 1, 1000)];
    let order = paid_order(&app, "buyer-1", cart).await;

    let cancelled = app
        .command(
            &vendor("v-2"),
            &part(&order, "v-2", "cancel"),
            &reason("out of pears"),
            200,
        )
        .await;
    let theirs = vendor_part_after(&app, "v-2", &order, &cancelled).await;
    assert_eq!(theirs["vendor_order"]["status"], "CANCELLED");
    assert_eq!(theirs["vendor_order"]["refunded"], 1000);
    assert_eq!(theirs["lines"][0]["refunded_amount"], 1000);
    let seen = order_after(&app, &buyer("buyer-1"), &order, &cancelled).await;
    assert_eq!(seen["order"]["status"], "PAID", "v-1's part lives on");
    assert_eq!(seen["order"]["refunded_total"], 1000);
    let split = eventually(&app, &admin(), &format!("/v1/payments/{order}"), |p| {
        p["platform"]["refunded"] == 1000
    })
    .await;
    assert_eq!(split["platform"]["platform_fee_refunded"], 100);
    assert_eq!(split["platform"]["remaining"], 500);
    eventually(&app, &vendor("v-2"), "/v1/stock/pear/wh-1", |s| {
        s["level"]["on_hand"] == 10 && s["level"]["available"] == 10
    })
    .await;

    let closed = app
        .command(
            &buyer("buyer-1"),
            &format!("/v1/orders/{order}/cancel"),
            &reason("changed my mind"),
            200,
        )
        .await;
    let seen = order_after(&app, &buyer("buyer-1"), &order, &closed).await;
    assert_eq!(seen["order"]["status"], "CANCELLED");
    assert_eq!(seen["order"]["cancel_reason"], "changed my mind");
    assert_eq!(seen["order"]["refunded_total"], 1500);
    let split = eventually(&app, &admin(), &format!("/v1/payments/{order}"), |p| {
        p["platform"]["remaining"] == 0
    })
    .await;
    assert_eq!(split["platform"]["refunded"], 1500);
    assert_eq!(split["platform"]["platform_fee_refunded"], 150);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn an_unpaid_order_is_cancelled_and_a_late_payment_is_booked_and_refunded(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    receive_stock(&app, "v-1", "apple", 10).await;
    let placed = place_order(&app, "buyer-1", vec![line("v-1", "apple", 4, 250)]).await;
    let order = placed["aggregate_id"].as_str().unwrap().to_owned();
    order_when(&app, &order, "AWAITING_PAYMENT").await;
    eventually(&app, &vendor("v-1"), "/v1/stock/apple/wh-1", |s| {
        s["level"]["reserved"] == 4
    })
    .await;
    let expire = format!("/v1/orders/{order}/expire");
    let early = refused(&app, &admin(), &expire, &json!({})).await;
    assert_eq!(early, (409, "payment-not-due".to_owned()));

    let cancelled = app
        .command(
            &buyer("buyer-1"),
            &format!("/v1/orders/{order}/cancel"),
            &reason("found it cheaper"),
            200,
        )
        .await;
    let seen = order_after(&app, &buyer("buyer-1"), &order, &cancelled).await;
    assert_eq!(seen["order"]["status"], "CANCELLED");
    assert_eq!(seen["order"]["refunded_total"], 0, "nothing was paid");
    eventually(&app, &vendor("v-1"), "/v1/stock/apple/wh-1", |s| {
        s["level"]["reserved"] == 0 && s["level"]["available"] == 10
    })
    .await;
    let closed = refused(&app, &admin(), &expire, &json!({})).await;
    assert_eq!(closed, (409, "order-closed".to_owned()));

    pay(&app, &order, 1000).await;
    let split = eventually(&app, &admin(), &format!("/v1/payments/{order}"), |p| {
        p["platform"]["refunded"] == 1000
    })
    .await;
    assert_eq!(split["platform"]["captured"], 1000);
    assert_eq!(split["platform"]["remaining"], 0);
    let seen = app
        .read(&buyer("buyer-1"), &format!("/v1/orders/{order}"))
        .await;
    assert_eq!(seen["order"]["status"], "CANCELLED");
}
