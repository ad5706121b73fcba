//! Publishing batches with rdkafka and waiting for their delivery reports.
//!
//! The producer is idempotent (`enable.idempotence=true`, `acks=all`): the
//! broker drops the duplicates its own retries would create and keeps each
//! partition in send order. Keys are hashed with `murmur2_random`, the Java
//! client's partitioner, so every Kafka client agrees on an aggregate's
//! partition. Topics are created at first use through the admin API (a
//! broker may not auto-create them; Tansu does not), with
//! [`RelaySettings::partitions`] partitions and the broker's default
//! replication factor.
//!
//! A `Publisher` that failed is dropped, never reused: a fresh producer
//! starts a new idempotence session (a restarted broker may have lost the
//! old one, and a fatal error leaves a producer unusable), and its topic
//! cache is forgotten (a broker that lost its data lost its topics too).

use std::collections::HashSet;
use std::time::Duration;

use bazaar_event_store::RecordedEvent;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord, Producer};

use super::error::RelayError;
use super::record::{headers, topic_name, value};
use super::RelaySettings;

/// Replication factor `-1`: the broker's `default.replication.factor`.
const BROKER_DEFAULT_REPLICATION: i32 = -1;
/// How much longer than `message.timeout.ms` a batch may wait for its
/// delivery reports before it is given up (and retried).
const DEADLINE_SLACK: Duration = Duration::from_millis(500);
/// How long a reachability probe waits for the broker's metadata.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// An idempotent producer and the topics known to exist.
pub struct Publisher {
    producer: FutureProducer,
    admin: AdminClient<DefaultClientContext>,
    topics: HashSet<String>,
    settings: RelaySettings,
}

impl Publisher {
    /// Creates the clients; they connect on first use.
    pub fn connect(settings: &RelaySettings) -> Result<Self, RelayError> {
        let timeout = settings.delivery_timeout.as_millis().to_string();
        let producer = ClientConfig::new()
            .set("bootstrap.servers", &settings.brokers)
            .set("client.id", "bazaar-relay")
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("partitioner", "murmur2_random")
            .set("message.timeout.ms", &timeout)
            // a whole batch is enqueued at once: lingering only delays its tail
            .set("linger.ms", "1")
            .create()
            .map_err(RelayError::Client)?;
        let admin = ClientConfig::new()
            .set("bootstrap.servers", &settings.brokers)
            .set("client.id", "bazaar-relay-admin")
            .create()
            .map_err(RelayError::Client)?;
        Ok(Self {
            producer,
            admin,
            topics: HashSet::new(),
            settings: settings.clone(),
        })
    }

    /// Publishes `events` in order and returns once every record's delivery
    /// report said it was written; the first failure is returned.
    ///
    /// The wait is bounded by the delivery timeout plus half a second
    /// on our side too: librdkafka 2.12 was seen here never timing out
    /// records queued for a broker that had died (idempotent producer).
    pub async fn publish(&mut self, events: &[RecordedEvent]) -> Result<(), RelayError> {
        self.ensure_topics(events).await?;
        let mut deliveries = Vec::with_capacity(events.len());
        for event in events {
            deliveries.push(self.send(event)?);
        }
        let deadline = self.settings.delivery_timeout + DEADLINE_SLACK;
        tokio::time::timeout(deadline, self.delivered(deliveries, events))
            .await
            .map_err(|_| RelayError::DeliveryTimeout(deadline))?
    }

    /// Waits for every delivery report; the first failure is returned.
    async fn delivered(
        &self,
        deliveries: Vec<DeliveryFuture>,
        events: &[RecordedEvent],
    ) -> Result<(), RelayError> {
        for (delivery, event) in deliveries.into_iter().zip(events) {
            match delivery.await {
                Ok(Ok(_)) => {}
                Ok(Err((error, _))) => return Err(delivery_failed(event, &self.settings, error)),
                Err(_) => return Err(RelayError::Client(KafkaError::Canceled)),
            }
        }
        Ok(())
    }

    /// Enqueues one record; the producer delivers it in the background.
    fn send(&self, event: &RecordedEvent) -> Result<DeliveryFuture, RelayError> {
        let topic = topic_name(&self.settings.topic_prefix, &event.aggregate_type);
        let payload = value(event);
        let record = FutureRecord::to(&topic)
            .key(&event.aggregate_id)
            .payload(&payload)
            .headers(headers(event))
            .timestamp(event.recorded_at.timestamp_millis());
        self.producer
            .send_result(record)
            .map_err(|(error, _)| RelayError::Client(error))
    }

    /// Creates the topics of `events` not known to exist yet.
    async fn ensure_topics(&mut self, events: &[RecordedEvent]) -> Result<(), RelayError> {
        let missing: Vec<String> = events
            .iter()
            .map(|e| topic_name(&self.settings.topic_prefix, &e.aggregate_type))
            .filter(|topic| !self.topics.contains(topic))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let new: Vec<NewTopic<'_>> = missing
            .iter()
            .map(|name| {
                NewTopic::new(
                    name,
                    self.settings.partitions,
                    TopicReplication::Fixed(BROKER_DEFAULT_REPLICATION),
                )
            })
            .collect();
        let options = AdminOptions::new()
            .request_timeout(Some(self.settings.delivery_timeout))
            .operation_timeout(Some(self.settings.delivery_timeout));
        let results = self
            .admin
            .create_topics(&new, &options)
            .await
            .map_err(RelayError::Client)?;
        for result in results {
            match result {
                Ok(topic) | Err((topic, RDKafkaErrorCode::TopicAlreadyExists)) => {
                    self.topics.insert(topic);
                }
                Err((topic, code)) => return Err(RelayError::Topic { topic, code }),
            }
        }
        Ok(())
    }

    /// Whether a broker answers a metadata request.
    pub async fn probe(&self) -> Result<(), RelayError> {
        let producer = self.producer.clone();
        let answer = tokio::task::spawn_blocking(move || {
            producer
                .client()
                .fetch_metadata(None, PROBE_TIMEOUT)
                .map(drop)
        })
        .await;
        match answer {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(RelayError::Unreachable(error)),
            Err(_) => Err(RelayError::Client(KafkaError::Canceled)),
        }
    }

    /// Drops the clients off the async runtime: a producer's destructor
    /// purges its queue and waits (briefly) for its threads.
    pub fn discard(self) {
        drop(tokio::task::spawn_blocking(move || drop(self)));
    }
}

fn delivery_failed(
    event: &RecordedEvent,
    settings: &RelaySettings,
    error: KafkaError,
) -> RelayError {
    RelayError::Delivery {
        topic: topic_name(&settings.topic_prefix, &event.aggregate_type),
        event_id: event.event_id,
        error,
    }
}
