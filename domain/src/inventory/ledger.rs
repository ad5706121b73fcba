//! Batch arithmetic for the handlers: first-expiry-first-out planning, and
//! a scratch view of the batches that the handlers change with checked
//! arithmetic before they turn the result into an event's levels. The view
//! copies only the batches a command changes; availability and FEFO order
//! come from the aggregate's own (`holding`) adjusted by those changes.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Days, NaiveDate};

use super::holding::{free, free_on, Holding};
use super::{Batch, BatchAllocation, BatchLevel, InventoryReservationError, StockLevels};
use crate::ids::BatchId;

type Batches = BTreeMap<BatchId, Batch>;
type Error = InventoryReservationError;

pub(super) use super::holding::expired;

/// FEFO order from a batch's id and last good day: earliest expiry first,
/// batches without expiry last, then id.
pub(super) fn fefo_order(
    id: &BatchId,
    expires_on: Option<NaiveDate>,
) -> (bool, Option<NaiveDate>, &BatchId) {
    (expires_on.is_none(), expires_on, id)
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

/// A scratch view of the batches that a handler changes step by step:
/// the aggregate's batches, read through, under the few this command
/// changed or added. Nothing is copied up front, so a command costs what
/// it touches, not what the stock holds.
#[derive(Debug, Clone)]
pub(super) struct Ledger<'a> {
    base: &'a Holding,
    changed: Batches,
}

impl<'a> Ledger<'a> {
    pub(super) fn new(base: &'a Holding) -> Self {
        Self {
            base,
            changed: Batches::new(),
        }
    }

    /// A batch as this command left it so far.
    pub(super) fn get(&self, id: &BatchId) -> Option<&Batch> {
        self.changed.get(id).or_else(|| self.base.get(id))
    }

    pub(super) fn insert(&mut self, id: BatchId, batch: Batch) {
        self.changed.insert(id, batch);
    }

    /// Takes `quantity` units FEFO from the free units of the batches that
    /// `admits`. All or nothing: `Err` carries the eligible free units.
    /// It stops at the last batch it needs; only a shortage reads on to
    /// count what was eligible.
    pub(super) fn plan(
        &self,
        quantity: u32,
        admits: impl Fn(&BatchId, &Batch) -> bool,
    ) -> Result<Vec<BatchAllocation>, u64> {
        let mut left = quantity;
        let mut eligible = 0u64;
        let mut allocations = Vec::new();
        for (id, batch) in self.fefo() {
            if left == 0 {
                break;
            }
            if !admits(id, batch) || free(batch) == 0 {
                continue;
            }
            eligible += u64::from(free(batch));
            let take = left.min(free(batch));
            allocations.push(BatchAllocation {
                batch: id.clone(),
                quantity: take,
                expires_on: batch.expires_on,
            });
            left -= take;
        }
        if left == 0 {
            Ok(allocations)
        } else {
            Err(eligible)
        }
    }

    /// Every batch in FEFO order, as this command left it so far: the
    /// aggregate's order with the changed batches read from `changed`, and
    /// the added ones merged in.
    fn fefo(&self) -> impl Iterator<Item = (&BatchId, &Batch)> {
        let mut added: Vec<(&BatchId, &Batch)> = self
            .changed
            .iter()
            .filter(|(id, _)| !self.base.contains(id))
            .collect();
        added.sort_by(|(a, x), (b, y)| fefo_key(a, x).cmp(&fefo_key(b, y)));
        let base = self
            .base
            .fefo()
            .map(|(id, batch)| (id, self.changed.get(id).unwrap_or(batch)));
        Merged {
            base: base.peekable(),
            added: added.into_iter().peekable(),
        }
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

    /// The batch to change, copied out of the aggregate's the first time.
    fn batch_mut(&mut self, id: &BatchId) -> Result<&mut Batch, Error> {
        if !self.changed.contains_key(id) {
            let unknown = || Error::UnknownBatch { batch: id.clone() };
            let batch = self.base.get(id).ok_or_else(unknown)?.clone();
            self.changed.insert(id.clone(), batch);
        }
        let unknown = || Error::UnknownBatch { batch: id.clone() };
        self.changed.get_mut(id).ok_or_else(unknown)
    }

    /// Availability on `on` and the levels of the batches `touched`.
    pub(super) fn levels<'t>(
        &self,
        on: NaiveDate,
        touched: impl IntoIterator<Item = &'t BatchId>,
    ) -> StockLevels {
        let ids: BTreeSet<&BatchId> = touched.into_iter().collect();
        let batches = ids
            .into_iter()
            .filter_map(|id| self.get(id).map(|batch| (id, batch)))
            .map(|(id, batch)| BatchLevel {
                batch: id.clone(),
                expires_on: batch.expires_on,
                on_hand: batch.on_hand,
                reserved: batch.reserved,
            })
            .collect();
        StockLevels {
            available: self.available(on),
            batches,
        }
    }

    /// The aggregate's availability on `on`, moved by what this command
    /// changed.
    fn available(&self, on: NaiveDate) -> u64 {
        let before: u64 = self
            .changed
            .keys()
            .filter_map(|id| self.base.get(id))
            .map(|batch| free_on(batch, on))
            .sum();
        let after: u64 = self.changed.values().map(|batch| free_on(batch, on)).sum();
        (self.base.available(on) + after).saturating_sub(before)
    }
}

/// Two FEFO-ordered runs of batches merged into one.
struct Merged<
    'a,
    B: Iterator<Item = (&'a BatchId, &'a Batch)>,
    A: Iterator<Item = (&'a BatchId, &'a Batch)>,
> {
    base: std::iter::Peekable<B>,
    added: std::iter::Peekable<A>,
}

impl<'a, B, A> Iterator for Merged<'a, B, A>
where
    B: Iterator<Item = (&'a BatchId, &'a Batch)>,
    A: Iterator<Item = (&'a BatchId, &'a Batch)>,
{
    type Item = (&'a BatchId, &'a Batch);

    fn next(&mut self) -> Option<Self::Item> {
        let added_first = match (self.base.peek(), self.added.peek()) {
            (Some((a, x)), Some((b, y))) => fefo_key(b, y) < fefo_key(a, x),
            (None, Some(_)) => true,
            _ => false,
        };
        if added_first {
            self.added.next()
        } else {
            self.base.next()
        }
    }
}

/// [`fefo_order`] of a batch.
fn fefo_key<'a>(id: &'a BatchId, batch: &Batch) -> (bool, Option<NaiveDate>, &'a BatchId) {
    fefo_order(id, batch.expires_on)
}

/// Ids of the batches in some allocations.
pub(super) fn ids(allocations: &[BatchAllocation]) -> impl Iterator<Item = &BatchId> {
    allocations.iter().map(|a| &a.batch)
}
