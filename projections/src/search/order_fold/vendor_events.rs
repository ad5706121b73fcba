//! What each event about one vendor order assigns to its part and lines.

use bazaar_domain::order::event::ReleasedLine;
use bazaar_domain::order::OrderEvent as E;
use chrono::{DateTime, Utc};

use super::FoldError;
use crate::search::document::{LineDoc, VendorPart};

/// Assigns what a vendor-scoped event says to its part; returns the
/// cancellation time when it cancels the part.
pub(super) fn assign_vendor(
    part: &mut VendorPart,
    event: &E,
    order: &str,
) -> Result<Option<DateTime<Utc>>, FoldError> {
    match event {
        E::VendorOrderCancelled {
            cancelled_at,
            refund_amount,
            lines,
            vendor_order_status,
            ..
        } => {
            part.status = vendor_order_status.to_string();
            part.cancelled_at = Some(*cancelled_at);
            part.refunded = refund_amount.amount();
            released(part, lines, order)?;
            return Ok(Some(*cancelled_at));
        }
        E::VendorOrderPacked {
            packed_at,
            vendor_order_status,
            ..
        } => {
            part.status = vendor_order_status.to_string();
            part.packed_at = Some(*packed_at);
        }
        E::VendorOrderShipped { .. } => shipped(part, event, order)?,
        E::VendorOrderDelivered {
            delivered_at,
            vendor_order_status,
            ..
        } => {
            part.status = vendor_order_status.to_string();
            part.delivered_at = Some(*delivered_at);
        }
        E::ReturnRequested {
            vendor_order_status,
            ..
        } => part.status = vendor_order_status.to_string(),
        E::ReturnReceived { .. } => returned(part, event, order)?,
        E::VendorOrderCompleted {
            subtotal,
            refunded,
            completed_at,
            vendor_order_status,
            ..
        } => {
            part.status = vendor_order_status.to_string();
            part.subtotal = subtotal.amount();
            part.refunded = refunded.amount();
            part.completed_at = Some(*completed_at);
        }
        _ => {}
    }
    Ok(None)
}

/// Lines released by a cancellation: what each refunds (zero if unpaid).
pub(super) fn released(
    part: &mut VendorPart,
    lines: &[ReleasedLine],
    order: &str,
) -> Result<(), FoldError> {
    for released in lines {
        line(part, released.line_no, order)?.refunded = released.refund_amount.amount();
    }
    Ok(())
}

fn shipped(part: &mut VendorPart, event: &E, order: &str) -> Result<(), FoldError> {
    let E::VendorOrderShipped {
        tracking,
        lines,
        shipped_at,
        vendor_order_status,
        ..
    } = event
    else {
        return Ok(());
    };
    part.status = vendor_order_status.to_string();
    part.tracking = Some(tracking.clone());
    part.shipped_at = Some(*shipped_at);
    for shipped in lines {
        line(part, shipped.line_no, order)?.shipped = shipped.shipped_total;
    }
    Ok(())
}

fn returned(part: &mut VendorPart, event: &E, order: &str) -> Result<(), FoldError> {
    let E::ReturnReceived {
        lines,
        vendor_refunded_total,
        vendor_order_status,
        ..
    } = event
    else {
        return Ok(());
    };
    part.status = vendor_order_status.to_string();
    part.refunded = vendor_refunded_total.amount();
    for back in lines {
        let line = line(part, back.line_no, order)?;
        line.returned = back.returned_total;
        line.refunded = back.refunded_total.amount();
    }
    Ok(())
}

fn line<'p>(
    part: &'p mut VendorPart,
    line_no: u32,
    order: &str,
) -> Result<&'p mut LineDoc, FoldError> {
    let vendor = part.vendor_id.clone();
    part.lines
        .iter_mut()
        .find(|l| l.line_no == line_no)
        .ok_or_else(|| FoldError::Unknown {
            order: order.to_owned(),
            what: format!("line {line_no} of vendor {vendor}"),
        })
}
