//! The workers' metrics of this crate — projection batches, the Kafka
//! relay's deliveries, the Elasticsearch indexer's documents — through the
//! `metrics` facade: the process's exporter (`bazaar-api`'s
//! `http::metrics`) renders them at `/metrics`; without one they cost a
//! branch. Lag and parked documents are not counted here: they are read
//! from Postgres when scraped, so every process reports the same figures
//! whichever one does the work.

use std::time::Duration;

use metrics::{counter, describe_counter, describe_histogram, histogram, Unit};

/// Batches a projection applied.
pub const PROJECTION_BATCHES: &str = "bazaar_projection_batches_total";
/// Events those batches held.
pub const PROJECTION_EVENTS: &str = "bazaar_projection_events_total";
/// How long a batch took.
pub const PROJECTION_BATCH_SECONDS: &str = "bazaar_projection_batch_duration_seconds";
/// Batches that failed and were retried.
pub const PROJECTION_BATCH_FAILURES: &str = "bazaar_projection_batch_failures_total";
/// Events the relay delivered to Kafka.
pub const RELAY_EVENTS: &str = "bazaar_relay_events_published_total";
/// Batches the relay failed to deliver (retried from the checkpoint).
pub const RELAY_FAILURES: &str = "bazaar_relay_delivery_failures_total";
/// Documents the indexer sent, by outcome.
pub const SEARCH_DOCUMENTS: &str = "bazaar_search_indexer_documents_total";
/// Indexer batches that failed (retried from the checkpoint).
pub const SEARCH_FAILED_BATCHES: &str = "bazaar_search_indexer_failed_batches_total";

/// Registers the help texts (call once the exporter is installed).
pub fn describe() {
    describe_counter!(
        PROJECTION_BATCHES,
        Unit::Count,
        "Batches of events a projection applied"
    );
    describe_counter!(
        PROJECTION_EVENTS,
        Unit::Count,
        "Events in the batches a projection applied"
    );
    describe_histogram!(
        PROJECTION_BATCH_SECONDS,
        Unit::Seconds,
        "Time to read and apply one batch of a projection"
    );
    describe_counter!(
        PROJECTION_BATCH_FAILURES,
        Unit::Count,
        "Batches of a projection that failed and were retried"
    );
    describe_counter!(
        RELAY_EVENTS,
        Unit::Count,
        "Events the Kafka relay delivered"
    );
    describe_counter!(
        RELAY_FAILURES,
        Unit::Count,
        "Kafka relay batches (or broker probes) that failed; retried from the checkpoint"
    );
    describe_counter!(
        SEARCH_DOCUMENTS,
        Unit::Count,
        "Documents the Elasticsearch indexer sent: indexed, conflict (already newer), retried, parked"
    );
    describe_counter!(
        SEARCH_FAILED_BATCHES,
        Unit::Count,
        "Elasticsearch indexer batches that failed; retried from the checkpoint"
    );
}

/// Counts a batch of `events` applied by `projection` in `took`.
pub(crate) fn batch(projection: &'static str, events: usize, took: Duration) {
    counter!(PROJECTION_BATCHES, "projection" => projection).increment(1);
    counter!(PROJECTION_EVENTS, "projection" => projection).increment(events as u64);
    histogram!(PROJECTION_BATCH_SECONDS, "projection" => projection).record(took.as_secs_f64());
}

/// Counts a failed batch of `projection`.
pub(crate) fn batch_failed(projection: &'static str) {
    counter!(PROJECTION_BATCH_FAILURES, "projection" => projection).increment(1);
}

/// Counts `events` delivered by the relay.
#[cfg(feature = "kafka")]
pub(crate) fn relayed(events: usize) {
    counter!(RELAY_EVENTS).increment(events as u64);
}

/// Counts a failed relay batch or probe.
#[cfg(feature = "kafka")]
pub(crate) fn relay_failed() {
    counter!(RELAY_FAILURES).increment(1);
}

/// Counts documents the indexer sent, by outcome.
pub(crate) fn documents(indexed: u64, conflicts: u64, retried: u64, parked: u64) {
    for (outcome, n) in [
        ("indexed", indexed),
        ("conflict", conflicts),
        ("retried", retried),
        ("parked", parked),
    ] {
        counter!(SEARCH_DOCUMENTS, "outcome" => outcome).increment(n);
    }
}

/// Counts a failed indexer batch.
pub(crate) fn search_batch_failed() {
    counter!(SEARCH_FAILED_BATCHES).increment(1);
}
