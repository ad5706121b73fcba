//! NDJSON exports: streamed in pages, equal to the store's events, and
//! verifiable offline line by line.

use bazaar_event_store::audit::{
    export_to_string, stream_history, verify_export, AuditEvent, ExportSelection, HistoryRequest,
    LogFilter,
};
use bazaar_event_store::PgEventStore;
use sqlx::PgPool;

use crate::audit_log::read_all;
use crate::support::{cqrs, db_now, open_and_deposit};

fn parse(ndjson: &str) -> Vec<AuditEvent> {
    ndjson
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn stream(id: &str) -> ExportSelection {
    ExportSelection::Stream {
        aggregate_type: "Ledger".into(),
        aggregate_id: id.into(),
    }
}

/// Every event of `id` as the history reads it, page by page.
async fn history(pool: &PgPool, id: &str) -> Vec<AuditEvent> {
    let mut events = Vec::new();
    let mut after = 0;
    loop {
        let request = HistoryRequest {
            aggregate_type: "Ledger".into(),
            aggregate_id: id.into(),
            after_sequence: after,
            limit: Some(1_000),
        };
        let page = stream_history(pool, &request).await.unwrap();
        events.extend(page.events);
        match page.next_after_sequence {
            Some(next) => after = next,
            None => return events,
        }
    }
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_stream_export_over_several_pages_round_trips_and_verifies(pool: PgPool) {
    let cqrs = cqrs(PgEventStore::new(pool.clone()));
    open_and_deposit(&cqrs, "big", (1..=1_500).collect()).await;
    open_and_deposit(&cqrs, "small", vec![7]).await;

    let ndjson = export_to_string(pool.clone(), stream("big")).await.unwrap();

    assert_eq!(ndjson.lines().count(), 1_501);
    let exported = parse(&ndjson);
    assert_eq!(exported, history(&pool, "big").await);
    let check = verify_export(ndjson.as_bytes()).unwrap();
    assert_eq!(
        (
            check.events,
            check.streams,
            check.links,
            check.gaps,
            check.problem
        ),
        (1_501, 1, 1_500, 0, None)
    );
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_time_range_export_holds_the_log_events_of_that_range(pool: PgPool) {
    let cqrs = cqrs(PgEventStore::new(pool.clone()));
    open_and_deposit(&cqrs, "early", vec![1]).await;
    let from = db_now(&pool).await;
    open_and_deposit(&cqrs, "inside", vec![2, 3]).await;
    let to = db_now(&pool).await;
    open_and_deposit(&cqrs, "late", vec![4]).await;
    let range = LogFilter {
        from: Some(from),
        to: Some(to),
        ..LogFilter::default()
    };
    let expected = read_all(&pool, &range, 100, 3).await;

    let ndjson = export_to_string(pool.clone(), ExportSelection::Log(range))
        .await
        .unwrap();

    assert_eq!(parse(&ndjson), expected);
    assert!(expected.iter().all(|e| e.aggregate_id == "inside"));
    assert_eq!(verify_export(ndjson.as_bytes()).unwrap().problem, None);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn the_offline_check_names_a_changed_or_moved_line(pool: PgPool) {
    let cqrs = cqrs(PgEventStore::new(pool.clone()));
    open_and_deposit(&cqrs, "l-1", vec![10, 20, 30]).await;
    let ndjson = export_to_string(pool.clone(), stream("l-1")).await.unwrap();
    let lines: Vec<&str> = ndjson.lines().collect();

    let changed = ndjson.replace(r#""amount": 20"#, r#""amount": 2000"#);
    let swapped = [lines[0], lines[2], lines[1], lines[3]].join("\n");
    let dropped = [lines[0], lines[1], lines[3]].join("\n");

    let problem = verify_export(changed.as_bytes()).unwrap().problem.unwrap();
    assert!(
        problem.starts_with("line 3: Ledger/l-1#3 hash"),
        "{problem}"
    );
    let problem = verify_export(swapped.as_bytes()).unwrap().problem.unwrap();
    assert!(
        problem.starts_with("line 3: Ledger/l-1#2 comes after"),
        "{problem}"
    );
    let dropped = verify_export(dropped.as_bytes()).unwrap();
    assert_eq!((dropped.problem, dropped.gaps), (None, 1));
    assert!(verify_export("{not json".as_bytes()).is_err());
}
