//! `/v1/search` over the Postgres fallback: scoped by the token.

use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::fixtures::{line, place_order, receive_stock};
use crate::helpers::{auditor, buyer, spawn_full, vendor, TestApp};

async fn hits(app: &TestApp, token: &str, path: &str, query: &Value) -> Vec<Value> {
    let response = app.post_as(token, path, query).await;
    assert_eq!(response.status(), 200, "{path}");
    let page: Value = response.json().await.unwrap();
    page["hits"].as_array().cloned().unwrap_or_default()
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn searches_find_only_what_the_caller_may_see(_: PgPoolOptions, options: PgConnectOptions) {
    let app = spawn_full(options, |_| {}).await;
    receive_stock(&app, "v-1", "apple", 10).await;
    receive_stock(&app, "v-2", "pear", 10).await;
    let mine = place_order(&app, "buyer-1", vec![line("v-1", "apple", 1, 300)]).await;
    place_order(&app, "buyer-2", vec![line("v-2", "pear", 1, 400)]).await;
    let order = mine["aggregate_id"].as_str().unwrap();

    let mut found = Vec::new();
    for _ in 0..400 {
        found = hits(&app, &auditor(), "/v1/search/orders", &json!({})).await;
        if found.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(found.len(), 2, "auditors see every order");
    let own = hits(
        &app,
        &buyer("buyer-1"),
        "/v1/search/orders",
        &json!({"text": "apple"}),
    )
    .await;
    assert_eq!(own.len(), 1);
    assert_eq!(own[0]["order_id"], order, "{}", own[0]);
    assert!(hits(
        &app,
        &buyer("buyer-1"),
        "/v1/search/orders",
        &json!({"text": "pear"})
    )
    .await
    .is_empty());
    let stock = hits(&app, &vendor("v-2"), "/v1/search/stock", &json!({})).await;
    assert!(stock.iter().all(|s| s["sku"] == "pear"), "{stock:?}");

    let widened = app
        .post_as(
            &buyer("buyer-1"),
            "/v1/search/orders",
            &json!({"buyer_id": "buyer-2"}),
        )
        .await;
    assert_eq!(
        widened.status(),
        400,
        "a buyer cannot search another buyer's orders"
    );
    let unknown = app
        .post_as(
            &buyer("buyer-1"),
            "/v1/search/orders",
            &json!({"colour": "red"}),
        )
        .await;
    assert_eq!(unknown.status(), 422);
}
