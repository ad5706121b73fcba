//! Group commit: many commands' appends in one statement, and a refused
//! batch split so that each command gets its own answer.

use bazaar_event_store::{
    find_command, verify_all, CommandRecord, Error, EventMetadata, GroupCommit, PgEventStore,
};
use futures::future::join_all;
use sqlx::PgPool;
use uuid::Uuid;

use crate::support::{count_events, Ledger, LedgerEvent};

fn record(command_id: Uuid) -> CommandRecord {
    CommandRecord {
        command_id,
        command_type: "Open".into(),
        body_hash: vec![7; 32],
    }
}

fn opened() -> Vec<LedgerEvent> {
    vec![
        LedgerEvent::Opened {
            currency: "EUR".into(),
        },
        LedgerEvent::Deposited {
            amount: 5,
            currency: "EUR".into(),
        },
    ]
}

fn meta(command_id: Uuid) -> std::collections::HashMap<String, String> {
    EventMetadata::for_command(command_id, "buyer:1").to_map()
}

/// Thirty commands queued at once: one appends to a stream that moved on,
/// one reuses a command id; the other 28 commit, each loser gets the error
/// its own append would have got, and every chain still verifies.
#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_refused_batch_is_split_and_only_the_losers_fail(pool: PgPool) {
    let group = GroupCommit::new(pool.clone());
    let store = PgEventStore::<Ledger>::new(pool.clone())
        .with_snapshots(2)
        .with_group_commit(group.clone());
    let used = Uuid::now_v7();
    let context = store.load("l-used").await.unwrap();
    store
        .append_recorded(opened(), context, meta(used), Some(record(used)))
        .await
        .unwrap();
    let stale = store.load("l-used").await.unwrap();
    let moved = store.load("l-used").await.unwrap();
    let withdrawn = vec![LedgerEvent::Withdrawn { amount: 1 }];
    store
        .append(withdrawn.clone(), moved, meta(Uuid::now_v7()))
        .await
        .unwrap();
    let before = group.batch_sizes();

    let mut appends = Vec::new();
    for n in 0..28 {
        let context = store.load(&format!("l-{n}")).await.unwrap();
        let id = Uuid::now_v7();
        appends.push(store.append_recorded(opened(), context, meta(id), Some(record(id))));
    }
    let reused = store.load("l-other").await.unwrap();
    appends.push(store.append_recorded(opened(), reused, meta(used), Some(record(used))));
    let id = Uuid::now_v7();
    appends.push(store.append_recorded(withdrawn, stale, meta(id), Some(record(id))));
    let results = join_all(appends).await;

    assert!(results[..28].iter().all(Result::is_ok), "{results:?}");
    assert!(matches!(results[28], Err(Error::DuplicateCommand(id)) if id == used));
    assert!(
        matches!(results[29], Err(Error::Conflict { .. })),
        "{:?}",
        results[29]
    );
    let sizes = group.batch_sizes().since(&before);
    assert_eq!(sizes.max, 30, "all thirty queued into one batch: {sizes:?}");
    assert_eq!(count_events(&pool).await, 3 + 28 * 2);
    let snapshots: i64 = sqlx::query_scalar("select count(*) from snapshots")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(snapshots, 1 + 28, "each fresh ledger crossed 2 events");
    let logged = find_command(&pool, used).await.unwrap().unwrap();
    assert_eq!(logged.aggregate_id, "l-used");
    let verification = verify_all(&pool).await.unwrap();
    assert!(verification.broken.is_none(), "{verification:?}");
    assert_eq!(verification.events, 3 + 28 * 2);
}

/// Events written by one group commit share a transaction id and follow
/// each other in the commit-ordered log, in queue order.
#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_batch_is_one_transaction_in_queue_order(pool: PgPool) {
    let store =
        PgEventStore::<Ledger>::new(pool.clone()).with_group_commit(GroupCommit::new(pool.clone()));
    let mut appends = Vec::new();
    for n in 0..5 {
        let context = store.load(&format!("l-{n}")).await.unwrap();
        appends.push(store.append(opened(), context, meta(Uuid::now_v7())));
    }
    let landed: Vec<_> = join_all(appends)
        .await
        .into_iter()
        .flat_map(Result::unwrap)
        .map(|(_, appended)| appended.position)
        .collect();

    assert!(landed.iter().all(|p| p.tx_id == landed[0].tx_id));
    assert!(landed
        .windows(2)
        .all(|w| w[0].global_position < w[1].global_position));
    // (the commit-ordered reader waits for other databases' transactions
    // in a shared test cluster, so ask the table directly)
    let transactions: i64 = sqlx::query_scalar("select count(distinct tx_id) from events")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!((transactions, landed.len()), (1, 10));
}
