//! What every stock event says whatever its variant: which stock, when, and
//! how its movements are labelled.

use bazaar_domain::ids::{ReservationId, Sku, WarehouseId};
use bazaar_domain::inventory::InventoryReservationEvent as E;
use chrono::{DateTime, NaiveTime, Utc};

/// The fields the tables need from any stock event.
pub(super) struct Facts<'a> {
    /// The stock's SKU.
    pub(super) sku: &'a Sku,
    /// The stock's warehouse.
    pub(super) warehouse: &'a WarehouseId,
    /// When it happened; a write-off, which carries only its date, at the
    /// start of that day (UTC), as the aggregate stamps the events it causes.
    pub(super) at: DateTime<Utc>,
    /// The `stock_movements.kind` of its batch levels; `None` for an
    /// extension, which moves no units.
    pub(super) kind: Option<&'static str>,
    /// The reservation the event is about, if any.
    pub(super) reservation: Option<&'a ReservationId>,
}

impl<'a> Facts<'a> {
    /// The facts of `event`.
    pub(super) fn of(event: &'a E) -> Self {
        let (sku, warehouse) = stock_of(event);
        Self {
            sku,
            warehouse,
            at: at_of(event),
            kind: kind_of(event),
            reservation: reservation_of(event),
        }
    }
}

fn stock_of(event: &E) -> (&Sku, &WarehouseId) {
    match event {
        E::BatchReceived { sku, warehouse, .. }
        | E::StockReserved { sku, warehouse, .. }
        | E::ReservationExtended { sku, warehouse, .. }
        | E::ReservationReallocated { sku, warehouse, .. }
        | E::ReservationCommitted { sku, warehouse, .. }
        | E::ReservationReleased { sku, warehouse, .. }
        | E::ReservationExpired { sku, warehouse, .. }
        | E::StockAdjusted { sku, warehouse, .. }
        | E::ExpiredBatchWrittenOff { sku, warehouse, .. }
        | E::ReturnRestocked { sku, warehouse, .. } => (sku, warehouse),
    }
}

fn at_of(event: &E) -> DateTime<Utc> {
    match event {
        E::ExpiredBatchWrittenOff { on, .. } => on.and_time(NaiveTime::MIN).and_utc(),
        E::BatchReceived { at, .. }
        | E::StockReserved { at, .. }
        | E::ReservationExtended { at, .. }
        | E::ReservationReallocated { at, .. }
        | E::ReservationCommitted { at, .. }
        | E::ReservationReleased { at, .. }
        | E::ReservationExpired { at, .. }
        | E::StockAdjusted { at, .. }
        | E::ReturnRestocked { at, .. } => *at,
    }
}

fn kind_of(event: &E) -> Option<&'static str> {
    let kind = match event {
        E::BatchReceived { .. } => "received",
        E::StockReserved { .. } => "reserved",
        E::ReservationExtended { .. } => return None,
        E::ReservationReallocated { .. } => "reallocated",
        E::ReservationCommitted { .. } => "committed",
        E::ReservationReleased { .. } => "released",
        E::ReservationExpired { .. } => "expired",
        E::StockAdjusted { .. } => "adjusted",
        E::ExpiredBatchWrittenOff { .. } => "written_off",
        E::ReturnRestocked { .. } => "restocked",
    };
    Some(kind)
}

fn reservation_of(event: &E) -> Option<&ReservationId> {
    match event {
        E::StockReserved { reservation, .. }
        | E::ReservationExtended { reservation, .. }
        | E::ReservationReallocated { reservation, .. }
        | E::ReservationCommitted { reservation, .. }
        | E::ReservationReleased { reservation, .. }
        | E::ReservationExpired { reservation, .. } => Some(reservation),
        E::BatchReceived { .. }
        | E::StockAdjusted { .. }
        | E::ExpiredBatchWrittenOff { .. }
        | E::ReturnRestocked { .. } => None,
    }
}
