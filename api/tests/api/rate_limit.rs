//! Each principal has its own request budget; over it, 429 with Retry-After.

use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::{buyer, spawn_full};

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_principal_over_its_budget_gets_429_and_others_do_not(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |s| {
        s.rate_limit_per_second = 1;
        s.rate_limit_burst = 3;
    })
    .await;
    let greedy = buyer("buyer-1");

    for _ in 0..3 {
        assert_eq!(app.get_as(&greedy, "/v1/orders").await.status(), 200);
    }
    let refused = app.get_as(&greedy, "/v1/orders").await;

    assert_eq!(refused.status(), 429);
    assert!(
        refused.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["type"], "/problems/rate-limited");
    assert_eq!(
        app.get_as(&buyer("buyer-2"), "/v1/orders").await.status(),
        200
    );
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_flood_of_bad_tokens_from_one_address_is_limited_before_they_are_checked(
    pool: sqlx::PgPool,
) {
    let app = crate::helpers::spawn_app_tuned(pool, |s| {
        s.client_rate_limit_per_second = 1;
        s.client_rate_limit_burst = 3;
    })
    .await;

    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(app.get_as("not-a-token", "/v1/orders").await.status());
    }
    let refused = app.get_as("not-a-token", "/v1/orders").await;
    let good_token_same_address = app.get_as(&buyer("buyer-1"), "/v1/orders").await;
    let health = app.get("/health/live").await;

    assert_eq!(
        statuses,
        [401, 401, 401],
        "bad tokens are checked within the burst"
    );
    assert_eq!(refused.status(), 429);
    assert!(
        refused.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_eq!(
        refused.headers()["content-type"],
        "application/problem+json"
    );
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["type"], "/problems/rate-limited");
    assert_eq!(
        good_token_same_address.status(),
        429,
        "the address's budget is spent"
    );
    assert_eq!(health.status(), 200, "operations endpoints are not limited");
}
