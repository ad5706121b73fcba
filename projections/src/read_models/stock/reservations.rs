//! `stock_reservations` of a batch, in memory: each event changes its
//! hold as its one-row statement did.

use bazaar_domain::ids::ReservationId;
use bazaar_domain::inventory::{BatchAllocation, InventoryReservationEvent as E, ReleaseReason};
use bazaar_event_store::RecordedEvent;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};

use super::facts::Facts;
use super::rows::{HoldRow, Rows};
use crate::projection::ApplyError;

/// Assigns what a reservation event says about its hold; other events
/// change no hold.
pub(super) fn assign(
    rows: &mut Rows,
    facts: &Facts<'_>,
    payload: &E,
    event: &RecordedEvent,
) -> Result<(), ApplyError> {
    if let E::StockReserved {
        reservation,
        quantity,
        allocations,
        expires_at,
        ship_on,
        min_shelf_life_days,
        ..
    } = payload
    {
        let hold = Hold {
            quantity: *quantity,
            allocations,
            expires_at: *expires_at,
            ship_on: *ship_on,
            min_shelf_life_days: *min_shelf_life_days,
        };
        return insert(rows, facts, reservation, hold, event);
    }
    match change_of(payload) {
        Some((id, changed)) => change(rows, facts, id, changed, event),
        None => Ok(()),
    }
}

/// The hold an event changes and how.
fn change_of(payload: &E) -> Option<(&ReservationId, Change<'_>)> {
    let changed = match payload {
        E::ReservationExtended {
            reservation,
            expires_at,
            ..
        } => (reservation, Change::extended(*expires_at)),
        E::ReservationReallocated {
            reservation,
            allocations,
            ..
        } => (reservation, Change::moved(allocations)),
        E::ReservationCommitted {
            reservation,
            allocations,
            ..
        } => (reservation, Change::ended("committed", allocations)),
        E::ReservationReleased {
            reservation,
            allocations,
            reason,
            ..
        } => (
            reservation,
            Change::ended("released", allocations).because(*reason),
        ),
        E::ReservationExpired {
            reservation,
            allocations,
            expires_at,
            ..
        } => (
            reservation,
            Change::ended("expired", allocations).lapsed(*expires_at),
        ),
        _ => return None,
    };
    Some(changed)
}

/// A new hold, as `StockReserved` carries it.
struct Hold<'a> {
    /// Units held.
    quantity: u32,
    /// Where they are held.
    allocations: &'a [BatchAllocation],
    /// When the hold lapses.
    expires_at: DateTime<Utc>,
    /// When the goods are to ship.
    ship_on: NaiveDate,
    /// Shelf life the goods must have left on `ship_on`.
    min_shelf_life_days: u32,
}

/// What a later event changes on a hold; `None` keeps the column.
#[derive(Default)]
struct Change<'a> {
    /// The new status; `ended_at` is set with it.
    status: Option<&'static str>,
    /// The hold's whole allocation afterwards.
    allocations: Option<&'a [BatchAllocation]>,
    /// The new lapse time.
    expires_at: Option<DateTime<Utc>>,
    /// Why it was released.
    release_reason: Option<ReleaseReason>,
}

impl<'a> Change<'a> {
    fn extended(expires_at: DateTime<Utc>) -> Self {
        let expires_at = Some(expires_at);
        Self {
            expires_at,
            ..Self::default()
        }
    }

    fn moved(allocations: &'a [BatchAllocation]) -> Self {
        let allocations = Some(allocations);
        Self {
            allocations,
            ..Self::default()
        }
    }

    fn ended(status: &'static str, allocations: &'a [BatchAllocation]) -> Self {
        let status = Some(status);
        Self {
            status,
            ..Self::moved(allocations)
        }
    }

    fn because(self, reason: ReleaseReason) -> Self {
        let release_reason = Some(reason);
        Self {
            release_reason,
            ..self
        }
    }

    fn lapsed(self, expires_at: DateTime<Utc>) -> Self {
        let expires_at = Some(expires_at);
        Self { expires_at, ..self }
    }
}

/// Inserts a new hold. Reservation ids are unique per stock in the domain
/// (the checkout saga makes them unique overall); one already taken (by
/// another stock) cannot be keyed by id alone, so it poisons.
fn insert(
    rows: &mut Rows,
    facts: &Facts<'_>,
    id: &ReservationId,
    hold: Hold<'_>,
    event: &RecordedEvent,
) -> Result<(), ApplyError> {
    let key = id.to_string();
    if rows.holds.get(&key).is_some() {
        return Err(ApplyError::poison(format!(
            "reservation id {id} is used by another stock"
        )));
    }
    let row = HoldRow {
        reservation_id: key.clone(),
        sku: facts.sku.to_string(),
        warehouse_id: facts.warehouse.to_string(),
        quantity: i64::from(hold.quantity),
        status: "active".to_owned(),
        expires_at: hold.expires_at,
        ship_on: hold.ship_on,
        min_shelf_life_days: i32::try_from(hold.min_shelf_life_days).map_err(ApplyError::poison)?,
        allocations: by_batch(hold.allocations),
        release_reason: None,
        reserved_at: facts.at,
        ended_at: None,
        updated_at: event.recorded_at,
    };
    rows.holds.insert(key, row);
    Ok(())
}

/// Applies `change` to this stock's hold `id`.
fn change(
    rows: &mut Rows,
    facts: &Facts<'_>,
    id: &ReservationId,
    change: Change<'_>,
    event: &RecordedEvent,
) -> Result<(), ApplyError> {
    let key = id.to_string();
    let ours = rows.holds.get(&key).is_some_and(|row| {
        row.sku == facts.sku.as_ref() && row.warehouse_id == facts.warehouse.as_ref()
    });
    let row = match rows.holds.get_mut(&key) {
        Some(row) if ours => row,
        _ => return Err(ApplyError::poison(format!("unknown reservation {id}"))),
    };
    if let Some(status) = change.status {
        row.status = status.to_owned();
        row.ended_at = Some(facts.at);
    }
    if let Some(allocations) = change.allocations {
        row.allocations = by_batch(allocations);
    }
    if let Some(expires_at) = change.expires_at {
        row.expires_at = expires_at;
    }
    if let Some(reason) = change.release_reason {
        row.release_reason = Some(reason_name(reason).to_owned());
    }
    row.updated_at = event.recorded_at;
    Ok(())
}

/// `{"<batch>": units, ...}`.
fn by_batch(allocations: &[BatchAllocation]) -> Value {
    let mut units: Map<String, Value> = Map::new();
    for allocation in allocations {
        let held = units.get(allocation.batch.as_ref()).and_then(Value::as_u64);
        let total = held.unwrap_or(0) + u64::from(allocation.quantity);
        units.insert(allocation.batch.to_string(), Value::from(total));
    }
    Value::Object(units)
}

fn reason_name(reason: ReleaseReason) -> &'static str {
    match reason {
        ReleaseReason::OrderCancelled => "order_cancelled",
        ReleaseReason::PaymentExpired => "payment_expired",
        ReleaseReason::OrderRejected => "order_rejected",
        ReleaseReason::BatchExpired => "batch_expired",
    }
}
