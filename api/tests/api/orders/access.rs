//! Who may run which order command and read which order: no token is
//! 401, a role that may never run a command is 403, and an order (or
//! vendor order) that is not the caller's is 404, as if it did not
//! exist. Nothing refused is written.

use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::part;
use crate::fixtures::{anonymous_post, line, paid_order, receive_stock, refused};
use crate::helpers::{admin, auditor, buyer, spawn_full, vendor, TestApp};

/// Who a command is for (admins may run every one).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Actor {
    Buyer,
    Vendor,
    Admin,
}

/// Every order command on `order` (vendor commands on v-1's part), with
/// a body that is valid for it.
fn commands(order: &str) -> Vec<(String, Value, Actor)> {
    let units = json!([{"line_no": 1, "quantity": 1}]);
    let on_order = |tail: &str| format!("/v1/orders/{order}/{tail}");
    vec![
        (
            on_order("payments"),
            json!({"payment_id": "pay-x", "amount": {"amount": 250, "currency": "EUR"}}),
            Actor::Admin,
        ),
        (on_order("expire"), json!({}), Actor::Admin),
        (on_order("cancel"), json!({"reason": "no"}), Actor::Buyer),
        (
            part(order, "v-1", "cancel"),
            json!({"reason": "no"}),
            Actor::Vendor,
        ),
        (part(order, "v-1", "pack"), json!({}), Actor::Vendor),
        (
            part(order, "v-1", "shipments"),
            json!({"tracking": "T-1", "lines": units}),
            Actor::Vendor,
        ),
        (part(order, "v-1", "delivery"), json!({}), Actor::Buyer),
        (part(order, "v-1", "auto-delivery"), json!({}), Actor::Admin),
        (
            part(order, "v-1", "returns"),
            json!({"lines": units, "reason": "no"}),
            Actor::Buyer,
        ),
        (
            part(order, "v-1", "returns/receipts"),
            json!({"lines": [{"line_no": 1, "received": 1, "damaged": 0}]}),
            Actor::Vendor,
        ),
        (part(order, "v-1", "complete"), json!({}), Actor::Admin),
    ]
}

async fn order_events(app: &TestApp, order: &str) -> i64 {
    sqlx::query_scalar(
        "select count(*) from events where aggregate_type = 'Order' and aggregate_id = $1",
    )
    .bind(order)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn order_commands_need_a_token_the_right_role_and_the_callers_own_order(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    receive_stock(&app, "v-1", "apple", 10).await;
    receive_stock(&app, "v-2", "pear", 10).await;
    let cart = vec![line("v-1", "apple", 1, 250), line("v-2", "pear", 1, 1000)];
    let order = paid_order(&app, "buyer-1", cart).await;
    let before = order_events(&app, &order).await;

    for (path, body, actor) in commands(&order) {
        assert_eq!(anonymous_post(&app, &path, &body).await, 401, "{path}");
        assert_eq!(
            refused(&app, &auditor(), &path, &body).await.0,
            403,
            "{path}"
        );
        let (wrong_role, strangers) = match actor {
            Actor::Buyer => (vec![vendor("v-1")], vec![buyer("buyer-2")]),
            Actor::Vendor => (vec![buyer("buyer-1")], vec![vendor("v-2"), vendor("v-3")]),
            Actor::Admin => (vec![buyer("buyer-1"), vendor("v-1")], vec![]),
        };
        for token in wrong_role {
            let answer = refused(&app, &token, &path, &body).await;
            assert_eq!(answer, (403, "forbidden".to_owned()), "{path}");
        }
        for token in strangers {
            let answer = refused(&app, &token, &path, &body).await;
            assert_eq!(answer, (404, "not-found".to_owned()), "{path}");
        }
    }
    let own_path = part(&order, "v-3", "pack");
    let answer = refused(&app, &vendor("v-3"), &own_path, &json!({})).await;
    assert_eq!(answer.0, 404, "v-3 sells nothing in this order");

    assert_eq!(order_events(&app, &order).await, before, "nothing written");
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn orders_are_read_by_their_buyer_and_vendor_orders_by_their_vendor(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    receive_stock(&app, "v-1", "apple", 10).await;
    let order = paid_order(&app, "buyer-1", vec![line("v-1", "apple", 1, 250)]).await;
    let detail = format!("/v1/orders/{order}");
    let vendor_detail = format!("/v1/vendors/v-1/orders/{order}");

    assert_eq!(app.get(&detail).await.status(), 401);
    assert_eq!(app.get(&vendor_detail).await.status(), 401);
    for (token, path, status) in [
        (buyer("buyer-1"), detail.as_str(), 200),
        (auditor(), detail.as_str(), 200),
        (admin(), detail.as_str(), 200),
        (buyer("buyer-2"), detail.as_str(), 404),
        (vendor("v-1"), detail.as_str(), 404),
        (vendor("v-1"), "/v1/orders", 403),
        (vendor("v-1"), vendor_detail.as_str(), 200),
        (auditor(), vendor_detail.as_str(), 200),
        (vendor("v-2"), vendor_detail.as_str(), 404),
        (buyer("buyer-1"), vendor_detail.as_str(), 404),
        (vendor("v-2"), "/v1/vendors/v-1/orders", 404),
        (buyer("buyer-1"), "/v1/vendors/v-1/orders", 404),
    ] {
        let got = app.get_as(&token, path).await.status();
        assert_eq!(got, status, "{path}");
    }
    let others = app
        .read(&buyer("buyer-2"), "/v1/orders?buyer_id=buyer-1")
        .await;
    assert_eq!(others["items"], json!([]), "buyers list only their own");
    let own = app.read(&buyer("buyer-1"), "/v1/orders").await;
    assert_eq!(own["items"][0]["order_id"], order.as_str());

    let named =
        json!({"buyer": "buyer-2", "currency": "EUR", "lines": [line("v-1", "apple", 1, 250)]});
    let answer = refused(&app, &buyer("buyer-1"), "/v1/orders", &named).await;
    assert_eq!(
        answer,
        (403, "forbidden".to_owned()),
        "buyers order for themselves"
    );
}
