//! `stock_levels`, `stock_batches` and `stock_movements` of a batch, in
//! memory: each event changes them as its one-row statements did.

use bazaar_domain::ids::{BatchId, VendorId};
use bazaar_domain::inventory::{BatchLevel, InventoryReservationEvent as E, StockLevels};
use bazaar_event_store::RecordedEvent;
use chrono::NaiveDate;

use super::facts::Facts;
use super::rows::{BatchKey, BatchRow, LevelRow, MovementRow, Rows, StockKey};
use crate::projection::ApplyError;

/// The stock's key.
pub(super) fn key(facts: &Facts<'_>) -> StockKey {
    (facts.sku.to_string(), facts.warehouse.to_string())
}

/// Takes the event's sequence for its stock: `false` if the stock's row
/// already holds this sequence or a later one (a replay), so nothing else
/// is written. A second stream writing the same SKU and warehouse would
/// make the sequence guard meaningless, so it poisons.
pub(super) fn claim(
    rows: &mut Rows,
    facts: &Facts<'_>,
    event: &RecordedEvent,
) -> Result<bool, ApplyError> {
    let key = key(facts);
    let Some(row) = rows.levels.get(&key) else {
        let row = LevelRow {
            sku: key.0.clone(),
            warehouse_id: key.1.clone(),
            stock_id: event.aggregate_id.clone(),
            vendor_id: None,
            available: 0,
            on_hand: 0,
            reserved: 0,
            batches: 0,
            as_of: facts.at,
            last_sequence: event.sequence,
            updated_at: event.recorded_at,
        };
        rows.levels.insert(key, row);
        return Ok(true);
    };
    if row.stock_id != event.aggregate_id {
        return Err(ApplyError::poison(format!(
            "stock {}@{} is already written by stream {}",
            facts.sku, facts.warehouse, row.stock_id
        )));
    }
    if row.last_sequence >= event.sequence {
        return Ok(false);
    }
    if let Some(row) = rows.levels.get_mut(&key) {
        row.last_sequence = event.sequence;
        row.updated_at = event.recorded_at;
    }
    Ok(true)
}

/// The batches `payload` names: those whose levels it carries, and the
/// one it receives or writes off. A batch loads only these rows of its
/// stocks.
pub(super) fn batch_keys(facts: &Facts<'_>, payload: &E) -> Vec<BatchKey> {
    let carried = payload.levels().into_iter().flat_map(|l| &l.batches);
    let named = match payload {
        E::BatchReceived { batch, .. } | E::ExpiredBatchWrittenOff { batch, .. } => Some(batch),
        _ => None,
    };
    carried
        .map(|level| &level.batch)
        .chain(named)
        .map(|batch| batch_key(facts, batch))
        .collect()
}

fn batch_key(facts: &Facts<'_>, batch: &BatchId) -> BatchKey {
    let (sku, warehouse) = key(facts);
    (sku, warehouse, batch.to_string())
}

/// Assigns the levels an event carries: each touched batch's absolute
/// levels (with one movement row each), then the stock's availability; its
/// totals over its batches change by what each batch changed by (the
/// stock's row holds the sums over all its batches, the batch only the
/// rows of the batches it names).
pub(super) fn assign(
    rows: &mut Rows,
    facts: &Facts<'_>,
    levels: &StockLevels,
    event: &RecordedEvent,
) -> Result<(), ApplyError> {
    let mut by = Totals::default();
    for level in &levels.batches {
        by.add(batch_level(rows, facts, level, event)?);
    }
    let available = i64::try_from(levels.available).map_err(ApplyError::poison)?;
    if let Some(row) = rows.levels.get_mut(&key(facts)) {
        row.available = available;
        row.as_of = facts.at;
        row.on_hand += by.on_hand;
        row.reserved += by.reserved;
        row.batches += by.batches;
    }
    Ok(())
}

/// What a stock's totals change by.
#[derive(Debug, Default, Clone, Copy)]
struct Totals {
    on_hand: i64,
    reserved: i64,
    batches: i32,
}

impl Totals {
    fn add(&mut self, other: Totals) {
        self.on_hand += other.on_hand;
        self.reserved += other.reserved;
        self.batches += other.batches;
    }
}

/// Sets one batch's levels and records the movement: the difference
/// between the levels before (none: zero) and after, which is also what
/// the stock's totals change by.
fn batch_level(
    rows: &mut Rows,
    facts: &Facts<'_>,
    level: &BatchLevel,
    event: &RecordedEvent,
) -> Result<Totals, ApplyError> {
    let kind = facts
        .kind
        .ok_or_else(|| ApplyError::poison("levels on an event that moves no units"))?;
    let key = batch_key(facts, &level.batch);
    let (on_hand, reserved) = (i64::from(level.on_hand), i64::from(level.reserved));
    let (before, new) = match rows.batches.get_mut(&key) {
        Some(row) => {
            let before = (row.on_hand, row.reserved);
            row.expires_on = level.expires_on;
            row.on_hand = on_hand;
            row.reserved = reserved;
            row.updated_at = event.recorded_at;
            (before, 0)
        }
        None => {
            rows.batches
                .insert(key.clone(), new_batch(&key, level, event));
            ((0, 0), 1)
        }
    };
    let by = Totals {
        on_hand: on_hand - before.0,
        reserved: reserved - before.1,
        batches: new,
    };
    if !rows.moved.insert((event.event_id, key.2.clone())) {
        return Ok(by);
    }
    rows.movements.push(MovementRow {
        event_id: event.event_id,
        batch_id: key.2,
        sku: key.0,
        warehouse_id: key.1,
        kind,
        reservation_id: facts.reservation.map(ToString::to_string),
        on_hand_delta: by.on_hand,
        reserved_delta: by.reserved,
        on_hand_after: on_hand,
        reserved_after: reserved,
        occurred_at: facts.at,
        position: event.position.global_position,
        recorded_at: event.recorded_at,
    });
    Ok(by)
}

fn new_batch(key: &BatchKey, level: &BatchLevel, event: &RecordedEvent) -> BatchRow {
    BatchRow {
        sku: key.0.clone(),
        warehouse_id: key.1.clone(),
        batch_id: key.2.clone(),
        expires_on: level.expires_on,
        on_hand: i64::from(level.on_hand),
        reserved: i64::from(level.reserved),
        written_off: false,
        written_off_on: None,
        received_at: None,
        updated_at: event.recorded_at,
    }
}

/// Records when a batch arrived and whose stock it is.
pub(super) fn received(
    rows: &mut Rows,
    facts: &Facts<'_>,
    batch: &BatchId,
    vendor: &VendorId,
) -> Result<(), ApplyError> {
    if let Some(row) = rows.levels.get_mut(&key(facts)) {
        row.vendor_id = Some(vendor.to_string());
    }
    let row = known_batch(rows, facts, batch)?;
    row.received_at = Some(facts.at);
    Ok(())
}

/// Marks a batch written off on `on`.
pub(super) fn written_off(
    rows: &mut Rows,
    facts: &Facts<'_>,
    batch: &BatchId,
    on: NaiveDate,
) -> Result<(), ApplyError> {
    let row = known_batch(rows, facts, batch)?;
    row.written_off = true;
    row.written_off_on = Some(on);
    Ok(())
}

/// The batch's row, set from the same event's levels; missing, the event
/// did not carry its level, which this code cannot handle.
fn known_batch<'r>(
    rows: &'r mut Rows,
    facts: &Facts<'_>,
    batch: &BatchId,
) -> Result<&'r mut BatchRow, ApplyError> {
    rows.batches
        .get_mut(&batch_key(facts, batch))
        .ok_or_else(|| ApplyError::poison(format!("no levels for batch {batch}")))
}
