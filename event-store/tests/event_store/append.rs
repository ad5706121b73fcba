use bazaar_event_store::metadata::{
    ACTOR, CAUSATION_ID, COMMAND_ID, CORRELATION_ID, EVENT_ID, GLOBAL_POSITION,
};
use bazaar_event_store::{read_stream, Error, EventMetadata, PgEventStore};
use cqrs_es::{AggregateError, EventStore};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use uuid::Uuid;

use crate::support::{
    count_events, cqrs, meta, open_and_deposit, Ledger, LedgerCommand, LedgerEvent,
};

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn committed_events_carry_ids_metadata_and_increasing_positions(pool: PgPool) {
    let store = PgEventStore::<Ledger>::new(pool.clone());
    let context = store.load_aggregate("l-1").await.unwrap();
    let metadata = EventMetadata {
        command_id: Uuid::now_v7(),
        correlation_id: Uuid::now_v7(),
        causation_id: Uuid::now_v7(),
        actor: "vendor:v-9".into(),
        traceparent: None,
    };
    let events = vec![
        LedgerEvent::Opened {
            currency: "JPY".into(),
        },
        LedgerEvent::Deposited {
            amount: 500,
            currency: "JPY".into(),
        },
    ];
    let committed = store
        .append(events, context, metadata.to_map())
        .await
        .unwrap();

    let stored = read_stream(&pool, "Ledger", "l-1", 0).await.unwrap();
    assert_eq!(stored.len(), 2);
    for ((envelope, appended), recorded) in committed.iter().zip(&stored) {
        let recorded_metadata = recorded.metadata.to_value();
        assert_eq!(recorded.event_id, appended.event_id);
        assert_eq!(recorded.event_id.get_version_num(), 7);
        assert_eq!(recorded.position, appended.position);
        assert_eq!(
            recorded_metadata[COMMAND_ID],
            metadata.command_id.to_string()
        );
        assert_eq!(
            recorded_metadata[CORRELATION_ID],
            metadata.correlation_id.to_string()
        );
        assert_eq!(
            recorded_metadata[CAUSATION_ID],
            metadata.causation_id.to_string()
        );
        assert_eq!(recorded_metadata[ACTOR], "vendor:v-9");
        assert_eq!(recorded_metadata[EVENT_ID], appended.event_id.to_string());
        assert_eq!(
            envelope.metadata[GLOBAL_POSITION],
            appended.position.global_position.to_string()
        );
        assert!(recorded.recorded_at <= chrono::Utc::now());
    }
    assert_eq!((stored[0].sequence, stored[1].sequence), (1, 2));
    assert!(stored[0].position.global_position < stored[1].position.global_position);
    assert_eq!(
        stored[0].position.tx_id, stored[1].position.tx_id,
        "one commit, one transaction"
    );
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_command_without_metadata_is_refused_and_writes_nothing(pool: PgPool) {
    let cqrs = cqrs(PgEventStore::new(pool.clone()));
    let open = LedgerCommand::Open {
        currency: "EUR".into(),
    };
    let mut partial = meta();
    partial.remove(CORRELATION_ID);

    let without = cqrs.execute("l-1", open.clone()).await;
    let partial = cqrs.execute_with_metadata("l-1", open, partial).await;

    assert!(
        matches!(without, Err(AggregateError::UnexpectedError(e)) if e.to_string().contains("is missing"))
    );
    assert!(
        matches!(partial, Err(AggregateError::UnexpectedError(e)) if e.to_string().contains("correlation_id"))
    );
    assert_eq!(count_events(&pool).await, 0);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_stale_writer_gets_a_typed_conflict_and_writes_nothing(pool: PgPool) {
    let store = PgEventStore::<Ledger>::new(pool.clone());
    open_and_deposit(&cqrs(store.clone()), "l-1", vec![100]).await;
    let first = store.load_aggregate("l-1").await.unwrap();
    let second = store.load_aggregate("l-1").await.unwrap();
    let withdraw = || vec![LedgerEvent::Withdrawn { amount: 60 }];

    store.append(withdraw(), first, meta()).await.unwrap();
    let stale = store.append(withdraw(), second, meta()).await;

    assert!(
        matches!(&stale, Err(Error::Conflict { aggregate_type, aggregate_id }) if aggregate_type == "Ledger" && aggregate_id == "l-1"),
        "got {stale:?}"
    );
    assert_eq!(count_events(&pool).await, 3);
    let third = store.load_aggregate("l-1").await.unwrap();
    EventStore::commit(&store, withdraw(), third, meta())
        .await
        .expect("a fresh load is not stale");
    assert_eq!(count_events(&pool).await, 4);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn the_cqrs_framework_reports_a_conflict_as_aggregate_conflict(pool: PgPool) {
    let store = PgEventStore::<Ledger>::new(pool.clone());
    open_and_deposit(&cqrs(store.clone()), "l-1", vec![100]).await;
    let stale = store.load_aggregate("l-1").await.unwrap();
    cqrs(store.clone())
        .execute_with_metadata("l-1", LedgerCommand::Withdraw { amount: 1 }, meta())
        .await
        .unwrap();

    let result = EventStore::commit(
        &store,
        vec![LedgerEvent::Withdrawn { amount: 1 }],
        stale,
        meta(),
    )
    .await;

    assert!(
        matches!(result, Err(AggregateError::AggregateConflict)),
        "got {result:?}"
    );
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_duplicate_event_id_is_a_database_error_not_a_conflict(pool: PgPool) {
    let id = Uuid::now_v7();
    let insert = |aggregate_id: &'static str| {
        sqlx::query(
            "insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata, event_id) \
             values ('Ledger', $1, 1, 'Opened', '1.0', '{}', '{}', $2)",
        )
        .bind(aggregate_id)
        .bind(id)
    };
    insert("a").execute(&pool).await.unwrap();

    let error = Error::from(insert("b").execute(&pool).await.unwrap_err());

    assert!(matches!(error, Error::Database(_)), "got {error:?}");
    assert!(!error.is_conflict());
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_closed_pool_is_a_connection_error_not_a_conflict(pool: PgPool) {
    let store = PgEventStore::<Ledger>::new(pool.clone());
    let context = store.load_aggregate("l-1").await.unwrap();
    pool.close().await;

    let result = EventStore::commit(
        &store,
        vec![LedgerEvent::Opened {
            currency: "EUR".into(),
        }],
        context,
        meta(),
    )
    .await;

    assert!(
        matches!(result, Err(AggregateError::DatabaseConnectionError(_))),
        "got {result:?}"
    );
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn racing_commands_on_one_stream_either_commit_or_conflict(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .connect_with(options)
        .await
        .unwrap();
    let store = PgEventStore::<Ledger>::new(pool.clone());
    open_and_deposit(&cqrs(store.clone()), "l-1", vec![]).await;

    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let cqrs = cqrs(store.clone());
            tokio::spawn(async move {
                let deposit = LedgerCommand::Deposit { amounts: vec![10] };
                cqrs.execute_with_metadata("l-1", deposit, meta()).await
            })
        })
        .collect();
    let mut committed = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => committed += 1,
            Err(AggregateError::AggregateConflict) => {}
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }

    assert!(committed >= 1);
    let ledger = store.load_aggregate("l-1").await.unwrap();
    assert_eq!(ledger.aggregate.balance, 10 * committed);
    assert_eq!(count_events(&pool).await, 1 + committed);
}
