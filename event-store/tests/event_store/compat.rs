use bazaar_event_store::{verify_all, PgEventRepository, PgEventStore};
use cqrs_es::persist::{PersistedEventRepository, PersistedEventStore};
use cqrs_es::CqrsFramework;
use postgres_es::PostgresEventRepository;
use sqlx::PgPool;

use crate::support::{cqrs, meta, open_and_deposit, Ledger, LedgerCommand};

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn postgres_es_reads_our_events_and_its_writes_join_the_chain(pool: PgPool) {
    open_and_deposit(&cqrs(PgEventStore::new(pool.clone())), "l-1", vec![3, 4]).await;

    let theirs = PostgresEventRepository::new(pool.clone());
    let read = theirs.get_events::<Ledger>("l-1").await.unwrap();
    assert_eq!(read.len(), 3);
    let their_cqrs = CqrsFramework::new(
        PersistedEventStore::<_, Ledger>::new_event_store(theirs),
        vec![],
        (),
    );
    let withdraw = LedgerCommand::Withdraw { amount: 5 };
    their_cqrs
        .execute_with_metadata("l-1", withdraw, meta())
        .await
        .unwrap();

    let ledger = PgEventStore::<Ledger>::new(pool.clone());
    let loaded = cqrs_es::EventStore::load_aggregate(&ledger, "l-1")
        .await
        .unwrap();
    assert_eq!(loaded.aggregate.balance, 2);
    let report = verify_all(&pool).await.unwrap();
    assert_eq!((report.events, report.broken), (4, None));
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn our_repository_drives_cqrs_event_sourcing_and_replays(pool: PgPool) {
    let repo = PgEventRepository::new(pool.clone());
    let cqrs = CqrsFramework::new(
        PersistedEventStore::<_, Ledger>::new_event_store(repo.clone()),
        vec![],
        (),
    );
    open_and_deposit(&cqrs, "l-1", vec![1, 2]).await;
    open_and_deposit(&cqrs, "l-2", vec![3]).await;

    let mut stream = repo.stream_all_events::<Ledger>().await.unwrap();
    let mut replayed = Vec::new();
    while let Some(event) = stream.next::<Ledger>(&[]).await {
        replayed.push(event.unwrap());
    }

    assert_eq!(replayed.len(), 5);
    assert_eq!(
        repo.get_last_events::<Ledger>("l-1", 1)
            .await
            .unwrap()
            .len(),
        2
    );
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_replay_reports_a_database_error_instead_of_ending_silently(pool: PgPool) {
    let repo = PgEventRepository::new(pool.clone());
    open_and_deposit(&cqrs(PgEventStore::new(pool.clone())), "l-1", vec![1]).await;
    pool.close().await;

    let mut stream = repo.stream_events::<Ledger>("l-1").await.unwrap();

    let first = stream
        .next::<Ledger>(&[])
        .await
        .expect("the error is delivered");
    assert!(first.is_err());
}
