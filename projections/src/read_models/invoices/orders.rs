//! What the invoices model remembers of an order's own events: the buyer,
//! currency and lines at placement, the payment that paid it, and the
//! paid lines each cancellation or return gives back (the refund that
//! follows names that event as its cause).

use bazaar_domain::ids::VendorId;
use bazaar_domain::order::event::{PlacedVendorOrder, ReleasedLine};
use bazaar_domain::order::OrderEvent as E;
use bazaar_event_store::RecordedEvent;

use super::rows::{CauseRow, OrderLineRow, OrderRow, Rows};
use crate::projection::ApplyError;

/// Folds one `Order` event into `rows`.
pub(super) fn apply(rows: &mut Rows, payload: &E, event: &RecordedEvent) -> Result<(), ApplyError> {
    if let E::OrderPlaced { .. } = payload {
        return placed(rows, payload, event);
    }
    if !claim(rows, event)? {
        return Ok(());
    }
    match payload {
        E::PaymentConfirmed { payment_id, .. } => {
            if let Some(order) = rows.orders.get_mut(&event.aggregate_id) {
                order.payment_id = Some(payment_id.to_string());
                order.paid_event_id = Some(event.event_id);
                order.paid_position = Some(event.position.global_position);
            }
            Ok(())
        }
        E::OrderCancelled { vendor_orders, .. } => {
            for part in vendor_orders {
                cancelled(rows, &part.vendor, &part.lines, event)?;
            }
            Ok(())
        }
        E::VendorOrderCancelled { vendor, lines, .. } => cancelled(rows, vendor, lines, event),
        E::ReturnReceived { vendor, lines, .. } => {
            for line in lines.iter().filter(|l| l.refund_amount.amount() > 0) {
                let row = cause(event, vendor.as_ref(), line.line_no, "return")?;
                note(
                    rows,
                    row,
                    i64::from(line.received),
                    line.refund_amount.amount(),
                );
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// A new order, its buyer and lines; nothing if it exists (a replay).
fn placed(rows: &mut Rows, payload: &E, event: &RecordedEvent) -> Result<(), ApplyError> {
    let E::OrderPlaced {
        buyer,
        currency,
        fee_rate,
        vendor_orders,
        ..
    } = payload
    else {
        return Ok(());
    };
    let id = &event.aggregate_id;
    if rows.orders.get(id).is_some() {
        return Ok(());
    }
    let row = OrderRow {
        order_id: id.clone(),
        buyer_id: buyer.to_string(),
        currency: currency.to_string(),
        fee_rate_bps: i32::try_from(fee_rate.bps()).map_err(ApplyError::poison)?,
        placed_event_id: event.event_id,
        placed_position: event.position.global_position,
        payment_id: None,
        paid_event_id: None,
        paid_position: None,
        order_sequence: event.sequence,
        split_sequence: 0,
        updated_at: event.recorded_at,
    };
    rows.orders.insert(id.clone(), row);
    for part in vendor_orders {
        lines(rows, id, part)?;
    }
    Ok(())
}

fn lines(rows: &mut Rows, order_id: &str, part: &PlacedVendorOrder) -> Result<(), ApplyError> {
    for line in &part.lines {
        let line_no = i32::try_from(line.line_no).map_err(ApplyError::poison)?;
        let row = OrderLineRow {
            order_id: order_id.to_owned(),
            line_no,
            vendor_id: part.vendor.to_string(),
            product: line.product.to_string(),
            sku: line.sku.to_string(),
            title: line.title.clone(),
            quantity: i64::from(line.quantity),
            unit_price: line.unit_price.amount(),
        };
        rows.order_lines.insert((order_id.to_owned(), line_no), row);
    }
    Ok(())
}

/// Takes the event's sequence for its order: `false` for a replay. An
/// order never placed cannot take later events, so that poisons.
fn claim(rows: &mut Rows, event: &RecordedEvent) -> Result<bool, ApplyError> {
    let Some(order) = rows.orders.get(&event.aggregate_id) else {
        return Err(ApplyError::poison(format!(
            "order {} was never placed",
            event.aggregate_id
        )));
    };
    if order.order_sequence >= event.sequence {
        return Ok(false);
    }
    if let Some(order) = rows.orders.get_mut(&event.aggregate_id) {
        order.order_sequence = event.sequence;
        order.updated_at = event.recorded_at;
    }
    Ok(true)
}

/// The paid lines of a cancelled vendor order (unpaid ones refund nothing).
fn cancelled(
    rows: &mut Rows,
    vendor: &VendorId,
    lines: &[ReleasedLine],
    event: &RecordedEvent,
) -> Result<(), ApplyError> {
    for line in lines.iter().filter(|l| l.refund_amount.amount() > 0) {
        let row = cause(event, vendor.as_ref(), line.line_no, "cancellation")?;
        note(
            rows,
            row,
            i64::from(line.quantity),
            line.refund_amount.amount(),
        );
    }
    Ok(())
}

fn cause(
    event: &RecordedEvent,
    vendor: &str,
    line_no: u32,
    reason: &str,
) -> Result<CauseRow, ApplyError> {
    Ok(CauseRow {
        event_id: event.event_id,
        vendor_id: vendor.to_owned(),
        line_no: i32::try_from(line_no).map_err(ApplyError::poison)?,
        order_id: event.aggregate_id.clone(),
        reason: reason.to_owned(),
        event_type: event.event_type.clone(),
        position: event.position.global_position,
        quantity: 0,
        amount: 0,
    })
}

fn note(rows: &mut Rows, mut row: CauseRow, quantity: i64, amount: i64) {
    row.quantity = quantity;
    row.amount = amount;
    let key = (row.event_id, row.vendor_id.clone(), row.line_no);
    rows.causes.insert(key, row);
}
