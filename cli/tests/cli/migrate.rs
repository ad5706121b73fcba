use std::process::Command;

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};

/// `bazaar migrate` against a database that does not exist yet creates it
/// and applies every migration; a second run changes nothing.
#[tokio::test]
async fn migrate_creates_the_database_and_is_repeatable() {
    let base: PgConnectOptions = std::env::var("DATABASE_URL")
        .expect("DATABASE_URL set by the test script")
        .parse()
        .unwrap();
    let name = format!("bazaar_migrate_{}", std::process::id());
    let url = base.clone().database(&name).to_url_lossy().to_string();

    for _ in 0..2 {
        let status = Command::new(env!("CARGO_BIN_EXE_bazaar"))
            .arg("migrate")
            .env("DATABASE_URL", &url)
            .status()
            .expect("bazaar runs");
        assert!(status.success());
    }

    let mut conn = base.clone().database(&name).connect().await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "select table_name::text from information_schema.tables \
          where table_schema = 'public' and table_name in ('events', 'snapshots', 'subscription_checkpoint') \
          order by 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    let mut admin = base.connect().await.unwrap();
    sqlx::query(&format!("drop database {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    assert_eq!(tables, ["events", "snapshots", "subscription_checkpoint"]);
}
