//! Why a relay batch failed. Every failure is retried from the checkpoint
//! after a back-off; none is fatal to the relay.

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use uuid::Uuid;

/// A failed relay step.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// Reading the log or moving the checkpoint failed.
    #[error("event store: {0}")]
    Store(#[from] bazaar_event_store::Error),
    /// The Kafka client refused a request (bad settings, full queue, …).
    #[error("kafka client: {0}")]
    Client(KafkaError),
    /// A topic could not be created.
    #[error("cannot create topic {topic}: {code}")]
    Topic {
        /// The topic.
        topic: String,
        /// The broker's answer.
        code: RDKafkaErrorCode,
    },
    /// A record's delivery report was a failure; its batch is retried.
    #[error("delivery of event {event_id} to {topic} failed: {error}")]
    Delivery {
        /// The topic.
        topic: String,
        /// The event.
        event_id: Uuid,
        /// What the producer reported.
        error: KafkaError,
    },
    /// Delivery reports did not all arrive in time; the batch is retried.
    #[error("delivery reports missing after {0:?}")]
    DeliveryTimeout(std::time::Duration),
    /// No broker answered a metadata request.
    #[error("no broker answers: {0}")]
    Unreachable(KafkaError),
}
