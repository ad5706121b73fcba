//! Bad input gets a clear 4xx problem and writes nothing.

use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::fixtures::{line, receive_stock};
use crate::helpers::{admin, buyer, spawn_full, TestApp};

async fn event_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("select count(*) from events")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn raw(app: &TestApp, path: &str, body: &str, content_type: Option<&str>) -> (u16, Value) {
    let mut request = app
        .client
        .post(format!("{}{path}", app.address))
        .bearer_auth(buyer("buyer-1"))
        .body(body.to_owned());
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn malformed_json_wrong_media_type_and_oversized_bodies(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |s| s.max_body_bytes = 4096).await;
    let before = event_count(&app).await;

    let (status, body) = raw(
        &app,
        "/v1/orders",
        "{\"currency\": \"EUR\",",
        Some("application/json"),
    )
    .await;
    assert_eq!(
        (status, body["type"].as_str()),
        (400, Some("/problems/malformed-json"))
    );
    let (status, body) = raw(&app, "/v1/orders", "{}", Some("text/plain")).await;
    assert_eq!(
        (status, body["type"].as_str()),
        (415, Some("/problems/unsupported-media-type"))
    );
    let huge = format!(
        "{{\"currency\": \"EUR\", \"lines\": [], \"pad\": \"{}\"}}",
        "x".repeat(10_000)
    );
    let (status, _) = raw(&app, "/v1/orders", &huge, Some("application/json")).await;
    assert_eq!(status, 413);

    assert_eq!(event_count(&app).await, before);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn values_of_the_wrong_shape_are_422_naming_the_field(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    receive_stock(&app, "v-1", "apple", 10).await;
    let before = event_count(&app).await;
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut cart = json!({"currency": "EUR", "lines": [line("v-1", "apple", 2, 250)]});
        edit(&mut cart);
        cart
    };
    let cases = [
        (
            "negative quantity",
            with(&|c| c["lines"][0]["quantity"] = json!(-1)),
            "invalid-body",
        ),
        (
            "huge quantity",
            with(&|c| c["lines"][0]["quantity"] = json!(10_000_000_000_u64)),
            "invalid-body",
        ),
        (
            "quantity over the domain's limit",
            with(&|c| c["lines"][0]["quantity"] = json!(2_000_000)),
            "invalid-quantity",
        ),
        (
            "unknown currency",
            with(&|c| c["currency"] = json!("EURO")),
            "invalid-body",
        ),
        (
            "another currency in a line",
            with(&|c| c["lines"][0]["unit_price"]["currency"] = json!("USD")),
            "line-currency-mismatch",
        ),
        (
            "bad id",
            with(&|c| c["lines"][0]["sku"] = json!("has space")),
            "invalid-body",
        ),
        (
            "unknown field",
            with(&|c| c["discount"] = json!(5)),
            "invalid-body",
        ),
        (
            "price as a float",
            with(&|c| c["lines"][0]["unit_price"]["amount"] = json!(2.5)),
            "invalid-body",
        ),
        ("no lines", with(&|c| c["lines"] = json!([])), "empty-order"),
    ];
    for (case, body, slug) in cases {
        let response = app.post_as(&buyer("buyer-1"), "/v1/orders", &body).await;
        let status = response.status();
        let problem: Value = response.json().await.unwrap();
        assert_eq!(status, 422, "{case}: {problem}");
        assert_eq!(
            problem["type"],
            format!("/problems/{slug}"),
            "{case}: {problem}"
        );
        assert!(
            problem["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{case}"
        );
    }
    assert_eq!(event_count(&app).await, before, "nothing was written");
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn unknown_ids_are_404_and_bad_paging_is_400(_: PgPoolOptions, options: PgConnectOptions) {
    let app = spawn_full(options, |_| {}).await;

    let cancel = app
        .post_as(
            &admin(),
            "/v1/orders/no-such-order/cancel",
            &json!({"reason": "test"}),
        )
        .await;
    assert_eq!(cancel.status(), 404);
    let body: Value = cancel.json().await.unwrap();
    assert_eq!(body["type"], "/problems/not-placed");
    assert_eq!(
        app.get_as(&admin(), "/v1/orders/no-such-order")
            .await
            .status(),
        404
    );
    assert_eq!(app.get_as(&admin(), "/v1/escrows/nope").await.status(), 404);
    assert_eq!(
        app.get_as(&admin(), "/v1/payments/nope").await.status(),
        404
    );

    for query in [
        "limit=0",
        "limit=201",
        "limit=abc",
        "cursor=%25%25",
        "min_position=yesterday",
    ] {
        let response = app.get_as(&admin(), &format!("/v1/orders?{query}")).await;
        assert_eq!(response.status(), 400, "{query}");
        let body: Value = response.json().await.unwrap();
        assert!(
            body["type"]
                .as_str()
                .unwrap()
                .starts_with("/problems/invalid-"),
            "{query}: {body}"
        );
    }
}
