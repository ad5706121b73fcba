//! Batch arithmetic for the handlers: availability, first-expiry-first-out
//! planning, and a scratch copy of the batches that the handlers change with
//! checked arithmetic before they turn the result into an event's levels.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Days, NaiveDate};

use super::{Batch, BatchAllocation, BatchLevel, InventoryReservationError, StockLevels};
use crate::ids::BatchId;

type Batches = BTreeMap<BatchId, Batch>;
type Error = InventoryReservationError;

/// True once `on` is past the batch's last good day.
pub(super) fn expired(batch: &Batch, on: NaiveDate) -> bool {
    batch.expires_on.is_some_and(|last| on > last)
}

/// Σ over batches unexpired on `on` of (on hand - reserved).
pub(super) fn available(batches: &Batches, on: NaiveDate) -> u64 {
    let free = batches.values().filter(|b| !expired(b, on)).map(free);
    free.map(u64::from).sum()
}

fn free(batch: &Batch) -> u32 {
    batch.on_hand.saturating_sub(batch.reserved)
}

/// FEFO order: earliest expiry first, batches without expiry last, then id.
fn fefo_key<'a>(id: &'a BatchId, batch: &Batch) -> (bool, Option<NaiveDate>, &'a BatchId) {
    fefo_order(id, batch.expires_on)
}

/// [`fefo_key`] from a batch's id and last good day.
pub(super) fn fefo_order(
    id: &BatchId,
    expires_on: Option<NaiveDate>,
) -> (bool, Option<NaiveDate>, &BatchId) {
    (expires_on.is_none(), expires_on, id)
}

/// Batches in FEFO order.
pub(super) fn fefo(batches: &Batches) -> Vec<(&BatchId, &Batch)> {
    let mut order: Vec<_> = batches.iter().collect();
    order.sort_by(|(a, x), (b, y)| fefo_key(a, x).cmp(&fefo_key(b, y)));
    order
}

/// Which batches may serve a reservation: those that last at least until
/// `max(ship_on, today) + min_shelf_life_days`.
pub(super) struct Eligibility {
    /// `None` when that date is beyond the calendar: only goods that do not
    /// perish qualify.
    last_good_day_at_least: Option<NaiveDate>,
}

impl Eligibility {
    pub(super) fn new(ship_on: NaiveDate, min_shelf_life_days: u32, today: NaiveDate) -> Self {
        let from = ship_on.max(today);
        let last_good_day_at_least =
            from.checked_add_days(Days::new(u64::from(min_shelf_life_days)));
        Self {
            last_good_day_at_least,
        }
    }

    pub(super) fn admits(&self, batch: &Batch) -> bool {
        match (batch.expires_on, self.last_good_day_at_least) {
            (None, _) => true,
            (Some(last), Some(needed)) => last >= needed,
            (Some(_), None) => false,
        }
    }
}

/// Takes `quantity` units FEFO from the free units of the batches that
/// `admits`. All or nothing: `Err` carries the eligible free units.
pub(super) fn plan(
    batches: &Batches,
    quantity: u32,
    admits: impl Fn(&BatchId, &Batch) -> bool,
) -> Result<Vec<BatchAllocation>, u64> {
    let mut left = quantity;
    let mut eligible = 0u64;
    let mut allocations = Vec::new();
    for (id, batch) in fefo(batches) {
        if !admits(id, batch) || free(batch) == 0 {
            continue;
        }
        eligible += u64::from(free(batch));
        let take = left.min(free(batch));
        if take > 0 {
            let expires_on = batch.expires_on;
            allocations.push(BatchAllocation {
                batch: id.clone(),
                quantity: take,
                expires_on,
            });
            left -= take;
        }
    }
    if left == 0 {
        Ok(allocations)
    } else {
        Err(eligible)
    }
}

/// A scratch copy of the batches that a handler changes step by step.
#[derive(Debug, Clone)]
pub(super) struct Ledger {
    batches: Batches,
}

impl Ledger {
    pub(super) fn new(batches: &Batches) -> Self {
        Self {
            batches: batches.clone(),
        }
    }

    pub(super) fn batches(&self) -> &Batches {
        &self.batches
    }

    pub(super) fn insert(&mut self, id: BatchId, batch: Batch) {
        self.batches.insert(id, batch);
    }

    /// Holds the allocated units; each must be free.
    pub(super) fn reserve(&mut self, allocations: &[BatchAllocation]) -> Result<(), Error> {
        self.each(allocations, |batch, quantity| {
            let reserved = batch
                .reserved
                .checked_add(quantity)
                .filter(|r| *r <= batch.on_hand);
            batch.reserved = reserved.ok_or(Error::QuantityOutOfRange)?;
            Ok(())
        })
    }

    /// Frees the allocated units.
    pub(super) fn unreserve(&mut self, allocations: &[BatchAllocation]) -> Result<(), Error> {
        self.each(allocations, |batch, quantity| {
            batch.reserved = batch
                .reserved
                .checked_sub(quantity)
                .ok_or(Error::QuantityOutOfRange)?;
            Ok(())
        })
    }

    /// The allocated units leave: out of reserved and out of on hand.
    pub(super) fn ship(&mut self, allocations: &[BatchAllocation]) -> Result<(), Error> {
        self.unreserve(allocations)?;
        self.each(allocations, |batch, quantity| {
            batch.on_hand = batch
                .on_hand
                .checked_sub(quantity)
                .ok_or(Error::QuantityOutOfRange)?;
            Ok(())
        })
    }

    /// Sets a batch's on hand; never below what is reserved.
    pub(super) fn set_on_hand(&mut self, id: &BatchId, on_hand: u32) -> Result<(), Error> {
        let batch = self.batch_mut(id)?;
        if on_hand < batch.reserved {
            return Err(Error::QuantityOutOfRange);
        }
        batch.on_hand = on_hand;
        Ok(())
    }

    fn each(
        &mut self,
        allocations: &[BatchAllocation],
        mut change: impl FnMut(&mut Batch, u32) -> Result<(), Error>,
    ) -> Result<(), Error> {
        for allocation in allocations {
            change(self.batch_mut(&allocation.batch)?, allocation.quantity)?;
        }
        Ok(())
    }

    fn batch_mut(&mut self, id: &BatchId) -> Result<&mut Batch, Error> {
        let batch = id.clone();
        self.batches
            .get_mut(id)
            .ok_or(Error::UnknownBatch { batch })
    }

    /// Availability on `on` and the levels of the batches `touched`.
    pub(super) fn levels<'a>(
        &self,
        on: NaiveDate,
        touched: impl IntoIterator<Item = &'a BatchId>,
    ) -> StockLevels {
        let ids: BTreeSet<&BatchId> = touched.into_iter().collect();
        let batches = ids
            .into_iter()
            .filter_map(|id| self.batches.get_key_value(id))
            .map(|(id, batch)| BatchLevel {
                batch: id.clone(),
                expires_on: batch.expires_on,
                on_hand: batch.on_hand,
                reserved: batch.reserved,
            })
            .collect();
        StockLevels {
            available: available(&self.batches, on),
            batches,
        }
    }
}

/// Ids of the batches in some allocations.
pub(super) fn ids(allocations: &[BatchAllocation]) -> impl Iterator<Item = &BatchId> {
    allocations.iter().map(|a| &a.batch)
}
