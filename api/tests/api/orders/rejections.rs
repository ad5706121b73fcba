//! Every order command endpoint turns the aggregate's refusal into the
//! right status and a stable `/problems/<slug>`, and writes nothing:
//! 404 for what does not exist, 409 for a state that forbids the command
//! now, 422 for values that are never acceptable.

use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::part;
use crate::fixtures::{self, line, order_when, paid_order, place_order, receive_stock, refused};
use crate::helpers::{admin, buyer, spawn_full, vendor, TestApp};

/// Expects `path` to refuse with `status` and `slug`, writing nothing
/// to `order`.
async fn refuses(app: &TestApp, order: &str, call: (&str, &str, Value), status: u16, slug: &str) {
    fixtures::refuses(app, ("Order", order), call, status, slug).await;
}

fn units(line_no: u32, quantity: u32) -> Value {
    json!([{"line_no": line_no, "quantity": quantity}])
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn checkout_payment_and_cancellation_refusals(_: PgPoolOptions, options: PgConnectOptions) {
    let app = spawn_full(options, |_| {}).await;
    receive_stock(&app, "v-1", "apple", 10).await;
    let (b1, v1, ops) = (buyer("buyer-1"), vendor("v-1"), admin());
    let mut free = line("v-1", "apple", 1, 250);
    free["unit_price"]["amount"] = json!(0);
    let cart = json!({"currency": "EUR", "lines": [free]});
    let answer = refused(&app, &b1, "/v1/orders", &cart).await;
    assert_eq!(answer, (422, "invalid-unit-price".to_owned()));
    let unnamed = json!({"currency": "EUR", "lines": [line("v-1", "apple", 1, 250)]});
    let answer = refused(&app, &ops, "/v1/orders", &unnamed).await;
    assert_eq!(answer, (422, "buyer-required".to_owned()));

    let placed = place_order(&app, "buyer-1", vec![line("v-1", "apple", 2, 250)]).await;
    let order = placed["aggregate_id"].as_str().unwrap().to_owned();
    order_when(&app, &order, "AWAITING_PAYMENT").await;
    let payments = format!("/v1/orders/{order}/payments");
    let paying = |cents: i64, currency: &str| {
        json!({
            "payment_id": "pay-1", "amount": {"amount": cents, "currency": currency}
        })
    };
    let o = order.as_str();
    refuses(
        &app,
        o,
        (&ops, &payments, paying(499, "EUR")),
        422,
        "payment-amount-mismatch",
    )
    .await;
    refuses(
        &app,
        o,
        (&ops, &payments, paying(500, "USD")),
        422,
        "payment-currency-mismatch",
    )
    .await;
    let pack = part(o, "v-1", "pack");
    refuses(&app, o, (&v1, &pack, json!({})), 409, "not-paid").await;
    let cancel = format!("/v1/orders/{order}/cancel");
    refuses(
        &app,
        o,
        (&b1, &cancel, json!({"reason": " "})),
        422,
        "invalid-reason",
    )
    .await;

    app.command(&ops, &payments, &paying(500, "EUR"), 200).await;
    order_when(&app, o, "PAID").await;
    refuses(
        &app,
        o,
        (&ops, &payments, paying(500, "EUR")),
        409,
        "payment-already-recorded",
    )
    .await;
    let expire = format!("/v1/orders/{order}/expire");
    refuses(&app, o, (&ops, &expire, json!({})), 409, "already-paid").await;
    let unknown = part(o, "v-9", "pack");
    refuses(&app, o, (&ops, &unknown, json!({})), 404, "unknown-vendor").await;

    app.command(&v1, &pack, &json!({}), 200).await;
    refuses(&app, o, (&v1, &pack, json!({})), 409, "invalid-transition").await;
    refuses(
        &app,
        o,
        (&b1, &cancel, json!({"reason": "late"})),
        409,
        "invalid-transition",
    )
    .await;
    let cancel_part = part(o, "v-1", "cancel");
    refuses(
        &app,
        o,
        (&v1, &cancel_part, json!({"reason": "late"})),
        409,
        "invalid-transition",
    )
    .await;
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn shipment_delivery_return_and_completion_refusals(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    receive_stock(&app, "v-1", "apple", 10).await;
    receive_stock(&app, "v-2", "pear", 10).await;
    let cart = vec![line("v-1", "apple", 3, 250), line("v-2", "pear", 1, 1000)];
    let order = paid_order(&app, "buyer-1", cart).await;
    let o = order.as_str();
    let (b1, v1, ops) = (buyer("buyer-1"), vendor("v-1"), admin());
    let ship = part(o, "v-1", "shipments");
    let returns = part(o, "v-1", "returns");
    let receipts = part(o, "v-1", "returns/receipts");
    let (delivery, complete) = (part(o, "v-1", "delivery"), part(o, "v-1", "complete"));
    let parcel = |tracking: &str, lines: Value| json!({"tracking": tracking, "lines": lines});
    let asking = |lines: Value| json!({"lines": lines, "reason": "broken"});

    refuses(
        &app,
        o,
        (&v1, &ship, parcel("T-1", units(1, 1))),
        409,
        "invalid-transition",
    )
    .await;
    refuses(
        &app,
        o,
        (&b1, &delivery, json!({})),
        409,
        "invalid-transition",
    )
    .await;
    refuses(
        &app,
        o,
        (&b1, &returns, asking(units(1, 1))),
        409,
        "return-not-allowed",
    )
    .await;
    refuses(
        &app,
        o,
        (&ops, &complete, json!({})),
        409,
        "invalid-transition",
    )
    .await;

    app.command(&v1, &part(o, "v-1", "pack"), &json!({}), 200)
        .await;
    refuses(
        &app,
        o,
        (&v1, &ship, parcel("T-1", units(1, 4))),
        422,
        "ships-more-than-ordered",
    )
    .await;
    refuses(
        &app,
        o,
        (&v1, &ship, parcel("T-1", units(2, 1))),
        422,
        "unknown-line",
    )
    .await;
    refuses(
        &app,
        o,
        (&v1, &ship, parcel(" ", units(1, 1))),
        422,
        "invalid-tracking",
    )
    .await;
    refuses(
        &app,
        o,
        (&v1, &ship, parcel("T-1", json!([]))),
        422,
        "no-lines",
    )
    .await;
    let twice = json!([{"line_no": 1, "quantity": 1}, {"line_no": 1, "quantity": 1}]);
    refuses(
        &app,
        o,
        (&v1, &ship, parcel("T-1", twice)),
        422,
        "duplicate-line",
    )
    .await;
    refuses(
        &app,
        o,
        (&v1, &ship, parcel("T-1", units(1, 0))),
        422,
        "invalid-quantity",
    )
    .await;

    app.command(&v1, &ship, &parcel("T-1", units(1, 3)), 200)
        .await;
    refuses(
        &app,
        o,
        (&b1, &returns, asking(units(1, 4))),
        422,
        "returns-more-than-shipped",
    )
    .await;
    let receipt = |received: u32, damaged: u32| {
        json!({
            "lines": [{"line_no": 1, "received": received, "damaged": damaged}]
        })
    };
    refuses(
        &app,
        o,
        (&v1, &receipts, receipt(1, 0)),
        422,
        "receives-more-than-requested",
    )
    .await;
    app.command(&b1, &returns, &asking(units(1, 1)), 200).await;
    refuses(
        &app,
        o,
        (&v1, &receipts, receipt(1, 2)),
        422,
        "damaged-exceeds-received",
    )
    .await;
    refuses(
        &app,
        o,
        (&v1, &receipts, receipt(2, 0)),
        422,
        "receives-more-than-requested",
    )
    .await;
}
