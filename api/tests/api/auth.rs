//! Authentication: bearer tokens are required, checked and turned into
//! roles; auditors write nothing.

use bazaar_api::http::auth::{sign_hs256, Claims, Role};
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::{auditor, buyer, spawn_app, token};

async fn problem(response: reqwest::Response) -> (u16, Value, Option<String>) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.json().await.unwrap();
    (status, body, content_type)
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn no_token_is_401_with_a_challenge_and_a_problem(pool: PgPool) {
    let app = spawn_app(pool).await;

    let response = app.get("/v1/orders").await;

    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    let (status, body, content_type) = problem(response).await;
    assert_eq!(status, 401);
    assert_eq!(content_type.as_deref(), Some("application/problem+json"));
    assert_eq!(body["type"], "/problems/unauthorized");
    assert_eq!(body["status"], 401);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn forged_expired_and_incomplete_tokens_are_401(pool: PgPool) {
    let app = spawn_app(pool).await;
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap();
    let claims = |role, vendor: Option<&str>, exp| Claims {
        sub: "buyer-1".into(),
        role,
        vendor_id: vendor.map(str::to_owned),
        agent_id: None,
        exp,
    };
    let forged = sign_hs256(
        b"not-the-secret-not-the-secret-not",
        &claims(Role::Admin, None, now + 600),
    )
    .unwrap();
    let expired = sign_hs256(
        crate::helpers::SECRET.as_bytes(),
        &claims(Role::Buyer, None, now - 3600),
    )
    .unwrap();
    let vendorless = sign_hs256(
        crate::helpers::SECRET.as_bytes(),
        &claims(Role::Vendor, None, now + 600),
    )
    .unwrap();
    let agentless = sign_hs256(
        crate::helpers::SECRET.as_bytes(),
        &claims(Role::Agent, None, now + 600),
    )
    .unwrap();

    for bad in [
        forged.as_str(),
        expired.as_str(),
        vendorless.as_str(),
        agentless.as_str(),
        "not.a.jwt",
    ] {
        let (status, body, _) = problem(app.get_as(bad, "/v1/orders").await).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["type"], "/problems/unauthorized");
    }
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn auditors_read_but_every_write_is_403(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;

    let read = app.get_as(&auditor(), "/v1/orders").await;
    assert_ne!(read.status(), 403, "auditors may read");
    for path in [
        "/v1/orders",
        "/v1/escrows",
        "/v1/stock/apple/wh-1/batches",
        "/v1/payments/o-1/refunds",
    ] {
        let (status, body, _) = problem(app.post_as(&auditor(), path, &json!({})).await).await;
        assert_eq!(status, 403, "{path}: {body}");
        assert_eq!(body["type"], "/problems/forbidden");
    }
    let events: i64 = sqlx::query_scalar("select count(*) from events")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(events, 0);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn roles_that_may_not_run_a_command_get_403(pool: PgPool) {
    let app = spawn_app(pool).await;
    let payment = json!({"payment_id": "pay-1", "amount": {"amount": 100, "currency": "EUR"}});

    let (status, _, _) = problem(
        app.post_as(&buyer("buyer-1"), "/v1/orders/o-1/payments", &payment)
            .await,
    )
    .await;
    assert_eq!(status, 403, "buyers cannot confirm payments");
    let vendor = token(Role::Vendor, "u", Some("v-1"));
    let order = json!({"currency": "EUR", "lines": []});
    let (status, _, _) = problem(app.post_as(&vendor, "/v1/orders", &order).await).await;
    assert_eq!(status, 403, "vendors do not place orders");
}
