//! Every setting of Bazaar, read once from flags or environment variables.
//!
//! Library crates never read the environment: they receive the part of
//! these settings they need.

use std::net::SocketAddr;
use std::time::Duration;

use bazaar_event_store::PgSettings;
use bazaar_projections::relay::RelaySettings;
use clap::{Args, ValueEnum};

/// The database Bazaar uses when `DATABASE_URL` is not set: the local
/// Postgres that `scripts/run.sh` starts.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/bazaar";

/// Settings shared by every subcommand.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Postgres URL of the event store and read models; the database is
    /// created if it does not exist.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,

    /// Upper bound of pooled database connections.
    #[arg(
        long,
        env = "BAZAAR_DB_MAX_CONNECTIONS",
        default_value_t = 32,
        global = true
    )]
    pub db_max_connections: u32,

    /// Log format: `text` for people, `json` for log pipelines.
    #[arg(long, env = "BAZAAR_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    /// The Kafka relay's settings.
    #[command(flatten)]
    pub kafka: KafkaSettings,
}

/// Settings of the Kafka relay; without brokers the relay is off and
/// everything else works.
#[derive(Debug, Clone, Args)]
pub struct KafkaSettings {
    /// Bootstrap brokers (`host:port[,host:port…]`); unset turns the relay off.
    #[arg(long, env = "KAFKA_BROKERS", global = true)]
    pub kafka_brokers: Option<String>,

    /// Prefix of the topic names: one topic per aggregate type, e.g. `bazaar.Order`.
    #[arg(
        long,
        env = "KAFKA_TOPIC_PREFIX",
        default_value = "bazaar.",
        global = true
    )]
    pub kafka_topic_prefix: String,

    /// Partitions of the topics the relay creates (existing ones are kept).
    #[arg(
        long,
        env = "KAFKA_TOPIC_PARTITIONS",
        default_value_t = 3,
        global = true
    )]
    pub kafka_topic_partitions: i32,

    /// How long a record may take to be delivered before its batch is retried.
    #[arg(
        long,
        env = "KAFKA_DELIVERY_TIMEOUT_MS",
        default_value_t = 30_000,
        global = true
    )]
    pub kafka_delivery_timeout_ms: u64,
}

impl KafkaSettings {
    /// The relay's settings, or `None` when no brokers are configured.
    pub fn relay(&self) -> Option<RelaySettings> {
        let brokers = self.kafka_brokers.as_deref()?.trim();
        if brokers.is_empty() {
            return None;
        }
        let mut relay = RelaySettings::new(brokers);
        relay.topic_prefix.clone_from(&self.kafka_topic_prefix);
        relay.partitions = self.kafka_topic_partitions;
        relay.delivery_timeout = Duration::from_millis(self.kafka_delivery_timeout_ms);
        Some(relay)
    }
}

/// Settings of the HTTP server.
#[derive(Debug, Clone, Args)]
pub struct HttpSettings {
    /// Address the API listens on (port 0 picks a free port).
    #[arg(long, env = "BAZAAR_HTTP_ADDR", default_value = "127.0.0.1:8080")]
    pub http_addr: SocketAddr,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

impl Settings {
    /// The event store's database settings.
    pub fn pg(&self) -> PgSettings {
        let mut pg = PgSettings::new(&self.database_url);
        pg.max_connections = self.db_max_connections;
        pg
    }
}
