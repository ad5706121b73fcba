//! Group commit: many commands' appends in one statement, and a refused
//! batch split so that each command gets its own answer.

use bazaar_event_store::{
    find_command, verify_all, CommandRecord, Error, EventMetadata, GroupCommit, PgEventStore,
    Receipt,
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

/// An idempotency key claimed `in_flight` for a minute, as the HTTP
/// middleware claims it; its lease.
async fn claim_key(pool: &PgPool, key: &str) -> chrono::DateTime<chrono::Utc> {
    sqlx::query_scalar(
        "insert into api_idempotency \
             (principal, idempotency_key, request_hash, method, path, state, lease_until) \
         values ('buyer:1', $1, '\\x00', 'POST', '/v1/ledgers', 'in_flight', \
                 now() + interval '1 minute') \
         returning lease_until",
    )
    .bind(key)
    .fetch_one(pool)
    .await
    .unwrap()
}

fn receipt(key: &str, lease_until: chrono::DateTime<chrono::Utc>) -> Receipt {
    Receipt {
        principal: "buyer:1".into(),
        key: key.into(),
        lease_until,
        status: 201,
        content_type: Some("application/json".into()),
        location: Some(format!("/v1/ledgers/{key}")),
        body_head: br#"{"position":""#.to_vec(),
        body_tail: br#"","key":"#.iter().chain(key.as_bytes()).copied().collect(),
    }
}

/// The key's state and stored body.
async fn key_row(pool: &PgPool, key: &str) -> (String, Option<Vec<u8>>) {
    sqlx::query_as(
        "select state, response_body from api_idempotency \
          where principal = 'buyer:1' and idempotency_key = $1",
    )
    .bind(key)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Receipts ride in the batch: a command that commits completes its key
/// in the same transaction, with its last event's position in the body; a
/// command refused (its batch split, it alone failed) leaves its key in
/// flight; a receipt whose lease was taken over completes nothing and
/// does not fail its command.
#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn receipts_commit_with_their_commands_events_or_not_at_all(pool: PgPool) {
    let group = GroupCommit::new(pool.clone());
    let store = PgEventStore::<Ledger>::new(pool.clone()).with_group_commit(group.clone());
    let mut stale = store.load("l-stale").await.unwrap();
    let mut moved = store.load("l-stale").await.unwrap();
    store
        .append_to(opened(), &mut moved, meta(Uuid::now_v7()), None)
        .await
        .unwrap();
    let (won, lost, refused) = (
        claim_key(&pool, "won").await,
        claim_key(&pool, "lost").await,
        claim_key(&pool, "refused").await,
    );
    let before = group.batch_sizes();

    let mut winner = store.load("l-won").await.unwrap();
    let mut late = store.load("l-late").await.unwrap();
    let taken_over = lost + chrono::Duration::seconds(1);
    let (id_won, id_late, id_refused) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let (a, b, c) = futures::join!(
        store.append_receipted(
            opened(),
            &mut winner,
            meta(id_won),
            Some(record(id_won)),
            Some(receipt("won", won)),
        ),
        store.append_receipted(
            opened(),
            &mut late,
            meta(id_late),
            Some(record(id_late)),
            Some(receipt("lost", taken_over)),
        ),
        store.append_receipted(
            opened(),
            &mut stale,
            meta(id_refused),
            Some(record(id_refused)),
            Some(receipt("refused", refused)),
        ),
    );

    assert_eq!(group.batch_sizes().since(&before).max, 3, "one batch");
    let last = a.unwrap().last().unwrap().1.position;
    let (state, body) = key_row(&pool, "won").await;
    assert_eq!(state, "done");
    let expected = format!(
        r#"{{"position":"{}-{}","key":won"#,
        last.tx_id, last.global_position
    );
    assert_eq!(String::from_utf8(body.unwrap()).unwrap(), expected);
    let same_transaction: bool = sqlx::query_scalar(
        "select k.xmin::text::bigint = (e.tx_id::text::numeric % 4294967296)::bigint \
           from api_idempotency k, events e \
          where k.idempotency_key = 'won' and e.aggregate_id = 'l-won' and e.sequence = 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        same_transaction,
        "the key completed in the events' transaction"
    );

    assert!(b.is_ok(), "a lost lease does not fail the command: {b:?}");
    assert_eq!(key_row(&pool, "lost").await, ("in_flight".into(), None));
    assert!(matches!(c, Err(Error::Conflict { .. })), "{c:?}");
    assert_eq!(key_row(&pool, "refused").await, ("in_flight".into(), None));
    assert!(find_command(&pool, id_refused).await.unwrap().is_none());
    assert_eq!(count_events(&pool).await, 2 * 3);
}

/// Without a group commit, the single append completes the key in its own
/// transaction the same way.
#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_single_append_completes_its_receipt_too(pool: PgPool) {
    let store = PgEventStore::<Ledger>::new(pool.clone());
    let lease = claim_key(&pool, "alone").await;
    let mut context = store.load("l-alone").await.unwrap();
    let id = Uuid::now_v7();
    let appended = store
        .append_receipted(
            opened(),
            &mut context,
            meta(id),
            Some(record(id)),
            Some(receipt("alone", lease)),
        )
        .await
        .unwrap();

    let last = appended.last().unwrap().1.position;
    let (state, body) = key_row(&pool, "alone").await;
    assert_eq!(state, "done");
    let expected = receipt("alone", lease).body(last);
    assert_eq!(body.unwrap(), expected);
}
