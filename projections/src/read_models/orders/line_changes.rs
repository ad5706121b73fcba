//! What each event after `OrderPlaced` assigns to order lines, as plain
//! data, like [`changes`](super::changes) does for orders and vendor orders.

use bazaar_domain::order::event::{ReleasedLine, ReturnedLine};
use bazaar_domain::order::OrderEvent;

use OrderEvent as E;

/// What an event sets on one order line. Unit counts and `refunded` are
/// the running totals the event carries; `damaged` is added.
#[derive(Debug, Default, PartialEq)]
pub(super) struct LineChange {
    pub(super) line_no: u32,
    pub(super) shipped: Option<u32>,
    pub(super) requested: Option<u32>,
    pub(super) returned: Option<u32>,
    /// Units written off by this receipt, added to `damaged_quantity`.
    pub(super) damaged: Option<u32>,
    pub(super) refunded: Option<i64>,
}

/// The order lines' changes.
pub(super) fn lines(event: &OrderEvent) -> Vec<LineChange> {
    match event {
        E::PaymentExpired { vendor_orders, .. } | E::OrderCancelled { vendor_orders, .. } => {
            vendor_orders
                .iter()
                .flat_map(|v| &v.lines)
                .map(released)
                .collect()
        }
        E::VendorOrderCancelled { lines, .. } => lines.iter().map(released).collect(),
        E::VendorOrderShipped { lines, .. } => lines
            .iter()
            .map(|l| LineChange {
                line_no: l.line_no,
                shipped: Some(l.shipped_total),
                ..LineChange::default()
            })
            .collect(),
        E::ReturnRequested { lines, .. } => lines
            .iter()
            .map(|l| LineChange {
                line_no: l.line_no,
                requested: Some(l.requested_total),
                ..LineChange::default()
            })
            .collect(),
        E::ReturnReceived { lines, .. } => lines.iter().map(returned).collect(),
        _ => Vec::new(),
    }
}

fn released(line: &ReleasedLine) -> LineChange {
    LineChange {
        line_no: line.line_no,
        refunded: Some(line.refund_amount.amount()),
        ..LineChange::default()
    }
}

fn returned(line: &ReturnedLine) -> LineChange {
    LineChange {
        line_no: line.line_no,
        returned: Some(line.returned_total),
        damaged: Some(line.damaged),
        refunded: Some(line.refunded_total.amount()),
        ..LineChange::default()
    }
}
