//! The Kafka relay: every event of the log, published to Kafka for
//! analytics consumers (the topic contract is `docs/kafka-topics.md`).
//!
//! Why a projector and not a cqrs-es query or a publish-on-commit: the event
//! store *is* the outbox. Queries run after commit in the writing process
//! and are lost on a crash; a relay that reads the log in commit order from
//! its own durable checkpoint (subscription [`SUBSCRIPTION`] in
//! `subscription_checkpoint`) cannot lose an event, and commands never wait
//! for Kafka: while the broker is down they are accepted and the relay
//! catches up when it returns.
//!
//! Why at least once: Kafka and Postgres share no transaction. The relay
//! publishes a batch with an idempotent producer (`acks=all`) and moves its
//! checkpoint only after the delivery report of every record of the batch
//! said "delivered". Any failure (broker down, topic missing, a fatal
//! producer error) drops the producer, backs off and publishes the batch
//! again from the checkpoint: records can be duplicated, never lost.
//! Consumers deduplicate by `ce_id`, the event id.
//!
//! Why one relay: an advisory lock elects one relay across all processes
//! running `bazaar serve`, `bazaar workers` or `bazaar relay` (the others
//! stand by and take over when its session ends), like the projection
//! workers ([`crate::worker`]), and stops at once when that session dies
//! or the relay is spread to another worker process
//! ([`bazaar_event_store::election`]). Two relays would not lose anything
//! but would publish everything twice.
//!
//! Only [`health`] and the settings build without the cargo feature
//! `kafka` (off by default): the HTTP API reports the relay's health
//! without compiling librdkafka; the workers (`bazaar-runtime`) turn it on.
//!
//! # Layout
//! - [`record`]: the Kafka record of an event: topic, key, value, headers.
//! - [`publisher`]: the rdkafka producer, topic creation, delivery reports.
//! - [`follow`]: the elected relay's loop: read, publish, checkpoint, back off.
//! - [`health`]: what the relay tells `/health/ready`.
//! - [`error`]: why a step failed (every failure is retried).

#[cfg(feature = "kafka")]
use std::future::Future;
use std::time::Duration;

#[cfg(feature = "kafka")]
use sqlx::PgPool;

#[cfg(feature = "kafka")]
use crate::wakeups::Wakeups;

#[cfg(feature = "kafka")]
pub mod error;
#[cfg(feature = "kafka")]
pub mod follow;
pub mod health;
#[cfg(feature = "kafka")]
pub mod publisher;
#[cfg(feature = "kafka")]
pub mod record;

#[cfg(feature = "kafka")]
pub use error::RelayError;
pub use health::{RelayCheck, RelayHealth, RelayStatus};

/// The relay's checkpoint in `subscription_checkpoint`.
pub const SUBSCRIPTION: &str = "kafka-relay";

#[cfg(feature = "kafka")]
/// How often a standby relay tries to take over.
const STANDBY: Duration = Duration::from_secs(2);

/// How the relay reaches Kafka and names its topics.
#[derive(Debug, Clone)]
pub struct RelaySettings {
    /// `host:port[,host:port…]` of the bootstrap brokers.
    pub brokers: String,
    /// Prepended to the aggregate type to name a topic (`bazaar.` →
    /// `bazaar.Order`).
    pub topic_prefix: String,
    /// Partitions of the topics the relay creates (existing topics are kept
    /// as they are). Never change it for an existing topic: the key's
    /// partition would move and per-aggregate order would be lost.
    pub partitions: i32,
    /// How long the producer tries to deliver a record before reporting it
    /// failed (`message.timeout.ms`); the batch is then retried.
    pub delivery_timeout: Duration,
    /// Events read and published per batch (one checkpoint per batch).
    pub batch_size: i64,
    /// Longest pause between retries while Kafka fails.
    pub max_backoff: Duration,
}

impl RelaySettings {
    /// Settings with the defaults for `brokers`.
    pub fn new(brokers: impl Into<String>) -> Self {
        Self {
            brokers: brokers.into(),
            topic_prefix: "bazaar.".to_owned(),
            partitions: 3,
            delivery_timeout: Duration::from_secs(30),
            batch_size: 1_000,
            max_backoff: Duration::from_secs(30),
        }
    }
}

#[cfg(feature = "kafka")]
/// Runs the relay until `stop` completes: stands by while another process
/// relays, and relays when elected. `health` follows its state.
pub async fn run(
    pool: PgPool,
    settings: RelaySettings,
    health: RelayHealth,
    mut wakeups: Wakeups,
    stop: impl Future<Output = ()>,
) {
    tokio::pin!(stop);
    loop {
        let pause = match elect(&pool).await {
            Ok(Some(mut lease)) => {
                tokio::select! {
                    () = &mut stop => return,
                    _ = lease.lost() => {}
                    () = follow::follow(&pool, &settings, &health, &mut wakeups) => {}
                }
                drop(lease);
                Duration::ZERO
            }
            Ok(None) => {
                health.set_standby();
                STANDBY
            }
            Err(error) => {
                tracing::warn!(%error, "kafka relay cannot start; retrying");
                STANDBY
            }
        };
        tokio::select! {
            () = &mut stop => return,
            () = bazaar_event_store::election::standby(&pool, pause) => {}
        }
    }
}

/// The relay's part name among the elected worker parts.
pub const PART: &str = "relay";

#[cfg(feature = "kafka")]
/// The relay's lease, if this process won it: an advisory lock held by a
/// connection taken out of the pool, released when the lease is dropped.
async fn elect(pool: &PgPool) -> sqlx::Result<Option<bazaar_event_store::election::Lease>> {
    let lock = bazaar_event_store::election::LockKey {
        class: "relay",
        key: SUBSCRIPTION,
    };
    bazaar_event_store::election::campaign(pool, PART, lock).await
}
