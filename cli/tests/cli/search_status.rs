//! `bazaar search status` prints the indexer's position, lag and open
//! parked documents: the figures `/health/ready` and `/metrics` report.

use std::process::Command;

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, PgPool};

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn search_status_shows_the_indexer_position_lag_and_parked_documents(pool: PgPool) {
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
         values (3, 'bazaar-orders-v1-3', 'orders', 'o-1', 2, '{}', 400, null, 'no', '1'::xid8, 1)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let name: String = sqlx::query_scalar("select current_database()")
        .fetch_one(&pool)
        .await
        .unwrap();
    let base: PgConnectOptions = std::env::var("DATABASE_URL")
        .expect("DATABASE_URL set by the test script")
        .parse()
        .unwrap();
    let url = base.database(&name).to_url_lossy().to_string();

    let output = Command::new(env!("CARGO_BIN_EXE_bazaar"))
        .args(["search", "status"])
        .env("DATABASE_URL", &url)
        .env_remove("ELASTICSEARCH_URL")
        .output()
        .expect("bazaar runs");

    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("indexer: generation 3 live, position 0, lag 0 events"),
        "{stdout}"
    );
    assert!(stdout.contains("parked documents (open): 1"), "{stdout}");
}
