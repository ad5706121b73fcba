use std::collections::HashSet;
use std::time::Duration;

use bazaar_event_store::{
    held_back, load_checkpoint, read_after, read_after_of, save_checkpoint, Error, PgEventStore,
    Position, RecordedEvent,
};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

use crate::support::{cqrs, open_and_deposit};

async fn insert_raw(conn: &mut sqlx::PgConnection, id: &str) -> i64 {
    sqlx::query_scalar(
        "insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
         values ('Ledger', $1, 1, 'Opened', '1.0', '{}', '{}') returning global_position",
    )
    .bind(id)
    .fetch_one(conn)
    .await
    .unwrap()
}

fn ids(events: &[RecordedEvent]) -> Vec<&str> {
    events.iter().map(|e| e.aggregate_id.as_str()).collect()
}

/// Transaction ids are ordered as numbers, not as their text: an event of
/// transaction 9 comes before one of transaction 10 (as text, "10" < "9",
/// and a reader ordering by the text skipped the first for good).
#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn transaction_ids_are_ordered_as_numbers_not_as_text(pool: PgPool) {
    for (tx_id, id) in [("10", "second"), ("9", "first"), ("100", "third")] {
        sqlx::query(
            "insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version, \
                                 payload, metadata, tx_id) \
             values ('Ledger', $1, 1, 'Opened', '1.0', '{}', '{}', $2::text::xid8)",
        )
        .bind(id)
        .bind(tx_id)
        .execute(&pool)
        .await
        .unwrap();
    }
    let all = read_after(&pool, Position::START, 10).await.unwrap();
    assert_eq!(ids(&all), ["first", "second", "third"]);
    let page = read_after(&pool, Position::START, 1).await.unwrap();
    let rest = read_after(&pool, page[0].position, 10).await.unwrap();
    assert_eq!(ids(&page), ["first"]);
    assert_eq!(ids(&rest), ["second", "third"]);
}

/// A reader of some aggregate types gets every event in its place, in
/// full only those of its types: the others' payload and metadata are
/// `null`, and its checkpoint still moves past them.
#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_reader_of_some_aggregate_types_gets_the_others_without_payload(pool: PgPool) {
    for (aggregate_type, id) in [("Ledger", "a"), ("Order", "b"), ("Ledger", "c")] {
        sqlx::query(
            "insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
             values ($1, $2, 1, 'Opened', '1.0', '{\"n\": 1}', '{\"actor\": \"admin:test\"}')",
        )
        .bind(aggregate_type)
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    }
    // another test's open transaction (xids are cluster-wide) may hold the
    // horizon back a moment: wait until all three are readable
    let all = tokio::time::timeout(Duration::from_secs(30), poll_in_pages(&pool, 10, 3))
        .await
        .expect("the three events readable");
    let mine = read_after_of(&pool, Position::START, 10, &["Ledger"])
        .await
        .unwrap();
    assert_eq!(ids(&mine), ["a", "b", "c"]);
    let positions =
        |events: &[RecordedEvent]| events.iter().map(|e| e.position).collect::<Vec<_>>();
    assert_eq!(positions(&mine), positions(&all));
    let json = |e: &RecordedEvent| (e.payload.to_value(), e.metadata.to_value());
    assert_eq!(json(&mine[0]), json(&all[0]));
    assert_eq!(json(&mine[2]), json(&all[2]));
    assert_eq!(
        json(&mine[1]),
        (serde_json::Value::Null, serde_json::Value::Null)
    );
    assert_eq!(mine[1].aggregate_type, "Order");
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn an_event_that_commits_late_with_a_lower_position_is_not_skipped(pool: PgPool) {
    let mut t1 = bazaar_event_store::pool::begin(&pool).await.unwrap();
    let mut t2 = bazaar_event_store::pool::begin(&pool).await.unwrap();
    let low = insert_raw(&mut t1, "t1").await;
    let high = insert_raw(&mut t2, "t2").await;
    assert!(low < high);
    t2.commit().await.unwrap();

    // T2 is committed but T1, with the lower position, is still open: a
    // reader that took T2's event and checkpointed it would skip T1 forever.
    let while_open = read_after(&pool, Position::START, 100).await.unwrap();
    assert!(
        while_open.is_empty(),
        "read {:?} past an open transaction",
        ids(&while_open)
    );
    // ...and says so, so a reader looks again soon instead of sleeping
    // until the next append wakes it
    assert!(held_back(&pool, Position::START).await.unwrap());

    t1.commit().await.unwrap();
    // another test's open transaction (xids are cluster-wide) may hold the
    // horizon back a moment longer
    let after_commit = tokio::time::timeout(Duration::from_secs(30), poll_in_pages(&pool, 100, 2))
        .await
        .expect("both events readable");
    assert_eq!(ids(&after_commit), ["t1", "t2"]);
    let resumed = read_after(&pool, after_commit[0].position, 100)
        .await
        .unwrap();
    assert_eq!(ids(&resumed), ["t2"]);
    assert!(held_back(&pool, after_commit[0].position).await.unwrap());
    assert!(!held_back(&pool, after_commit[1].position).await.unwrap());
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn reading_in_pages_returns_every_event_once(pool: PgPool) {
    let cqrs = cqrs(PgEventStore::new(pool.clone()));
    for n in 0..5 {
        open_and_deposit(&cqrs, &format!("l-{n}"), vec![1, 2, 3]).await;
    }
    // another database's open transaction can hold the horizon back for a
    // moment (xids are cluster-wide), so read until all 20 have arrived
    let seen = tokio::time::timeout(Duration::from_secs(30), poll_in_pages(&pool, 7, 20))
        .await
        .expect("all events readable");
    assert_eq!(seen.len(), 20);
    assert!(seen.windows(2).all(|w| w[0].position < w[1].position));
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_polling_reader_sees_every_event_of_concurrent_writers_exactly_once(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let pool = PgPoolOptions::new()
        .max_connections(12)
        .connect_with(options)
        .await
        .unwrap();
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let cqrs = cqrs(PgEventStore::new(pool.clone()));
            tokio::spawn(async move {
                for n in 0..25 {
                    open_and_deposit(&cqrs, &format!("w{w}-{n}"), vec![1]).await;
                }
            })
        })
        .collect();
    let reader = tokio::spawn(async move { poll_in_pages(&pool, 50, 8 * 25 * 2).await });
    for writer in writers {
        writer.await.unwrap();
    }
    let seen = tokio::time::timeout(Duration::from_secs(60), reader)
        .await
        .unwrap()
        .unwrap();

    let mut ids = HashSet::new();
    let repeated: Vec<_> = seen
        .iter()
        .filter(|e| !ids.insert(e.event_id))
        .map(|e| e.position)
        .collect();
    assert!(repeated.is_empty(), "events read twice at {repeated:?}");
    assert_eq!(seen.len(), 400);
    let mut last_sequence = std::collections::HashMap::new();
    for event in &seen {
        let previous = last_sequence
            .insert(&event.aggregate_id, event.sequence)
            .unwrap_or(0);
        assert_eq!(
            event.sequence,
            previous + 1,
            "stream {} out of order",
            event.aggregate_id
        );
    }
}

/// Reads pages of `size` from the start until `want` events were seen.
async fn poll_in_pages(pool: &PgPool, size: i64, want: usize) -> Vec<RecordedEvent> {
    let mut seen = Vec::new();
    let mut at = Position::START;
    while seen.len() < want {
        let page = read_after(pool, at, size).await.unwrap();
        match page.last() {
            Some(last) => at = last.position,
            None => tokio::time::sleep(Duration::from_millis(2)).await,
        }
        seen.extend(page);
    }
    seen
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn checkpoints_persist_and_never_move_back(pool: PgPool) {
    assert_eq!(
        load_checkpoint(&pool, "orders").await.unwrap(),
        Position::START
    );
    save_checkpoint(&pool, "orders", Position::new(900, 12))
        .await
        .unwrap();
    save_checkpoint(&pool, "orders", Position::new(901, 3))
        .await
        .unwrap();

    let back = save_checkpoint(&pool, "orders", Position::new(900, 40)).await;

    assert!(
        matches!(back, Err(Error::CheckpointRegressed { .. })),
        "got {back:?}"
    );
    assert_eq!(
        load_checkpoint(&pool, "orders").await.unwrap(),
        Position::new(901, 3)
    );
    assert_eq!(
        load_checkpoint(&pool, "other").await.unwrap(),
        Position::START
    );
}
