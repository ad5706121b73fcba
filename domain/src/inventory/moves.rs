//! Moving and freeing held units: onto fresh batches when the batch they sit
//! on has expired, or back to free stock on release and expiry. Shared by the
//! commit, release, expire and write-off handlers; every step is made on a
//! scratch [`Ledger`] so one command can chain several events.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};

use super::ledger::{self, Eligibility, Ledger};
use super::{
    BatchAllocation, InventoryReservationError as Error, InventoryReservationEvent as Event,
    ReleaseReason, Reservation, StockKey,
};
use crate::ids::{BatchId, ReservationId};

/// A reservation's units moved off expired batches.
pub(super) struct Move {
    pub(super) from: Vec<BatchAllocation>,
    pub(super) to: Vec<BatchAllocation>,
    pub(super) allocations: Vec<BatchAllocation>,
}

/// Moves `held`'s units off the `stale` batches onto other batches still
/// eligible for its ship date and shelf life, FEFO. `None`, with the ledger
/// unchanged, if they cannot take all of those units.
pub(super) fn reallocate(
    scratch: &mut Ledger<'_>,
    held: &Reservation,
    stale: &BTreeSet<BatchId>,
    today: NaiveDate,
) -> Result<Option<Move>, Error> {
    let (from, kept): (Vec<_>, Vec<_>) = held
        .allocations
        .iter()
        .cloned()
        .partition(|a| stale.contains(&a.batch));
    let quantity = from.iter().map(|a| a.quantity).sum();
    let eligibility = Eligibility::new(held.ship_on, held.min_shelf_life_days, today);
    let admits = |id: &BatchId, batch: &_| !stale.contains(id) && eligibility.admits(batch);
    let Ok(to) = scratch.plan(quantity, admits) else {
        return Ok(None);
    };
    scratch.unreserve(&from)?;
    scratch.reserve(&to)?;
    let allocations = merge(kept, &to);
    Ok(Some(Move {
        from,
        to,
        allocations,
    }))
}

/// One allocation per batch, in FEFO order (ties by batch id).
fn merge(kept: Vec<BatchAllocation>, to: &[BatchAllocation]) -> Vec<BatchAllocation> {
    let mut merged: BTreeMap<BatchId, BatchAllocation> = BTreeMap::new();
    for allocation in kept.into_iter().chain(to.iter().cloned()) {
        merged
            .entry(allocation.batch.clone())
            .and_modify(|a| a.quantity += allocation.quantity)
            .or_insert(allocation);
    }
    let mut allocations: Vec<BatchAllocation> = merged.into_values().collect();
    allocations.sort_by_key(|a| (a.expires_on.is_none(), a.expires_on));
    allocations
}

/// The event of a move already made on `scratch`.
pub(super) fn reallocated(
    key: &StockKey,
    scratch: &Ledger<'_>,
    reservation: ReservationId,
    moved: Move,
    today: NaiveDate,
    at: DateTime<Utc>,
) -> Event {
    let Move {
        from,
        to,
        allocations,
    } = moved;
    let levels = scratch.levels(today, ledger::ids(&from).chain(ledger::ids(&to)));
    let (sku, warehouse) = (key.sku.clone(), key.warehouse.clone());
    Event::ReservationReallocated {
        sku,
        warehouse,
        reservation,
        from,
        to,
        allocations,
        levels,
        at,
    }
}

/// Frees an active reservation's units on `scratch` as a release.
pub(super) fn released(
    key: &StockKey,
    scratch: &mut Ledger<'_>,
    held: &Reservation,
    reservation: ReservationId,
    reason: ReleaseReason,
    at: DateTime<Utc>,
) -> Result<Event, Error> {
    let allocations = held.allocations.clone();
    scratch.unreserve(&allocations)?;
    let levels = scratch.levels(at.date_naive(), ledger::ids(&allocations));
    let (sku, warehouse, quantity) = (key.sku.clone(), key.warehouse.clone(), held.quantity);
    Ok(Event::ReservationReleased {
        sku,
        warehouse,
        reservation,
        quantity,
        allocations,
        reason,
        levels,
        at,
    })
}

/// Frees an active reservation's units on `scratch` as an expiry.
pub(super) fn expired(
    key: &StockKey,
    scratch: &mut Ledger<'_>,
    held: &Reservation,
    reservation: ReservationId,
    at: DateTime<Utc>,
) -> Result<Event, Error> {
    let allocations = held.allocations.clone();
    scratch.unreserve(&allocations)?;
    let levels = scratch.levels(at.date_naive(), ledger::ids(&allocations));
    let (sku, warehouse, quantity, expires_at) = (
        key.sku.clone(),
        key.warehouse.clone(),
        held.quantity,
        held.expires_at,
    );
    Ok(Event::ReservationExpired {
        sku,
        warehouse,
        reservation,
        quantity,
        allocations,
        expires_at,
        levels,
        at,
    })
}
