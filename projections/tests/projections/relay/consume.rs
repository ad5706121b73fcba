//! An analytics consumer as `docs/kafka-topics.md` describes one: an
//! rdkafka consumer group reading the relay's topics from the beginning.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use bazaar_event_store::RecordedEvent;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{Headers, Message};
use uuid::Uuid;

/// One consumed record.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) topic: String,
    pub(crate) partition: i32,
    pub(crate) key: String,
    pub(crate) value: serde_json::Value,
    pub(crate) headers: HashMap<String, String>,
}

impl Received {
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("header {name} missing on {self:?}"))
    }

    pub(crate) fn event_id(&self) -> Uuid {
        self.header("ce_id").parse().expect("ce_id is a uuid")
    }

    /// `AggregateType/aggregate id`: ids repeat across types (an order's
    /// payment split and escrow share its id).
    pub(crate) fn stream(&self) -> String {
        format!("{}/{}", self.header("ce_aggregatetype"), self.key)
    }

    pub(crate) fn sequence(&self) -> i64 {
        self.header("ce_aggregatesequence")
            .parse()
            .expect("a number")
    }
}

/// Reads `topics` with a new consumer group until every id of `expected`
/// was seen or `timeout` passed; returns everything read, duplicates
/// included, in the order each partition delivered it.
pub(crate) async fn consume(
    brokers: &str,
    topics: &[String],
    expected: &HashSet<Uuid>,
    timeout: Duration,
) -> Vec<Received> {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("analytics-{}", Uuid::now_v7()))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let names: Vec<&str> = topics.iter().map(String::as_str).collect();
    consumer.subscribe(&names).expect("subscribed");
    let deadline = Instant::now() + timeout;
    let mut received = Vec::new();
    let mut missing = expected.clone();
    while !missing.is_empty() && Instant::now() < deadline {
        let next = tokio::time::timeout(Duration::from_millis(500), consumer.recv()).await;
        let Ok(Ok(message)) = next else { continue };
        let record = Received {
            topic: message.topic().to_owned(),
            partition: message.partition(),
            key: String::from_utf8(message.key().expect("a key").to_vec()).expect("utf-8 key"),
            value: serde_json::from_slice(message.payload().expect("a value")).expect("json"),
            headers: message
                .headers()
                .map(|headers| {
                    headers
                        .iter()
                        .map(|h| {
                            let value = h.value.map(|v| String::from_utf8_lossy(v).into_owned());
                            (h.key.to_owned(), value.unwrap_or_default())
                        })
                        .collect()
                })
                .unwrap_or_default(),
        };
        missing.remove(&record.event_id());
        received.push(record);
    }
    received
}

/// What a consumer that follows the contract's ordering rule applies, per
/// stream (see [`Received::stream`]): a record is applied iff its sequence is the next one after
/// the last applied (or, before anything was applied, it is `first`).
/// Duplicates and records after a gap are skipped: the relay publishes the
/// missing ones again, followed by the rest.
pub(crate) fn applied_in_order(
    received: &[Received],
    first: &HashMap<String, i64>,
) -> HashMap<String, Vec<i64>> {
    let mut applied: HashMap<String, Vec<i64>> = HashMap::new();
    for record in received {
        let stream = record.stream();
        let Some(&start) = first.get(&stream) else {
            continue;
        };
        let seen = applied.entry(stream).or_default();
        let next = seen.last().map_or(start, |last| last + 1);
        if record.sequence() == next {
            seen.push(next);
        }
    }
    applied
}

/// Each stream's sequences in `events`, by stream (as [`Received::stream`]
/// names them): what [`applied_in_order`] must yield when nothing is lost.
pub(crate) fn sequences(events: &[RecordedEvent]) -> HashMap<String, Vec<i64>> {
    let mut expected: HashMap<String, Vec<i64>> = HashMap::new();
    for event in events {
        let stream = format!("{}/{}", event.aggregate_type, event.aggregate_id);
        expected.entry(stream).or_default().push(event.sequence);
    }
    expected
}

/// The first sequence of each stream of `expected` (see [`sequences`]).
pub(crate) fn firsts(expected: &HashMap<String, Vec<i64>>) -> HashMap<String, i64> {
    expected
        .iter()
        .map(|(s, seq)| (s.clone(), seq[0]))
        .collect()
}
