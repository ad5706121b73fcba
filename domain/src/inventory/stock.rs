//! Handlers of the batch commands: receive, adjust, write off, restock.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use super::holds::check_quantity;
use super::ledger::{self, Ledger};
use super::moves;
use super::{
    Batch, InventoryReservation, InventoryReservationError as Error,
    InventoryReservationEvent as Event, ReleaseReason, Reservation, ReservationStatus, StockKey,
    MAX_QUANTITY,
};
use crate::ids::{BatchId, ReservationId, Sku, VendorId, WarehouseId};

type Decision = Result<Vec<Event>, Error>;

const MAX_REASON_CHARS: usize = 200;

fn check_reason(reason: &str) -> Result<(), Error> {
    if reason.trim().is_empty()
        || reason.chars().count() > MAX_REASON_CHARS
        || !crate::text::is_storable(reason)
    {
        Err(Error::InvalidReason)
    } else {
        Ok(())
    }
}

impl InventoryReservation {
    pub(super) fn receive_batch(
        &self,
        key: StockKey,
        batch: BatchId,
        quantity: u32,
        expires_on: Option<NaiveDate>,
        at: DateTime<Utc>,
    ) -> Decision {
        check_quantity(quantity)?;
        self.check_same_stock(&key.sku, &key.warehouse)?;
        self.check_owner(&key.vendor)?;
        if self.knows_batch(&batch) {
            return Err(Error::BatchAlreadyReceived { batch });
        }
        let today = at.date_naive();
        if let Some(last) = expires_on.filter(|last| today > *last) {
            return Err(Error::BatchAlreadyExpired {
                batch,
                expires_on: last,
            });
        }
        let mut scratch = Ledger::new(&self.batches);
        scratch.insert(
            batch.clone(),
            Batch {
                expires_on,
                on_hand: quantity,
                reserved: 0,
            },
        );
        let levels = scratch.levels(today, [&batch]);
        Ok(vec![Event::BatchReceived {
            sku: key.sku,
            warehouse: key.warehouse,
            vendor: key.vendor,
            batch,
            quantity,
            expires_on,
            levels,
            at,
        }])
    }

    pub(super) fn adjust(
        &self,
        batch: BatchId,
        delta: i64,
        reason: String,
        at: DateTime<Utc>,
    ) -> Decision {
        let key = self.key()?;
        check_reason(&reason)?;
        if delta == 0 || delta.unsigned_abs() > u64::from(MAX_QUANTITY) {
            return Err(Error::InvalidAdjustment { delta });
        }
        let on_hand = adjusted(&self.known_batch(&batch)?, &batch, delta)?;
        let mut scratch = self.scratch_with(&batch);
        scratch.set_on_hand(&batch, on_hand)?;
        let levels = scratch.levels(at.date_naive(), [&batch]);
        let (sku, warehouse) = (key.sku.clone(), key.warehouse.clone());
        Ok(vec![Event::StockAdjusted {
            sku,
            warehouse,
            batch,
            delta,
            reason,
            levels,
            at,
        }])
    }

    pub(super) fn write_off(&self, batch: BatchId, on: NaiveDate) -> Decision {
        let key = self.key()?;
        let current = self.known_batch(&batch)?;
        let Some(expires_on) = current.expires_on else {
            return Err(Error::BatchDoesNotPerish { batch });
        };
        if on <= expires_on {
            return Err(Error::BatchNotExpired { batch, expires_on });
        }
        if current.on_hand == 0 {
            return Err(Error::NothingToWriteOff { batch });
        }
        let at = on.and_time(NaiveTime::MIN).and_utc();
        let mut scratch = Ledger::new(&self.batches);
        let mut events = Vec::new();
        for (reservation, held) in self.holders_of(&batch) {
            events.push(free_held_units(
                key,
                &mut scratch,
                reservation.clone(),
                held,
                &batch,
                at,
            )?);
        }
        let quantity = scratch.get(&batch).map_or(0, |b| b.on_hand);
        scratch.set_on_hand(&batch, 0)?;
        let levels = scratch.levels(on, [&batch]);
        let (sku, warehouse) = (key.sku.clone(), key.warehouse.clone());
        events.push(Event::ExpiredBatchWrittenOff {
            sku,
            warehouse,
            batch,
            expires_on,
            quantity,
            levels,
            on,
        });
        Ok(events)
    }

    pub(super) fn restock(
        &self,
        batch: Option<BatchId>,
        quantity: u32,
        reason: String,
        at: DateTime<Utc>,
    ) -> Decision {
        let key = self.key()?;
        check_quantity(quantity)?;
        check_reason(&reason)?;
        let today = at.date_naive();
        let batch_inferred = batch.is_none();
        let batch = match batch {
            Some(batch) => self.unexpired(batch, today)?,
            None => self
                .earliest_unexpired(today)
                .ok_or(Error::NoBatchForReturn)?,
        };
        let on_hand = self
            .known_batch(&batch)?
            .on_hand
            .checked_add(quantity)
            .ok_or(Error::QuantityOutOfRange)?;
        let mut scratch = self.scratch_with(&batch);
        scratch.set_on_hand(&batch, on_hand)?;
        let levels = scratch.levels(today, [&batch]);
        let (sku, warehouse) = (key.sku.clone(), key.warehouse.clone());
        Ok(vec![Event::ReturnRestocked {
            sku,
            warehouse,
            batch,
            batch_inferred,
            quantity,
            reason,
            levels,
            at,
        }])
    }

    fn check_same_stock(&self, sku: &Sku, warehouse: &WarehouseId) -> Result<(), Error> {
        match &self.stock {
            Some(key) if key.sku != *sku || key.warehouse != *warehouse => {
                Err(Error::StockMismatch {
                    sku: key.sku.clone(),
                    warehouse: key.warehouse.clone(),
                })
            }
            _ => Ok(()),
        }
    }

    /// The first batch's vendor owns the stock; nobody else adds to it.
    fn check_owner(&self, vendor: &VendorId) -> Result<(), Error> {
        match &self.stock {
            Some(key) if key.vendor != *vendor => Err(Error::NotOwner {
                owner: key.vendor.clone(),
            }),
            _ => Ok(()),
        }
    }

    /// A batch by id, emptied ones included.
    fn known_batch(&self, batch: &BatchId) -> Result<Batch, Error> {
        self.batch(batch).ok_or_else(|| Error::UnknownBatch {
            batch: batch.clone(),
        })
    }

    fn unexpired(&self, batch: BatchId, today: NaiveDate) -> Result<BatchId, Error> {
        match self.known_batch(&batch)?.expires_on {
            Some(expires_on) if today > expires_on => {
                Err(Error::BatchExpired { batch, expires_on })
            }
            _ => Ok(batch),
        }
    }

    /// The unexpired batch that expires first (FEFO order), emptied ones
    /// included: a return may refill a batch that ran out.
    fn earliest_unexpired(&self, today: NaiveDate) -> Option<BatchId> {
        self.expiries()
            .filter(|(_, expires_on)| expires_on.is_none_or(|last| today <= last))
            .min_by_key(|(id, expires_on)| ledger::fefo_order(id, *expires_on))
            .map(|(id, _)| id.clone())
    }

    /// Active reservations holding units on `batch`, earliest ship date first.
    fn holders_of(&self, batch: &BatchId) -> Vec<(&ReservationId, &Reservation)> {
        let mut holders: Vec<_> = self
            .reservations
            .iter()
            .filter(|(_, r)| {
                r.status == ReservationStatus::Active
                    && r.allocations.iter().any(|a| &a.batch == batch)
            })
            .collect();
        holders.sort_by_key(|(id, r)| (r.ship_on, *id));
        holders
    }
}

/// A batch's on hand after `delta`: never below zero or below what is reserved.
fn adjusted(current: &Batch, batch: &BatchId, delta: i64) -> Result<u32, Error> {
    let on_hand = i64::from(current.on_hand) + delta;
    if on_hand < 0 {
        let on_hand = current.on_hand;
        return Err(Error::AdjustmentBelowZero {
            batch: batch.clone(),
            on_hand,
        });
    }
    if on_hand < i64::from(current.reserved) {
        let reserved = current.reserved;
        return Err(Error::AdjustmentBelowReserved {
            batch: batch.clone(),
            reserved,
        });
    }
    u32::try_from(on_hand).map_err(|_| Error::QuantityOutOfRange)
}

/// Takes a reservation's units off an expired batch: a lapsed hold expires,
/// any other moves to other eligible batches or, failing that, is released.
fn free_held_units(
    key: &StockKey,
    scratch: &mut Ledger<'_>,
    reservation: ReservationId,
    held: &Reservation,
    batch: &BatchId,
    at: DateTime<Utc>,
) -> Result<Event, Error> {
    if at >= held.expires_at {
        return moves::expired(key, scratch, held, reservation, at);
    }
    let today = at.date_naive();
    let stale = BTreeSet::from([batch.clone()]);
    match moves::reallocate(scratch, held, &stale, today)? {
        Some(moved) => Ok(moves::reallocated(
            key,
            scratch,
            reservation,
            moved,
            today,
            at,
        )),
        None => moves::released(
            key,
            scratch,
            held,
            reservation,
            ReleaseReason::BatchExpired,
            at,
        ),
    }
}
