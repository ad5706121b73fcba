//! How big the group commits were: counts per power-of-two size class,
//! so a benchmark can say how much batching it saw.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// Size classes: 1, 2-3, 4-7, …, 128-255, 256 and more.
const CLASSES: usize = 9;

/// Counters shared by the writer tasks.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    batches: AtomicU64,
    commands: AtomicU64,
    max: AtomicU64,
    classes: [AtomicU64; CLASSES],
}

impl Stats {
    pub(crate) fn record(&self, size: usize) {
        let size = size as u64;
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.commands.fetch_add(size, Ordering::Relaxed);
        self.max.fetch_max(size, Ordering::Relaxed);
        let class = (size.max(1).ilog2() as usize).min(CLASSES - 1);
        self.classes[class].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn sizes(&self) -> BatchSizes {
        BatchSizes {
            batches: self.batches.load(Ordering::Relaxed),
            commands: self.commands.load(Ordering::Relaxed),
            max: self.max.load(Ordering::Relaxed),
            histogram: self
                .classes
                .iter()
                .map(|c| c.load(Ordering::Relaxed))
                .collect(),
        }
    }
}

/// Batch sizes seen by a group-commit writer since it was made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BatchSizes {
    /// Statements written.
    pub batches: u64,
    /// Commands in them.
    pub commands: u64,
    /// The largest batch.
    pub max: u64,
    /// Batches per size class: `[1]`, `[2, 3]`, `[4, 7]`, … `[256, ∞)`.
    pub histogram: Vec<u64>,
}

impl BatchSizes {
    /// Commands per batch, on average.
    pub fn mean(&self) -> f64 {
        if self.batches == 0 {
            0.0
        } else {
            self.commands as f64 / self.batches as f64
        }
    }

    /// The counts since `earlier` (the maximum stays the overall one).
    pub fn since(&self, earlier: &Self) -> Self {
        Self {
            batches: self.batches - earlier.batches,
            commands: self.commands - earlier.commands,
            max: self.max,
            histogram: self
                .histogram
                .iter()
                .zip(earlier.histogram.iter().chain(std::iter::repeat(&0)))
                .map(|(now, then)| now - then)
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_fall_into_power_of_two_classes() {
        let stats = Stats::default();
        for size in [1, 2, 3, 4, 31, 32, 300] {
            stats.record(size);
        }
        let sizes = stats.sizes();
        assert_eq!(sizes.batches, 7);
        assert_eq!(sizes.commands, 373);
        assert_eq!(sizes.max, 300);
        assert_eq!(sizes.histogram, vec![1, 2, 1, 0, 1, 1, 0, 0, 1]);
    }
}
