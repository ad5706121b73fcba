//! Handlers of the reservation commands: reserve, extend, commit, release,
//! expire.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};

use super::ledger::{self, Eligibility, Ledger};
use super::moves::{self, Move};
use super::{
    InventoryReservation, InventoryReservationError as Error, InventoryReservationEvent as Event,
    ReleaseReason, Reservation, ReservationStatus, MAX_QUANTITY,
};
use crate::ids::{BatchId, ReservationId};

type Decision = Result<Vec<Event>, Error>;

pub(super) fn check_quantity(quantity: u32) -> Result<(), Error> {
    if (1..=MAX_QUANTITY).contains(&quantity) {
        Ok(())
    } else {
        Err(Error::InvalidQuantity { quantity })
    }
}

impl InventoryReservation {
    pub(super) fn reserve(
        &self,
        reservation: ReservationId,
        quantity: u32,
        expires_at: DateTime<Utc>,
        ship_on: NaiveDate,
        min_shelf_life_days: u32,
        at: DateTime<Utc>,
    ) -> Decision {
        check_quantity(quantity)?;
        if expires_at <= at {
            return Err(Error::HoldExpiryNotInFuture { expires_at });
        }
        if self.reservations.contains_key(&reservation) {
            return Err(Error::ReservationAlreadyExists { reservation });
        }
        let today = at.date_naive();
        let eligibility = Eligibility::new(ship_on, min_shelf_life_days, today);
        let mut scratch = Ledger::new(&self.batches);
        let allocations = scratch
            .plan(quantity, |_, b| eligibility.admits(b))
            .map_err(|available| Error::InsufficientStock {
                requested: quantity,
                available,
            })?;
        let key = self.key()?;
        scratch.reserve(&allocations)?;
        let levels = scratch.levels(today, ledger::ids(&allocations));
        let (sku, warehouse) = (key.sku.clone(), key.warehouse.clone());
        Ok(vec![Event::StockReserved {
            sku,
            warehouse,
            reservation,
            quantity,
            allocations,
            expires_at,
            ship_on,
            min_shelf_life_days,
            levels,
            at,
        }])
    }

    pub(super) fn extend(
        &self,
        reservation: ReservationId,
        expires_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Decision {
        let key = self.key()?;
        let held = self.active(&reservation, at)?;
        if expires_at <= at {
            return Err(Error::HoldExpiryNotInFuture { expires_at });
        }
        let previous_expires_at = held.expires_at;
        if expires_at < previous_expires_at {
            return Err(Error::NotAnExtension {
                reservation,
                expires_at: previous_expires_at,
            });
        }
        if expires_at == previous_expires_at {
            return Ok(vec![]);
        }
        let (sku, warehouse) = (key.sku.clone(), key.warehouse.clone());
        Ok(vec![Event::ReservationExtended {
            sku,
            warehouse,
            reservation,
            previous_expires_at,
            expires_at,
            at,
        }])
    }

    pub(super) fn commit(&self, reservation: ReservationId, at: DateTime<Utc>) -> Decision {
        let key = self.key()?;
        if self.status(&reservation)? == ReservationStatus::Committed {
            return Ok(vec![]);
        }
        let held = self.active(&reservation, at)?;
        let today = at.date_naive();
        let mut scratch = Ledger::new(&self.batches);
        let mut events = Vec::new();
        let mut allocations = held.allocations.clone();
        if let Some(moved) = self.move_off_expired(&mut scratch, &reservation, held, today)? {
            allocations = moved.allocations.clone();
            let id = reservation.clone();
            events.push(moves::reallocated(key, &scratch, id, moved, today, at));
        }
        scratch.ship(&allocations)?;
        let levels = scratch.levels(today, ledger::ids(&allocations));
        let (sku, warehouse, quantity) = (key.sku.clone(), key.warehouse.clone(), held.quantity);
        events.push(Event::ReservationCommitted {
            sku,
            warehouse,
            reservation,
            quantity,
            allocations,
            levels,
            at,
        });
        Ok(events)
    }

    /// Before goods leave, moves the held units off batches that expired by
    /// `today`; `None` if none did.
    fn move_off_expired(
        &self,
        scratch: &mut Ledger<'_>,
        reservation: &ReservationId,
        held: &Reservation,
        today: NaiveDate,
    ) -> Result<Option<Move>, Error> {
        let is_stale = |id: &BatchId| self.batch(id).is_some_and(|b| ledger::expired(&b, today));
        let stale: BTreeSet<BatchId> = ledger::ids(&held.allocations)
            .filter(|id| is_stale(id))
            .cloned()
            .collect();
        let Some(batch) = stale.first() else {
            return Ok(None);
        };
        let moved = moves::reallocate(scratch, held, &stale, today)?;
        let expired = || Error::AllocatedBatchExpired {
            reservation: reservation.clone(),
            batch: batch.clone(),
        };
        moved.map(Some).ok_or_else(expired)
    }

    pub(super) fn release(
        &self,
        reservation: ReservationId,
        reason: ReleaseReason,
        at: DateTime<Utc>,
    ) -> Decision {
        let key = self.key()?;
        match self.status(&reservation)? {
            ReservationStatus::Released | ReservationStatus::Expired => return Ok(vec![]),
            ReservationStatus::Committed => {
                return Err(Error::ReservationCommitted { reservation })
            }
            ReservationStatus::Active => {}
        }
        let mut scratch = Ledger::new(&self.batches);
        Ok(vec![moves::released(
            key,
            &mut scratch,
            self.held(&reservation)?,
            reservation,
            reason,
            at,
        )?])
    }

    pub(super) fn expire(&self, reservation: ReservationId, at: DateTime<Utc>) -> Decision {
        let key = self.key()?;
        let status = self.status(&reservation)?;
        if status != ReservationStatus::Active {
            return Err(Error::ReservationNotActive {
                reservation,
                status,
            });
        }
        let held = self.held(&reservation)?;
        if at < held.expires_at {
            return Err(Error::TooEarly {
                reservation,
                expires_at: held.expires_at,
            });
        }
        let mut scratch = Ledger::new(&self.batches);
        Ok(vec![moves::expired(
            key,
            &mut scratch,
            held,
            reservation,
            at,
        )?])
    }

    fn held(&self, reservation: &ReservationId) -> Result<&Reservation, Error> {
        let unknown = || Error::UnknownReservation {
            reservation: reservation.clone(),
        };
        self.reservations.get(reservation).ok_or_else(unknown)
    }

    fn status(&self, reservation: &ReservationId) -> Result<ReservationStatus, Error> {
        Ok(self.held(reservation)?.status)
    }

    /// The reservation if its hold is still running at `at`.
    fn active(
        &self,
        reservation: &ReservationId,
        at: DateTime<Utc>,
    ) -> Result<&Reservation, Error> {
        let held = self.held(reservation)?;
        let reservation = reservation.clone();
        match held.status {
            ReservationStatus::Committed => Err(Error::ReservationCommitted { reservation }),
            ReservationStatus::Released => Err(Error::ReservationReleased { reservation }),
            ReservationStatus::Active if at < held.expires_at => Ok(held),
            ReservationStatus::Active | ReservationStatus::Expired => {
                Err(Error::ReservationExpired {
                    reservation,
                    expires_at: held.expires_at,
                })
            }
        }
    }
}
