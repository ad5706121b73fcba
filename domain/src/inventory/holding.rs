//! The batches that hold units, with the two orders the rules read kept
//! beside them, so that no decision walks every batch of a long-lived
//! stock: the free units per last good day (availability is a sum over the
//! days still good, not over the batches) and the FEFO order (a
//! reservation takes the first batches it needs, then stops).
//!
//! Both are derived from the batches alone: they are rebuilt when a
//! snapshot is read and never stored, so a snapshot holds exactly the map
//! of batches it held before they existed.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Batch;
use crate::ids::BatchId;

/// Where a batch stands in FEFO order: earliest expiry first, batches
/// without expiry last, then by id.
pub(super) type FefoKey = (bool, Option<NaiveDate>, BatchId);

/// A batch's FEFO key.
pub(super) fn fefo_key(id: &BatchId, expires_on: Option<NaiveDate>) -> FefoKey {
    (expires_on.is_none(), expires_on, id.clone())
}

/// Units of `batch` not promised to a hold.
pub(super) fn free(batch: &Batch) -> u32 {
    batch.on_hand.saturating_sub(batch.reserved)
}

/// True once `on` is past the batch's last good day.
pub(super) fn expired(batch: &Batch, on: NaiveDate) -> bool {
    batch.expires_on.is_some_and(|last| on > last)
}

/// The free units of `batch` that can still be sold on `on`.
pub(super) fn free_on(batch: &Batch, on: NaiveDate) -> u64 {
    if expired(batch, on) {
        0
    } else {
        u64::from(free(batch))
    }
}

/// The batches holding units, by id, with their FEFO order and their free
/// units per last good day.
#[derive(Debug, Clone, Default)]
pub(super) struct Holding {
    batches: BTreeMap<BatchId, Batch>,
    fefo: BTreeSet<FefoKey>,
    /// Σ free units of the batches with that last good day (no zero sums).
    free_by_expiry: BTreeMap<Option<NaiveDate>, u64>,
}

impl Holding {
    /// The batches, by id.
    pub(super) fn map(&self) -> &BTreeMap<BatchId, Batch> {
        &self.batches
    }

    pub(super) fn get(&self, id: &BatchId) -> Option<&Batch> {
        self.batches.get(id)
    }

    pub(super) fn contains(&self, id: &BatchId) -> bool {
        self.batches.contains_key(id)
    }

    /// Adds or replaces a batch (its last good day never changes).
    pub(super) fn insert(&mut self, id: BatchId, batch: Batch) {
        self.remove(&id);
        self.fefo.insert(fefo_key(&id, batch.expires_on));
        self.add_free(batch.expires_on, free(&batch));
        self.batches.insert(id, batch);
    }

    pub(super) fn remove(&mut self, id: &BatchId) -> Option<Batch> {
        let batch = self.batches.remove(id)?;
        self.fefo.remove(&fefo_key(id, batch.expires_on));
        self.take_free(batch.expires_on, free(&batch));
        Some(batch)
    }

    fn add_free(&mut self, expires_on: Option<NaiveDate>, units: u32) {
        if units > 0 {
            *self.free_by_expiry.entry(expires_on).or_default() += u64::from(units);
        }
    }

    fn take_free(&mut self, expires_on: Option<NaiveDate>, units: u32) {
        let Some(sum) = self.free_by_expiry.get_mut(&expires_on) else {
            return;
        };
        *sum = sum.saturating_sub(u64::from(units));
        if *sum == 0 {
            self.free_by_expiry.remove(&expires_on);
        }
    }

    /// Σ over batches unexpired on `on` of (on hand - reserved): a sum over
    /// the last good days from `on` on, and the batches that do not perish.
    pub(super) fn available(&self, on: NaiveDate) -> u64 {
        let lasting = self.free_by_expiry.get(&None).copied().unwrap_or(0);
        let good = self
            .free_by_expiry
            .range(Some(on)..)
            .map(|(_, units)| units);
        lasting + good.sum::<u64>()
    }

    /// The batches in FEFO order.
    pub(super) fn fefo(&self) -> impl Iterator<Item = (&BatchId, &Batch)> {
        self.fefo
            .iter()
            .filter_map(|(_, _, id)| self.batches.get_key_value(id))
    }
}

impl PartialEq for Holding {
    /// The batches decide; the orders are derived from them.
    fn eq(&self, other: &Self) -> bool {
        self.batches == other.batches
    }
}

impl From<BTreeMap<BatchId, Batch>> for Holding {
    fn from(batches: BTreeMap<BatchId, Batch>) -> Self {
        let mut holding = Self::default();
        for (id, batch) in batches {
            holding.insert(id, batch);
        }
        holding
    }
}

/// Stored as the map of batches alone, as before the orders existed.
impl Serialize for Holding {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.batches.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Holding {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        BTreeMap::<BatchId, Batch>::deserialize(deserializer).map(Self::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    fn id(name: &str) -> BatchId {
        BatchId::parse(name).unwrap()
    }

    fn batch(expires: Option<u32>, on_hand: u32, reserved: u32) -> Batch {
        Batch {
            expires_on: expires.map(day),
            on_hand,
            reserved,
        }
    }

    /// The orders recomputed from the batches, the slow way.
    fn check(holding: &Holding) {
        for on in 1..=12 {
            let slow: u64 = holding.map().values().map(|b| free_on(b, day(on))).sum();
            assert_eq!(holding.available(day(on)), slow, "on day {on}");
        }
        let mut slow: Vec<_> = holding.map().iter().collect();
        slow.sort_by_key(|(id, b)| fefo_key(id, b.expires_on));
        assert_eq!(holding.fefo().collect::<Vec<_>>(), slow);
    }

    #[test]
    fn the_orders_follow_every_change_and_a_round_trip() {
        let mut holding = Holding::default();
        holding.insert(id("b"), batch(Some(5), 4, 1));
        holding.insert(id("a"), batch(Some(5), 2, 0));
        holding.insert(id("n"), batch(None, 7, 7));
        holding.insert(id("c"), batch(Some(3), 1, 0));
        check(&holding);
        holding.insert(id("b"), batch(Some(5), 4, 4));
        holding.insert(id("n"), batch(None, 7, 2));
        check(&holding);
        holding.remove(&id("a"));
        check(&holding);
        let json = serde_json::to_value(&holding).unwrap();
        assert!(json.get("b").is_some(), "stored as the map of batches");
        let read: Holding = serde_json::from_value(json).unwrap();
        assert_eq!(read, holding);
        check(&read);
        assert_eq!(read.free_by_expiry, holding.free_by_expiry);
    }
}
