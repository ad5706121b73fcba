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

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn ready_and_metrics_report_the_search_indexer_position_lag_and_parked_documents(
    pool: PgPool,
) {
    // a live generation of the indices at position 0, and one document
    // Elasticsearch refused
    sqlx::query(
        "insert into projection (projection_name, generation, code_version, status) \
         values ('search-es', 3, 1, 'live')",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into search_parked (generation, index_name, doc_kind, doc_id, version, document, \
                                    status, error_type, error_reason, tx_id, position) \
         values (3, 'bazaar-orders-v1-3', 'orders', 'o-1', 2, '{}', 400, \
                 'strict_dynamic_mapping_exception', 'no', '1'::xid8, 1)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let app = spawn_app(pool).await;

    let ready: serde_json::Value = app.get("/health/ready").await.json().await.unwrap();
    let metrics = app.get("/metrics").await.text().await.unwrap();

    let search = &ready["search"];
    assert_eq!(search["generation"], 3, "{ready}");
    assert_eq!(search["state"], "live");
    assert_eq!(search["position"], 0);
    assert_eq!(search["parked"], 1);
    assert!(search["lag_events"].as_i64().is_some(), "{ready}");
    for line in [
        "bazaar_search_parked_documents 1\n",
        "bazaar_search_indexer_position 0\n",
        "bazaar_search_indexer_generation 3\n",
        "bazaar_search_indexer_failed 0\n",
        "# TYPE bazaar_search_indexer_lag_events gauge\n",
    ] {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }
}
