use sqlx::PgPool;

use crate::helpers::spawn_app;

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn live_answers_ok(pool: PgPool) {
    let app = spawn_app(pool).await;

    let response = app.get("/health/live").await;

    assert_eq!(response.status(), 200);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn ready_when_the_database_is_migrated(pool: PgPool) {
    let app = spawn_app(pool).await;

    let response = app.get("/health/ready").await;

    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["database"], "ok");
}

#[sqlx::test(migrations = false)]
async fn not_ready_when_the_schema_is_missing(pool: PgPool) {
    let app = spawn_app(pool).await;

    let response = app.get("/health/ready").await;

    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["database"], "schema not migrated");
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn not_ready_when_the_database_is_unreachable(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    pool.close().await;

    let response = app.get("/health/ready").await;

    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["database"], "unreachable");
}
