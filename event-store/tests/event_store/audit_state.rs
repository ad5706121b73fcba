//! A stream's history and an aggregate's state as of a sequence number or
//! an instant.

use bazaar_event_store::audit::{stream_history, AuditError, HistoryRequest, StateBound};
use bazaar_event_store::PgEventStore;
use serde_json::json;
use sqlx::PgPool;

use crate::support::{cqrs, db_now, open_and_deposit, Ledger};
use crate::upcasting::{deposited_v2, load_fixture};

fn history(id: &str, after: i64, limit: u32) -> HistoryRequest {
    HistoryRequest {
        aggregate_type: "Ledger".into(),
        aggregate_id: id.into(),
        after_sequence: after,
        limit: Some(limit),
    }
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_streams_history_pages_by_sequence_with_linked_hashes(pool: PgPool) {
    let cqrs = cqrs(PgEventStore::new(pool.clone()));
    open_and_deposit(&cqrs, "l-1", vec![10, 20, 30, 40]).await;

    let first = stream_history(&pool, &history("l-1", 0, 3)).await.unwrap();
    let rest = stream_history(&pool, &history("l-1", 3, 3)).await.unwrap();

    let sequences: Vec<i64> = first
        .events
        .iter()
        .chain(&rest.events)
        .map(|e| e.sequence)
        .collect();
    assert_eq!(sequences, [1, 2, 3, 4, 5]);
    assert_eq!(
        (first.next_after_sequence, rest.next_after_sequence),
        (Some(3), None)
    );
    let all: Vec<_> = first.events.iter().chain(&rest.events).collect();
    for pair in all.windows(2) {
        assert_eq!(
            pair[1].previous_hash.as_deref(),
            Some(pair[0].hash.as_str())
        );
    }
    assert!(all
        .iter()
        .all(|e| e.hash_holds() && e.actor.as_deref() == Some("admin:test")));
    // a deposit command wrote events 2 to 5: one command id
    assert!(all[1..].iter().all(|e| e.command_id == all[1].command_id));
    assert_ne!(all[0].command_id, all[1].command_id);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn an_unknown_stream_or_a_bad_page_is_refused(pool: PgPool) {
    let missing = stream_history(&pool, &history("nope", 0, 10)).await;
    let too_long = stream_history(&pool, &history("nope", 0, 5_000)).await;

    assert!(matches!(missing, Err(AuditError::StreamNotFound { .. })));
    assert!(matches!(too_long, Err(AuditError::InvalidRequest(_))));
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn the_state_as_of_a_sequence_or_an_instant_is_the_fold_up_to_it(pool: PgPool) {
    let store = PgEventStore::<Ledger>::new(pool.clone());
    let cqrs = cqrs(store.clone());
    let before_anything = db_now(&pool).await;
    open_and_deposit(&cqrs, "l-1", vec![10, 20]).await;
    let after_first_deposits = db_now(&pool).await;
    open_and_deposit(&cqrs, "l-2", vec![1]).await;
    let more = crate::support::LedgerCommand::Deposit { amounts: vec![300] };
    cqrs.execute_with_metadata("l-1", more, crate::support::meta())
        .await
        .unwrap();

    let at_two = store
        .state_as_of("l-1", StateBound::Sequence(2))
        .await
        .unwrap();
    let at_instant = store
        .state_as_of("l-1", StateBound::At(after_first_deposits))
        .await
        .unwrap();
    let latest = store.state_as_of("l-1", StateBound::Latest).await.unwrap();
    let not_yet = store
        .state_as_of("l-1", StateBound::At(before_anything))
        .await
        .unwrap();

    assert_eq!(
        at_two.state,
        json!({"currency": "EUR", "balance": 10, "movements": 2})
    );
    assert_eq!(
        (at_instant.sequence, &at_instant.state["balance"]),
        (3, &json!(30))
    );
    assert!(at_instant.recorded_at.unwrap() <= after_first_deposits);
    assert_eq!(
        (latest.sequence, &latest.state["balance"]),
        (4, &json!(330))
    );
    assert_eq!(latest.stream_length, 4);
    assert_eq!((not_yet.sequence, &not_yet.state), (0, &json!(null)));
    assert!(matches!(
        store.state_as_of("l-9", StateBound::Latest).await,
        Err(AuditError::StreamNotFound { .. })
    ));
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn the_state_as_of_folds_old_event_versions_through_the_upcasters(pool: PgPool) {
    load_fixture(&pool).await;
    let store = PgEventStore::<Ledger>::new(pool.clone()).with_upcasters(vec![deposited_v2()]);

    let state = store
        .state_as_of("l-legacy", StateBound::Latest)
        .await
        .unwrap();

    assert_eq!(state.state["balance"], 1250);
    assert!(PgEventStore::<Ledger>::new(pool)
        .state_as_of("l-legacy", StateBound::Latest)
        .await
        .is_err());
}
