use bazaar_event_store::Error;
use sqlx::PgPool;

use crate::support::{count_events, cqrs, open_and_deposit};

async fn attempt(pool: &PgPool, sql: &str) -> Error {
    Error::from(sqlx::query(sql).execute(pool).await.expect_err(sql))
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn update_delete_and_truncate_of_events_fail(pool: PgPool) {
    open_and_deposit(
        &cqrs(bazaar_event_store::PgEventStore::new(pool.clone())),
        "l-1",
        vec![5, 6],
    )
    .await;

    let update = attempt(&pool, "update events set payload = '{}'").await;
    let delete = attempt(&pool, "delete from events where sequence = 2").await;
    let truncate = attempt(&pool, "truncate events").await;
    let update_nothing = attempt(&pool, "update events set payload = '{}' where false").await;

    for (error, op) in [
        (update, "UPDATE"),
        (delete, "DELETE"),
        (truncate, "TRUNCATE"),
        (update_nothing, "UPDATE"),
    ] {
        assert!(
            matches!(&error, Error::AppendOnly(m) if m.contains(op)),
            "{op}: {error:?}"
        );
    }
    assert_eq!(count_events(&pool).await, 3);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_stream_cannot_skip_a_sequence(pool: PgPool) {
    let error = attempt(
        &pool,
        "insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
         values ('Ledger', 'l-1', 2, 'Opened', '1.0', '{}', '{}')",
    )
    .await;

    assert!(matches!(error, Error::SequenceGap(_)), "got {error:?}");
    assert_eq!(count_events(&pool).await, 0);
}
