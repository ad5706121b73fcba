//! Writes to `stock_reservations`.

use bazaar_domain::ids::ReservationId;
use bazaar_domain::inventory::{BatchAllocation, InventoryReservationEvent as E, ReleaseReason};
use bazaar_event_store::RecordedEvent;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};
use sqlx::PgConnection;

use super::facts::Facts;
use crate::projection::ApplyError;

/// Assigns what a reservation event says about its hold; other events
/// change no hold.
pub(super) async fn assign(
    conn: &mut PgConnection,
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
        return insert(conn, facts, reservation, hold, event).await;
    }
    match change_of(payload) {
        Some((id, changed)) => change(conn, facts, id, changed, event).await,
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
/// (the checkout saga makes them unique overall); one already taken by
/// another stock cannot be keyed by id alone, so it poisons.
async fn insert(
    conn: &mut PgConnection,
    facts: &Facts<'_>,
    id: &ReservationId,
    hold: Hold<'_>,
    event: &RecordedEvent,
) -> Result<(), ApplyError> {
    let inserted: Option<i32> = sqlx::query_scalar(
        "insert into stock_reservations \
                (reservation_id, sku, warehouse_id, quantity, status, expires_at, ship_on, \
                 min_shelf_life_days, allocations, reserved_at, updated_at) \
         values ($1, $2, $3, $4, 'active', $5, $6, $7, $8, $9, $10) \
         on conflict (reservation_id) do nothing \
         returning 1",
    )
    .bind(id.as_ref())
    .bind(facts.sku.as_ref())
    .bind(facts.warehouse.as_ref())
    .bind(i64::from(hold.quantity))
    .bind(hold.expires_at)
    .bind(hold.ship_on)
    .bind(i32::try_from(hold.min_shelf_life_days).map_err(ApplyError::poison)?)
    .bind(by_batch(hold.allocations))
    .bind(facts.at)
    .bind(event.recorded_at)
    .fetch_optional(&mut *conn)
    .await?;
    if inserted.is_none() {
        return Err(ApplyError::poison(format!(
            "reservation id {id} is used by another stock"
        )));
    }
    Ok(())
}

/// Applies `change` to this stock's hold `id`.
async fn change(
    conn: &mut PgConnection,
    facts: &Facts<'_>,
    id: &ReservationId,
    change: Change<'_>,
    event: &RecordedEvent,
) -> Result<(), ApplyError> {
    let ended_at = change.status.map(|_| facts.at);
    let updated = sqlx::query(
        "update stock_reservations \
            set status = coalesce($4, status), allocations = coalesce($5, allocations), \
                expires_at = coalesce($6, expires_at), \
                release_reason = coalesce($7, release_reason), \
                ended_at = coalesce($8, ended_at), updated_at = $9 \
          where reservation_id = $1 and sku = $2 and warehouse_id = $3",
    )
    .bind(id.as_ref())
    .bind(facts.sku.as_ref())
    .bind(facts.warehouse.as_ref())
    .bind(change.status)
    .bind(change.allocations.map(by_batch))
    .bind(change.expires_at)
    .bind(change.release_reason.map(reason_name))
    .bind(ended_at)
    .bind(event.recorded_at)
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(ApplyError::poison(format!("unknown reservation {id}")));
    }
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
