//! Every event reaches its topic: keyed by aggregate, in sequence order,
//! with every header of the contract.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use bazaar_event_store::{Position, RecordedEvent};
use bazaar_projections::relay::RelayStatus;
use bazaar_testkit::broker::Broker;
use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::consume::{applied_in_order, consume, firsts, sequences, Received};
use super::world::{
    checkouts, checkpoint, events_after, raw_events, settings, spawn_relay, topics, wait_caught_up,
    PREFIX, TYPES,
};

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn every_event_reaches_its_topic_in_sequence_order_with_every_header(pool: PgPool) {
    let broker = Broker::start().await;
    for topic in topics() {
        broker.create_topic(&topic).await;
    }
    checkouts(&pool, 5).await;
    raw_events(&pool, "Ticker", 10, 30).await;
    let events = events_after(&pool, Position::START).await;
    assert!(events.len() > 300, "only {} events", events.len());

    let relay = spawn_relay(&pool, settings(&broker.address()));
    wait_caught_up(&pool, Duration::from_secs(60)).await;
    let ids = events.iter().map(|e| e.event_id).collect();
    let received = consume(&broker.address(), &topics(), &ids, Duration::from_secs(60)).await;

    // the clients' traces reach the saga's events too (see world.rs)
    let traced: HashSet<_> = events
        .iter()
        .filter(|e| e.metadata.to_value().get("traceparent").is_some())
        .map(|e| e.aggregate_type.as_str())
        .collect();
    assert!(
        ["Order", "InventoryReservation", "PaymentSplit"]
            .iter()
            .all(|t| traced.contains(t)),
        "traced: {traced:?}"
    );
    let by_id: HashMap<_, _> = received.iter().map(|r| (r.event_id(), r)).collect();
    assert_eq!(by_id.len(), events.len(), "every event once at least");
    for event in &events {
        assert_record_matches(by_id[&event.event_id], event);
    }
    assert_in_sequence_order(&received, &events);
    assert_eq!(checkpoint(&pool).await, events.last().unwrap().position);
    assert_eq!(relay.health.check(&pool).await.status, RelayStatus::Ok);
    let types: HashSet<_> = events.iter().map(|e| e.aggregate_type.as_str()).collect();
    assert_eq!(
        types,
        TYPES.into_iter().collect(),
        "every aggregate type relayed"
    );
}

fn assert_record_matches(record: &Received, event: &RecordedEvent) {
    let metadata = event.metadata.to_value();
    assert_eq!(record.topic, format!("{PREFIX}{}", event.aggregate_type));
    assert_eq!(record.key, event.aggregate_id);
    assert_eq!(record.value, event.payload.to_value());
    assert_eq!(record.header("ce_specversion"), "1.0");
    assert_eq!(record.header("ce_id"), event.event_id.to_string());
    assert_eq!(record.header("ce_type"), event.event_type);
    assert_eq!(
        record.header("ce_source"),
        format!("/bazaar/{}", event.aggregate_type)
    );
    assert_eq!(record.header("ce_subject"), event.aggregate_id);
    let time = DateTime::parse_from_rfc3339(record.header("ce_time")).expect("RFC 3339");
    assert_eq!(time.with_timezone(&Utc), event.recorded_at);
    assert_eq!(record.header("content-type"), "application/json");
    assert_eq!(record.header("ce_aggregatetype"), event.aggregate_type);
    assert_eq!(record.sequence(), event.sequence);
    assert_eq!(record.header("ce_eventversion"), event.event_version);
    assert_eq!(
        record.header("ce_globalposition"),
        event.position.global_position.to_string()
    );
    assert_eq!(record.header("ce_txid"), event.position.tx_id.to_string());
    for (key, header) in [
        ("command_id", "ce_commandid"),
        ("correlation_id", "ce_correlationid"),
        ("causation_id", "ce_causationid"),
        ("actor", "ce_actor"),
    ] {
        assert_eq!(record.header(header), metadata[key].as_str().unwrap());
    }
    match metadata.get("traceparent") {
        Some(trace) => assert_eq!(record.header("traceparent"), trace.as_str().unwrap()),
        None => assert!(!record.headers.contains_key("traceparent"), "{record:?}"),
    }
}

/// Each stream's records sit in one partition, in sequence order.
fn assert_in_sequence_order(received: &[Received], events: &[RecordedEvent]) {
    let mut partitions: HashMap<String, HashSet<i32>> = HashMap::new();
    for record in received {
        partitions
            .entry(record.stream())
            .or_default()
            .insert(record.partition);
    }
    assert!(partitions.values().all(|p| p.len() == 1), "{partitions:?}");
    let expected = sequences(events);
    let first = firsts(&expected);
    let mut delivered: HashMap<String, Vec<i64>> = HashMap::new();
    for record in received {
        delivered
            .entry(record.stream())
            .or_default()
            .push(record.sequence());
    }
    // without failures nothing is duplicated: the records themselves are in order
    assert_eq!(delivered, expected);
    assert_eq!(applied_in_order(received, &first), expected);
}
