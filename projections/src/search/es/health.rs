//! The indexer's state and counters in this process: what `/health` and a
//! metrics exporter read (the metric hook), beside the logs.
//!
//! Counters only grow; a scraper turns them into rates. `parked` counts
//! documents parked by this process; the durable list is `search_parked`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;

/// Shared, cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct IndexerHealth(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    indexed: AtomicU64,
    conflicts: AtomicU64,
    retried: AtomicU64,
    parked: AtomicU64,
    failed_batches: AtomicU64,
    state: Mutex<IndexerState>,
}

/// Where the indexer is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "error", rename_all = "lowercase")]
pub enum IndexerState {
    /// Not started (or not configured).
    #[default]
    Idle,
    /// Another process indexes.
    Standby,
    /// Indexing.
    Up,
    /// Elasticsearch fails; retrying with back-off.
    Down(String),
}

/// A snapshot of the counters and the state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexerReport {
    /// Documents indexed (created or updated).
    pub indexed: u64,
    /// Items answered 409: already at this version or newer.
    pub conflicts: u64,
    /// Items sent again after 429 or 5xx.
    pub retried: u64,
    /// Documents parked after 400.
    pub parked: u64,
    /// Batches that failed and were retried from the checkpoint.
    pub failed_batches: u64,
    /// The state.
    #[serde(flatten)]
    pub state: IndexerState,
}

impl IndexerHealth {
    /// A fresh handle.
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn count(&self, indexed: u64, conflicts: u64, retried: u64, parked: u64) {
        crate::metrics::documents(indexed, conflicts, retried, parked);
        self.0.indexed.fetch_add(indexed, Ordering::Relaxed);
        self.0.conflicts.fetch_add(conflicts, Ordering::Relaxed);
        self.0.retried.fetch_add(retried, Ordering::Relaxed);
        self.0.parked.fetch_add(parked, Ordering::Relaxed);
    }

    pub(crate) fn failed(&self, error: &impl ToString) {
        crate::metrics::search_batch_failed();
        self.0.failed_batches.fetch_add(1, Ordering::Relaxed);
        self.set(IndexerState::Down(error.to_string()));
    }

    pub(crate) fn set(&self, state: IndexerState) {
        *self.0.state.lock().unwrap_or_else(PoisonError::into_inner) = state;
    }

    /// The counters and state now.
    pub fn report(&self) -> IndexerReport {
        IndexerReport {
            indexed: self.0.indexed.load(Ordering::Relaxed),
            conflicts: self.0.conflicts.load(Ordering::Relaxed),
            retried: self.0.retried.load(Ordering::Relaxed),
            parked: self.0.parked.load(Ordering::Relaxed),
            failed_batches: self.0.failed_batches.load(Ordering::Relaxed),
            state: self
                .0
                .state
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        }
    }
}
