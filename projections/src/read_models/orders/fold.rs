//! A batch of Order events folded in memory into the rows to insert and
//! the patches to apply, so a batch costs a handful of statements whatever
//! its size (see [`store`](super::store)).
//!
//! Folding follows the one-event-at-a-time rules exactly: an event at or
//! below its order's applied sequence is skipped; `OrderPlaced` inserts the
//! order, its vendor orders and lines; every later event patches them.
//! Patches of one row merge in event order: a later value replaces an
//! earlier one, except damaged units, which add up (the events carry no
//! running total of them). An order placed in the same batch takes its
//! patches before it is inserted, so it is written once.

use std::collections::{BTreeMap, HashMap};

use bazaar_domain::order::event::PlacedVendorOrder;
use bazaar_domain::order::{DeliveryConfirmation, OrderEvent};
use chrono::{DateTime, Utc};

use super::changes::{self, OrderChange, VendorChange};
use super::line_changes::{self, LineChange};
use super::Stamp;

/// Why an event cannot be folded (it poisons the projection).
pub(super) type Refusal = String;

/// What a batch does to the three tables.
#[derive(Debug, Default)]
pub(super) struct Fold {
    /// Each touched order's applied sequence: loaded, then moved by events.
    applied: HashMap<String, i64>,
    /// Orders placed in this batch, with what later events of the batch
    /// changed.
    pub(super) placed: BTreeMap<String, Placed>,
    pub(super) orders: BTreeMap<String, OrderPatch>,
    pub(super) vendors: BTreeMap<(String, String), VendorPatch>,
    pub(super) lines: BTreeMap<(String, u32), LinePatch>,
}

/// An order as `OrderPlaced` states it, and what later events of the same
/// batch changed (its patches; an empty `order.status` means none).
#[derive(Debug)]
pub(super) struct Placed {
    pub(super) sequence: i64,
    pub(super) recorded_at: DateTime<Utc>,
    pub(super) event: OrderEvent,
    pub(super) order: OrderPatch,
    pub(super) vendors: BTreeMap<String, VendorPatch>,
    pub(super) lines: BTreeMap<u32, LinePatch>,
}

impl Placed {
    /// The placement's vendor orders (it is always `OrderPlaced`).
    pub(super) fn vendor_orders(&self) -> &[PlacedVendorOrder] {
        match &self.event {
            OrderEvent::OrderPlaced { vendor_orders, .. } => vendor_orders,
            _ => &[],
        }
    }

    fn has_vendor(&self, vendor: &str) -> bool {
        self.vendor_orders()
            .iter()
            .any(|v| v.vendor.as_ref() == vendor)
    }

    fn has_line(&self, line_no: u32) -> bool {
        self.vendor_orders()
            .iter()
            .flat_map(|v| &v.lines)
            .any(|l| l.line_no == line_no)
    }
}

/// What later events set on an order's row; `None` keeps the column.
#[derive(Debug, Default, PartialEq)]
pub(super) struct OrderPatch {
    pub(super) status: &'static str,
    pub(super) last_sequence: i64,
    pub(super) updated_at: Option<DateTime<Utc>>,
    pub(super) paid_at: Option<DateTime<Utc>>,
    pub(super) payment_id: Option<String>,
    pub(super) payment_due_at: Option<DateTime<Utc>>,
    pub(super) cancelled_at: Option<DateTime<Utc>>,
    pub(super) cancel_reason: Option<String>,
    /// A vendor order's refund changed: recompute `refunded_total`.
    pub(super) refunds: bool,
}

/// What later events set on a vendor order; `None` keeps the column.
#[derive(Debug, Default, PartialEq)]
pub(super) struct VendorPatch {
    pub(super) status: &'static str,
    pub(super) updated_at: Option<DateTime<Utc>>,
    pub(super) subtotal: Option<i64>,
    pub(super) refunded: Option<i64>,
    pub(super) tracking: Option<String>,
    pub(super) packed_at: Option<DateTime<Utc>>,
    pub(super) shipped_at: Option<DateTime<Utc>>,
    pub(super) delivered_at: Option<DateTime<Utc>>,
    pub(super) confirmed_by: Option<&'static str>,
    pub(super) auto_confirm_at: Option<DateTime<Utc>>,
    pub(super) completed_at: Option<DateTime<Utc>>,
    pub(super) cancelled_at: Option<DateTime<Utc>>,
}

/// What later events set on an order line; `damaged` is added.
#[derive(Debug, Default, PartialEq)]
pub(super) struct LinePatch {
    pub(super) shipped: Option<u32>,
    pub(super) requested: Option<u32>,
    pub(super) returned: Option<u32>,
    pub(super) damaged: i64,
    pub(super) refunded: Option<i64>,
}

/// Keeps the earlier value unless the later one is set.
fn set<T>(slot: &mut Option<T>, value: Option<T>) {
    if value.is_some() {
        *slot = value;
    }
}

impl Fold {
    /// Starts from the applied sequences of the orders already in the table.
    pub(super) fn new(applied: HashMap<String, i64>) -> Self {
        Self {
            applied,
            ..Self::default()
        }
    }

    /// Folds one event of an order in.
    pub(super) fn add(&mut self, stamp: Stamp<'_>, event: OrderEvent) -> Result<(), Refusal> {
        let placed = matches!(event, OrderEvent::OrderPlaced { .. });
        match self.applied.get(stamp.order_id) {
            Some(last) if *last >= stamp.sequence => return Ok(()),
            Some(_) if placed => {
                return Err(format!("order {} placed a second time", stamp.order_id))
            }
            None if !placed => {
                return Err(format!(
                    "order {} has an event before it was placed",
                    stamp.order_id
                ))
            }
            _ => {}
        }
        self.applied
            .insert(stamp.order_id.to_owned(), stamp.sequence);
        if placed {
            let placed = Placed {
                sequence: stamp.sequence,
                recorded_at: stamp.recorded_at,
                event,
                order: OrderPatch::default(),
                vendors: BTreeMap::new(),
                lines: BTreeMap::new(),
            };
            self.placed.insert(stamp.order_id.to_owned(), placed);
            return Ok(());
        }
        match self.placed.get_mut(stamp.order_id) {
            Some(placed) => patch_placed(placed, stamp, &event),
            None => {
                self.patch(stamp, &event);
                Ok(())
            }
        }
    }

    /// Whether the batch changes nothing.
    pub(super) fn is_empty(&self) -> bool {
        self.placed.is_empty() && self.orders.is_empty()
    }

    /// Records the patches of an order placed before this batch; a vendor
    /// or line it does not have shows when the patch finds no row.
    fn patch(&mut self, stamp: Stamp<'_>, event: &OrderEvent) {
        let vendors = changes::vendors(event);
        let refunds = vendors.iter().any(|change| change.refunded.is_some());
        for change in &vendors {
            let key = (stamp.order_id.to_owned(), change.vendor.to_owned());
            merge_vendor(self.vendors.entry(key).or_default(), stamp, change);
        }
        for change in line_changes::lines(event) {
            let key = (stamp.order_id.to_owned(), change.line_no);
            merge_line(self.lines.entry(key).or_default(), change);
        }
        let patch = self.orders.entry(stamp.order_id.to_owned()).or_default();
        merge_order(patch, stamp, event);
        patch.refunds |= refunds;
    }
}

/// Patches an order placed in this batch, in memory.
fn patch_placed(placed: &mut Placed, stamp: Stamp<'_>, event: &OrderEvent) -> Result<(), Refusal> {
    let vendors = changes::vendors(event);
    let lines = line_changes::lines(event);
    if let Some(change) = vendors.iter().find(|c| !placed.has_vendor(c.vendor)) {
        return Err(format!(
            "vendor {} has no part in order {}",
            change.vendor, stamp.order_id
        ));
    }
    if let Some(change) = lines.iter().find(|c| !placed.has_line(c.line_no)) {
        return Err(format!(
            "line {} is not in order {}",
            change.line_no, stamp.order_id
        ));
    }
    for change in &vendors {
        let patch = placed.vendors.entry(change.vendor.to_owned()).or_default();
        merge_vendor(patch, stamp, change);
    }
    for change in lines {
        merge_line(placed.lines.entry(change.line_no).or_default(), change);
    }
    merge_order(&mut placed.order, stamp, event);
    Ok(())
}

fn merge_order(patch: &mut OrderPatch, stamp: Stamp<'_>, event: &OrderEvent) {
    patch.status = event.order_status().as_str();
    patch.last_sequence = stamp.sequence;
    patch.updated_at = Some(stamp.recorded_at);
    let OrderChange {
        paid_at,
        payment_id,
        payment_due_at,
        cancelled_at,
        cancel_reason,
    } = changes::order(event);
    set(&mut patch.paid_at, paid_at);
    set(&mut patch.payment_id, payment_id.map(str::to_owned));
    set(&mut patch.payment_due_at, payment_due_at);
    set(&mut patch.cancelled_at, cancelled_at);
    set(&mut patch.cancel_reason, cancel_reason.map(str::to_owned));
}

fn merge_vendor(patch: &mut VendorPatch, stamp: Stamp<'_>, change: &VendorChange<'_>) {
    patch.status = change.status.as_str();
    patch.updated_at = Some(stamp.recorded_at);
    set(&mut patch.subtotal, change.subtotal);
    set(&mut patch.refunded, change.refunded);
    set(&mut patch.tracking, change.tracking.map(str::to_owned));
    set(&mut patch.packed_at, change.packed_at);
    set(&mut patch.shipped_at, change.shipped_at);
    set(&mut patch.delivered_at, change.delivered_at);
    set(
        &mut patch.confirmed_by,
        change.confirmed_by.map(confirmation),
    );
    set(&mut patch.auto_confirm_at, change.auto_confirm_at);
    set(&mut patch.completed_at, change.completed_at);
    set(&mut patch.cancelled_at, change.cancelled_at);
}

fn merge_line(patch: &mut LinePatch, change: LineChange) {
    set(&mut patch.shipped, change.shipped);
    set(&mut patch.requested, change.requested);
    set(&mut patch.returned, change.returned);
    set(&mut patch.refunded, change.refunded);
    patch.damaged += i64::from(change.damaged.unwrap_or(0));
}

/// The persisted name of who confirmed a delivery, as in JSON.
pub(super) fn confirmation(by: DeliveryConfirmation) -> &'static str {
    match by {
        DeliveryConfirmation::Buyer => "BUYER",
        DeliveryConfirmation::Automatic => "AUTOMATIC",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confirmations_are_stored_under_their_persisted_names() {
        for by in [DeliveryConfirmation::Buyer, DeliveryConfirmation::Automatic] {
            assert_eq!(serde_json::to_value(by).unwrap(), confirmation(by));
        }
    }

    #[test]
    fn later_values_replace_earlier_ones_and_damaged_units_add_up() {
        let mut patch = LinePatch::default();
        let first = LineChange {
            line_no: 1,
            returned: Some(1),
            damaged: Some(1),
            refunded: Some(100),
            ..LineChange::default()
        };
        let second = LineChange {
            line_no: 1,
            shipped: Some(3),
            returned: Some(2),
            damaged: Some(1),
            ..LineChange::default()
        };
        merge_line(&mut patch, first);
        merge_line(&mut patch, second);
        let expected = LinePatch {
            shipped: Some(3),
            requested: None,
            returned: Some(2),
            damaged: 2,
            refunded: Some(100),
        };
        assert_eq!(patch, expected);
    }
}
