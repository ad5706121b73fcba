//! Text storage cannot hold (a NUL, which Postgres `jsonb` and `text`
//! refuse) or should not hold (other control characters) is refused as
//! bad input naming the field, in ids, free text, search bodies, queries
//! and paths, and nothing is written.

use serde_json::{json, Value};
use sqlx::PgPool;

use crate::escrows::terms;
use crate::fixtures::{line, receive_stock};
use crate::helpers::{admin, auditor, buyer, spawn_app, vendor, TestApp};

async fn events(app: &TestApp) -> i64 {
    sqlx::query_scalar("select count(*) from events")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// POSTs `body` as `token`; expects 422 `invalid-body` whose detail and
/// `field` name `field`.
async fn refuses_naming(app: &TestApp, token: &str, path: &str, body: &Value, field: &str) {
    let response = app.post_as(token, path, body).await;
    let status = response.status().as_u16();
    let problem: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(status, 422, "{path} {field}: {problem}");
    assert_eq!(problem["type"], "/problems/invalid-body", "{problem}");
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(field), "{field} not named in {problem}");
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn nul_and_control_characters_are_refused_naming_the_field(pool: PgPool) {
    let app = spawn_app(pool).await;
    receive_stock(&app, "v-1", "apple", 10).await;
    let before = events(&app).await;
    let cart = |field: &str, value: &str| {
        let mut line = line("v-1", "apple", 1, 250);
        line[field] = json!(value);
        json!({"currency": "EUR", "lines": [line]})
    };
    let buyer = buyer("buyer-1");

    for (field, value) in [
        ("title", "Apples\u{0}"),
        ("title", "bell\u{7}"),
        ("title", "del\u{7f}"),
        ("product", "p-\u{0}"),
        ("sku", "apple\u{0}"),
    ] {
        let named = format!("lines[0].{field}");
        refuses_naming(&app, &buyer, "/v1/orders", &cart(field, value), &named).await;
    }
    let mut deal = terms("v-1", &[("m-1", 300)]);
    deal["milestones"][0]["description"] = json!("hand\u{0}over");
    let named = "milestones[0].description";
    refuses_naming(&app, &buyer, "/v1/escrows", &deal, named).await;
    let count = json!({"batch": "b-1", "delta": -1, "reason": "count\u{0}"});
    let adjust = "/v1/stock/apple/wh-1/adjustments";
    refuses_naming(&app, &vendor("v-1"), adjust, &count, "reason").await;
    let search = json!({"text": "apples\u{0}"});
    refuses_naming(&app, &admin(), "/v1/search/orders", &search, "text").await;

    assert_eq!(events(&app).await, before, "nothing was written");
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn control_characters_in_paths_and_queries_are_404_and_400(pool: PgPool) {
    let app = spawn_app(pool).await;

    let path = "/v1/audit/streams/order/o-1%00/events";
    assert_eq!(app.get_as(&auditor(), path).await.status(), 404);
    assert_eq!(
        app.get_as(&admin(), "/v1/orders/o-1%00").await.status(),
        404
    );
    let query = "/v1/audit/events?aggregate_type=order&aggregate_id=o-1%00";
    let response = app.get_as(&auditor(), query).await;
    assert_eq!(response.status(), 400);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["type"], "/problems/invalid-query");
}
