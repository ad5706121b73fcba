//! Every setting of Bazaar, read once from flags, environment variables or
//! a configuration file, in that order of precedence, then the default.
//!
//! Library crates never read the environment: they receive the part of
//! these settings they need. Every setting is an argument of the clap
//! `bazaar` command line (`bazaar_cli::Cli`) with an environment variable; [`file`] turns the
//! lines of a configuration file into defaults of those arguments, so the
//! file needs no schema of its own and cannot drift from the flags.
//!
//! # Layout
//! - [`file`]: the `--config FILE` / `BAZAAR_CONFIG` env-file.

use std::path::PathBuf;
use std::time::Duration;

use bazaar_event_store::PgSettings;
use bazaar_projections::relay::RelaySettings;
use bazaar_projections::search::es::EsSettings;
use clap::{Args, ValueEnum};

pub mod file;

/// The database Bazaar uses when `DATABASE_URL` is not set: the local
/// Postgres that `scripts/run.sh` starts.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/bazaar";

/// Settings shared by every subcommand.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// A file of `NAME=value` lines (the variables below) read before
    /// parsing: flags and environment variables override it.
    #[arg(long = "config", env = file::CONFIG_ENV, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,

    /// Postgres URL of the event store and read models; the database is
    /// created if it does not exist. Its value is never shown by `--help`
    /// (it may hold a password).
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = DEFAULT_DATABASE_URL,
        hide_env_values = true,
        global = true
    )]
    pub database_url: String,

    /// Postgres URLs of hot standbys of `DATABASE_URL` (comma-separated,
    /// one server each) that answer queries, searches and read-your-writes
    /// waits of `serve` and `api`; commands still go to `DATABASE_URL`.
    /// Unset: queries read `DATABASE_URL`. Never shown by `--help`.
    #[arg(
        long,
        env = "BAZAAR_READ_DATABASE_URL",
        hide_env_values = true,
        global = true
    )]
    pub read_database_url: Option<String>,

    /// Every database connection this process may hold at once: the API's
    /// and the idempotency records' pools, the workers' pool and their
    /// election leases (split as `docs/operations.md` says).
    #[arg(
        long,
        env = "BAZAAR_DB_MAX_CONNECTIONS",
        default_value_t = 40,
        global = true
    )]
    pub db_max_connections: u32,

    /// Log format: `text` for people, `json` for log pipelines.
    #[arg(long, env = "BAZAAR_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    /// Log filter and trace export.
    #[command(flatten)]
    pub telemetry: TelemetrySettings,

    /// The Kafka relay's settings.
    #[command(flatten)]
    pub kafka: KafkaSettings,

    /// The Elasticsearch settings of search.
    #[command(flatten)]
    pub search: SearchSettings,
}

/// Settings of search; without a URL searches answer from Postgres and no
/// indexer runs.
#[derive(Debug, Clone, Args)]
pub struct SearchSettings {
    /// Elasticsearch URL (credentials in it are sent as basic auth); unset
    /// turns Elasticsearch off. Never shown by `--help`.
    #[arg(long, env = "ELASTICSEARCH_URL", hide_env_values = true, global = true)]
    pub elasticsearch_url: Option<String>,

    /// First part of every index, alias and template name.
    #[arg(
        long,
        env = "ELASTICSEARCH_INDEX_PREFIX",
        default_value = "bazaar",
        global = true
    )]
    pub elasticsearch_index_prefix: String,

    /// Replicas of each index the indexer creates (0 on a single node).
    #[arg(
        long,
        env = "ELASTICSEARCH_REPLICAS",
        default_value_t = 1,
        global = true
    )]
    pub elasticsearch_replicas: u32,
}

impl SearchSettings {
    /// The Elasticsearch settings, or `None` when no URL is configured.
    pub fn elasticsearch(&self) -> Option<EsSettings> {
        let url = self.elasticsearch_url.as_deref()?.trim();
        if url.is_empty() {
            return None;
        }
        let mut es = EsSettings::new(url);
        es.index_prefix.clone_from(&self.elasticsearch_index_prefix);
        es.replicas = self.elasticsearch_replicas;
        Some(es)
    }
}

/// What is logged and where traces go.
#[derive(Debug, Clone, Args)]
pub struct TelemetrySettings {
    /// Which logs are written, in tracing's `EnvFilter` syntax, e.g.
    /// `info` or `info,bazaar_projections=debug,sqlx=warn`.
    #[arg(long, env = "RUST_LOG", default_value = "info", global = true)]
    pub log_filter: String,

    /// Base URL of an OpenTelemetry collector's OTLP/HTTP endpoint, e.g.
    /// `http://otel-collector:4318`; spans go to its `/v1/traces`. Unset: no
    /// export. Needs a build with the `otel` cargo feature. Never shown by
    /// `--help` (a collector's URL may carry credentials).
    #[arg(
        long,
        env = "OTEL_EXPORTER_OTLP_ENDPOINT",
        hide_env_values = true,
        global = true
    )]
    pub otel_endpoint: Option<String>,

    /// `service.name` of the exported spans.
    #[arg(
        long,
        env = "OTEL_SERVICE_NAME",
        default_value = "bazaar",
        global = true
    )]
    pub otel_service_name: String,
}

/// Settings of the Kafka relay; without brokers the relay is off and
/// everything else works.
#[derive(Debug, Clone, Args)]
pub struct KafkaSettings {
    /// Bootstrap brokers (`host:port[,host:port…]`); unset turns the relay
    /// off. Not shown by `--help`, like every address of a dependency.
    #[arg(long, env = "KAFKA_BROKERS", hide_env_values = true, global = true)]
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

    /// The settings of each hot standby in `BAZAAR_READ_DATABASE_URL`, with
    /// `max_connections` connections each; empty when it is unset or blank.
    pub fn read_pgs(&self, max_connections: u32) -> Vec<PgSettings> {
        read_urls(self.read_database_url.as_deref().unwrap_or_default())
            .into_iter()
            .map(|url| PgSettings::new(url).sized(max_connections))
            .collect()
    }
}

/// The URLs of a comma-separated list, trimmed, blanks skipped (a comma
/// inside a password must be written `%2C`).
fn read_urls(list: &str) -> Vec<&str> {
    list.split(',')
        .map(str::trim)
        .filter(|url| !url.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_urls_are_split_on_commas_and_blanks_are_skipped() {
        assert_eq!(
            read_urls(" postgres://a/db , ,postgres://b:5433/db,"),
            ["postgres://a/db", "postgres://b:5433/db"]
        );
        assert!(read_urls("").is_empty());
    }
}
