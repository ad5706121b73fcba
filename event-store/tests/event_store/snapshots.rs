use bazaar_event_store::{PgEventRepository, PgEventStore};
use cqrs_es::persist::PersistedEventStore;
use cqrs_es::{AggregateError, CqrsFramework, EventStore};
use sqlx::PgPool;

use crate::support::{cqrs, meta, open_and_deposit, Ledger, LedgerCommand};

async fn snapshot_row(pool: &PgPool) -> (i64, i64, Ledger) {
    let (last, current, payload): (i64, i64, serde_json::Value) = sqlx::query_as(
        "select last_sequence, current_snapshot, payload from snapshots where aggregate_id = 'l-1'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    (last, current, serde_json::from_value(payload).unwrap())
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_command_emitting_several_events_stores_a_snapshot_of_all_of_them(pool: PgPool) {
    let store = PgEventStore::<Ledger>::new(pool.clone()).with_snapshots(3);
    let cqrs = cqrs(store.clone());

    // one event, then five in one command: the stream goes from 1 to 6
    open_and_deposit(&cqrs, "l-1", vec![1, 2, 3, 4, 5]).await;

    let (last_sequence, current, snapshot) = snapshot_row(&pool).await;
    let replayed = PgEventStore::<Ledger>::new(pool.clone())
        .load_aggregate("l-1")
        .await
        .unwrap();
    assert_eq!((last_sequence, current), (6, 1));
    assert_eq!(snapshot, replayed.aggregate);
    assert_eq!((snapshot.balance, snapshot.movements), (15, 6));
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn loading_from_a_snapshot_equals_a_full_replay_and_keeps_sequences_right(pool: PgPool) {
    let store = PgEventStore::<Ledger>::new(pool.clone()).with_snapshots(4);
    let cqrs = cqrs(store.clone());
    open_and_deposit(&cqrs, "l-1", vec![10, 20, 30, 40, 50]).await;
    for amount in [7, 8, 9] {
        let withdraw = LedgerCommand::Withdraw { amount };
        cqrs.execute_with_metadata("l-1", withdraw, meta())
            .await
            .unwrap();
    }

    let from_snapshot = store.load_aggregate("l-1").await.unwrap();
    let replayed = PgEventStore::<Ledger>::new(pool.clone())
        .load_aggregate("l-1")
        .await
        .unwrap();

    let (last_sequence, current, _) = snapshot_row(&pool).await;
    assert_eq!((last_sequence, current), (8, 2));
    assert_eq!(from_snapshot.aggregate, replayed.aggregate);
    assert_eq!(from_snapshot.current_sequence, 9);
    assert_eq!(from_snapshot.aggregate.balance, 150 - 24);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_snapshot_that_no_longer_deserialises_falls_back_to_replay(pool: PgPool) {
    let store = PgEventStore::<Ledger>::new(pool.clone()).with_snapshots(2);
    open_and_deposit(&cqrs(store.clone()), "l-1", vec![5, 6]).await;
    sqlx::query(r#"update snapshots set payload = '{"renamed_field": 1}'"#)
        .execute(&pool)
        .await
        .unwrap();

    let loaded = store.load_aggregate("l-1").await.unwrap();

    assert_eq!((loaded.aggregate.balance, loaded.current_sequence), (11, 3));
    let deposit = LedgerCommand::Deposit { amounts: vec![1] };
    cqrs(store.clone())
        .execute_with_metadata("l-1", deposit, meta())
        .await
        .unwrap();
    let (last_sequence, _, snapshot) = snapshot_row(&pool).await;
    assert_eq!(
        (last_sequence, snapshot.balance),
        (4, 12),
        "a fresh snapshot replaced the stale one"
    );
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn cqrs_snapshots_through_the_repository_are_refused_not_stored_wrong(pool: PgPool) {
    let store = PersistedEventStore::<_, Ledger>::new_snapshot_store(
        PgEventRepository::new(pool.clone()),
        2,
    );
    let cqrs = CqrsFramework::new(store, vec![], ());
    let open = LedgerCommand::Open {
        currency: "EUR".into(),
    };
    cqrs.execute_with_metadata("l-1", open, meta())
        .await
        .unwrap();

    let crossing = LedgerCommand::Deposit {
        amounts: vec![1, 2, 3],
    };
    let result = cqrs.execute_with_metadata("l-1", crossing, meta()).await;

    assert!(
        matches!(result, Err(AggregateError::UnexpectedError(_))),
        "got {result:?}"
    );
    let stored: i64 = sqlx::query_scalar("select count(*) from snapshots")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);
}
