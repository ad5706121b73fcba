//! The auditors' global log: commit order, a cursor that stays valid while
//! others append, and its filters.

use std::collections::HashSet;
use std::time::Duration;

use bazaar_event_store::audit::{read_log, AuditEvent, Cursor, LogFilter, PageRequest};
use bazaar_event_store::{EventMetadata, PgEventStore};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use uuid::Uuid;

use crate::support::{cqrs, db_now, open_and_deposit, LedgerCommand};

/// Reads the filtered log in pages of `limit` from the start until `want`
/// events arrived and the log has no more for now. Another database's open
/// transaction can hold the horizon back a moment (xids are cluster-wide).
pub(crate) async fn read_all(
    pool: &PgPool,
    filter: &LogFilter,
    limit: u32,
    want: usize,
) -> Vec<AuditEvent> {
    let read = async {
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let request = PageRequest {
                after,
                limit: Some(limit),
            };
            let page = read_log(pool, filter, &request).await.unwrap();
            assert!(page.events.len() <= limit as usize);
            seen.extend(page.events);
            after = Some(page.next);
            if !page.more {
                if seen.len() >= want {
                    return seen;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .expect("every event readable")
}

fn in_commit_order(events: &[AuditEvent]) -> bool {
    events
        .windows(2)
        .all(|w| (w[0].tx_id, w[0].global_position) < (w[1].tx_id, w[1].global_position))
}

fn ids(events: &[AuditEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| format!("{}#{}", e.aggregate_id, e.sequence))
        .collect()
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn the_log_pages_in_commit_order_and_filters_by_type_and_time(pool: PgPool) {
    let cqrs = cqrs(PgEventStore::new(pool.clone()));
    for n in 0..3 {
        open_and_deposit(&cqrs, &format!("before-{n}"), vec![1, 2]).await;
    }
    let between = db_now(&pool).await;
    for n in 0..2 {
        open_and_deposit(&cqrs, &format!("after-{n}"), vec![3]).await;
    }

    let all = read_all(&pool, &LogFilter::default(), 4, 13).await;
    let opened = LogFilter {
        event_type: Some("Opened".into()),
        ..LogFilter::default()
    };
    let before = LogFilter {
        to: Some(between),
        ..LogFilter::default()
    };
    let after = LogFilter {
        aggregate_type: Some("Ledger".into()),
        from: Some(between),
        ..LogFilter::default()
    };

    assert_eq!(all.len(), 13);
    assert!(in_commit_order(&all));
    let opened = read_all(&pool, &opened, 2, 5).await;
    assert_eq!(opened.len(), 5);
    assert!(opened.iter().all(|e| e.event_type == "Opened"));
    let before = read_all(&pool, &before, 100, 9).await;
    assert!(ids(&before).iter().all(|id| id.starts_with("before-")));
    assert_eq!(before.len(), 9);
    let after = read_all(&pool, &after, 100, 4).await;
    assert!(ids(&after).iter().all(|id| id.starts_with("after-")));
    assert_eq!(after.len(), 4);
    let other = LogFilter {
        aggregate_type: Some("Order".into()),
        ..LogFilter::default()
    };
    assert!(read_log(&pool, &other, &PageRequest::default())
        .await
        .unwrap()
        .events
        .is_empty());
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn every_event_carries_who_when_and_which_command(pool: PgPool) {
    let cqrs = cqrs(PgEventStore::new(pool.clone()));
    let command_id = Uuid::now_v7();
    let metadata = EventMetadata {
        command_id,
        correlation_id: Uuid::now_v7(),
        causation_id: Uuid::now_v7(),
        actor: "vendor:v-9".into(),
        traceparent: None,
    };
    let open = LedgerCommand::Open {
        currency: "EUR".into(),
    };
    cqrs.execute_with_metadata("l-1", open, metadata.to_map())
        .await
        .unwrap();

    let event = read_all(&pool, &LogFilter::default(), 10, 1)
        .await
        .remove(0);

    assert_eq!(event.actor.as_deref(), Some("vendor:v-9"));
    assert_eq!(event.command_id, Some(command_id.to_string()));
    assert_eq!(
        event.correlation_id,
        Some(metadata.correlation_id.to_string())
    );
    assert_eq!(event.causation_id, Some(metadata.causation_id.to_string()));
    assert!(event.hash_holds());
    assert_eq!(event.previous_hash, Some("0".repeat(64)));
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn the_correlation_filter_follows_one_flow_across_streams(pool: PgPool) {
    let cqrs = cqrs(PgEventStore::new(pool.clone()));
    let flow = |correlation_id| EventMetadata {
        command_id: Uuid::now_v7(),
        correlation_id,
        causation_id: correlation_id,
        actor: "buyer:b-1".into(),
        traceparent: None,
    };
    let (mine, theirs) = (Uuid::now_v7(), Uuid::now_v7());
    for (id, correlation) in [("a", mine), ("b", theirs), ("c", mine)] {
        let open = LedgerCommand::Open {
            currency: "EUR".into(),
        };
        cqrs.execute_with_metadata(id, open, flow(correlation).to_map())
            .await
            .unwrap();
    }
    let deposit = LedgerCommand::Deposit { amounts: vec![5] };
    cqrs.execute_with_metadata("a", deposit, flow(mine).to_map())
        .await
        .unwrap();

    let filter = LogFilter {
        correlation_id: Some(mine),
        ..LogFilter::default()
    };
    let events = read_all(&pool, &filter, 2, 3).await;

    assert_eq!(ids(&events), ["a#1", "c#1", "a#2"]);
}

async fn insert_raw(conn: &mut sqlx::PgConnection, id: &str) {
    sqlx::query(
        "insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
         values ('Ledger', $1, 1, 'Opened', '1.0', '{}', '{}')",
    )
    .bind(id)
    .execute(conn)
    .await
    .unwrap();
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_cursor_is_never_passed_by_an_event_that_commits_late(pool: PgPool) {
    let mut t1 = bazaar_event_store::pool::begin(&pool).await.unwrap();
    let mut t2 = bazaar_event_store::pool::begin(&pool).await.unwrap();
    insert_raw(&mut t1, "t1").await;
    insert_raw(&mut t2, "t2").await;
    t2.commit().await.unwrap();

    // T2 is committed, but T1 holds the lower position and is still open:
    // a page must not hand out a cursor past T1's event
    let while_open = read_log(&pool, &LogFilter::default(), &PageRequest::default())
        .await
        .unwrap();
    assert!(
        while_open.events.is_empty(),
        "{:?}",
        ids(&while_open.events)
    );
    assert_eq!(while_open.next, Cursor::default());

    t1.commit().await.unwrap();
    let both = read_all(&pool, &LogFilter::default(), 1, 2).await;
    assert_eq!(ids(&both), ["t1#1", "t2#1"]);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn paging_while_writers_append_returns_every_event_once(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let pool = PgPoolOptions::new()
        .max_connections(10)
        .connect_with(options)
        .await
        .unwrap();
    let writers: Vec<_> = (0..6)
        .map(|w| {
            let cqrs = cqrs(PgEventStore::new(pool.clone()));
            tokio::spawn(async move {
                for n in 0..20 {
                    open_and_deposit(&cqrs, &format!("w{w}-{n}"), vec![1]).await;
                }
            })
        })
        .collect();
    let deposits = LogFilter {
        event_type: Some("Deposited".into()),
        ..LogFilter::default()
    };
    let reader = {
        let pool = pool.clone();
        tokio::spawn(async move { read_all(&pool, &deposits, 7, 120).await })
    };
    for writer in writers {
        writer.await.unwrap();
    }
    let seen = reader.await.unwrap();

    let mut unique = HashSet::new();
    assert!(
        seen.iter().all(|e| unique.insert(e.event_id)),
        "an event came twice"
    );
    assert_eq!(seen.len(), 120);
    assert!(in_commit_order(&seen));
    assert!(seen.iter().all(|e| e.event_type == "Deposited"));
}
