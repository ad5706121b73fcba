use std::time::Duration;

use bazaar_event_store::pool::begin;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

async fn insert(pool: &PgPool, id: &str) {
    sqlx::query(
        "insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
         values ('Ledger', $1, 1, 'Opened', '1.0', '{}', '{}')",
    )
    .bind(id)
    .execute(pool)
    .await
    .unwrap();
}

/// Transactions begun and abandoned at every point (a client that hangs
/// up, a worker that is stopped) never leave a pooled connection inside a
/// transaction, so every later autocommit append is durable.
#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn cancelled_begins_never_swallow_later_appends(_: PgPoolOptions, options: PgConnectOptions) {
    let pool = PgPoolOptions::new()
        .max_connections(3)
        .connect_with(options.clone())
        .await
        .unwrap();
    for n in 0..200u64 {
        let cut = Duration::from_micros(n % 40 * 10);
        let _ = tokio::time::timeout(cut, async {
            let mut tx = begin(&pool).await.unwrap();
            sqlx::query("select 1").execute(&mut *tx).await.unwrap();
        })
        .await;
        insert(&pool, &format!("l-{n}")).await;
    }
    pool.close().await;

    let fresh = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap();
    let durable: i64 = sqlx::query_scalar("select count(*) from events")
        .fetch_one(&fresh)
        .await
        .unwrap();
    assert_eq!(durable, 200);
}
