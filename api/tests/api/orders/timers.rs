//! The scheduler's order commands run by hand (admin) once their deadline
//! has passed: payment expiry and auto-confirmed delivery. The earlier
//! steps are history made in the past, and no saga or timer runs, so the
//! outcome is the command's alone.

use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::{order_after, part};
use crate::fixtures::{line, refused};
use crate::helpers::{admin, buyer, spawn_read_side};
use crate::past::{hours_ago, Past};

/// Buyer-1's order of 2 apples from v-1, placed `hours` ago and due an
/// hour later; returns its id.
async fn placed(past: &Past, hours: i64) -> String {
    let order = uuid::Uuid::now_v7().to_string();
    let place = json!({"PlaceOrder": {
        "buyer": "buyer-1", "currency": "EUR", "fee_rate": 1000,
        "lines": [line("v-1", "apple", 2, 250)],
        "payment_due_at": hours_ago(hours - 1), "at": hours_ago(hours),
    }});
    past.order(&order, place).await;
    order
}

fn answer(position: &str) -> Value {
    json!({ "position": position })
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn an_unpaid_order_past_its_deadline_expires(_: PgPoolOptions, options: PgConnectOptions) {
    let app = spawn_read_side(options).await;
    let past = Past::new(&app.pool);
    let order = placed(&past, 2).await;

    let expired = app
        .command(
            &admin(),
            &format!("/v1/orders/{order}/expire"),
            &json!({}),
            200,
        )
        .await;

    let seen = order_after(&app, &buyer("buyer-1"), &order, &expired).await;
    assert_eq!(seen["order"]["status"], "PAYMENT_EXPIRED");
    assert!(seen["order"]["cancelled_at"].is_string());
    assert_eq!(seen["vendor_orders"][0]["status"], "CANCELLED");
    let again = refused(
        &app,
        &admin(),
        &format!("/v1/orders/{order}/expire"),
        &json!({}),
    )
    .await;
    assert_eq!(again, (409, "order-closed".to_owned()));
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_shipped_order_past_its_auto_confirm_time_is_delivered_automatically(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_read_side(options).await;
    let past = Past::new(&app.pool);
    let order = placed(&past, 400).await;
    let money = json!({"amount": 500, "currency": "EUR"});
    let steps = [
        json!({"ConfirmPayment": {"payment_id": "pay-1", "amount": money, "at": hours_ago(399)}}),
        json!({"PackVendorOrder": {"vendor": "v-1", "at": hours_ago(398)}}),
        json!({"ShipVendorOrder": {
            "vendor": "v-1", "tracking": "TRK-1", "lines": [[1, 2]], "at": hours_ago(390),
        }}),
    ];
    let mut shipped = String::new();
    for step in steps {
        shipped = past.order(&order, step).await;
    }
    let seen = order_after(&app, &admin(), &order, &answer(&shipped)).await;
    assert_eq!(seen["vendor_orders"][0]["status"], "SHIPPED");

    let auto = part(&order, "v-1", "auto-delivery");
    let delivered = app.command(&admin(), &auto, &json!({}), 200).await;

    let seen = order_after(&app, &admin(), &order, &delivered).await;
    assert_eq!(seen["order"]["status"], "DELIVERED");
    assert_eq!(seen["vendor_orders"][0]["status"], "DELIVERED");
    assert_eq!(
        seen["vendor_orders"][0]["delivery_confirmed_by"],
        "AUTOMATIC"
    );
    let again = refused(&app, &admin(), &auto, &json!({})).await;
    assert_eq!(again, (409, "already-delivered".to_owned()));
}
