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
