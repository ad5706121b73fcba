//! What each event after `OrderPlaced` assigns to orders and vendor
//! orders, as plain data.
//!
//! Every value is copied from the event; `None` leaves a column as it is.
//! Keeping this mapping free of SQL makes it easy to check against the
//! event definitions, one variant at a time.

use bazaar_domain::ids::VendorId;
use bazaar_domain::order::event::CancelledVendorOrder;
use bazaar_domain::order::{DeliveryConfirmation, OrderEvent, OrderStatus, VendorOrderStatus};
use chrono::{DateTime, Utc};

use OrderEvent as E;

/// What an event sets on its order's row, besides `status`,
/// `last_sequence` and `updated_at`, which every event sets.
#[derive(Debug, Default, PartialEq)]
pub(super) struct OrderChange<'e> {
    pub(super) paid_at: Option<DateTime<Utc>>,
    pub(super) payment_id: Option<&'e str>,
    pub(super) payment_due_at: Option<DateTime<Utc>>,
    pub(super) cancelled_at: Option<DateTime<Utc>>,
    pub(super) cancel_reason: Option<&'e str>,
}

/// What an event sets on one vendor order.
#[derive(Debug, PartialEq)]
pub(super) struct VendorChange<'e> {
    pub(super) vendor: &'e str,
    pub(super) status: VendorOrderStatus,
    pub(super) subtotal: Option<i64>,
    /// Everything refunded on the vendor order so far.
    pub(super) refunded: Option<i64>,
    pub(super) tracking: Option<&'e str>,
    pub(super) packed_at: Option<DateTime<Utc>>,
    pub(super) shipped_at: Option<DateTime<Utc>>,
    pub(super) delivered_at: Option<DateTime<Utc>>,
    pub(super) confirmed_by: Option<DeliveryConfirmation>,
    pub(super) auto_confirm_at: Option<DateTime<Utc>>,
    pub(super) completed_at: Option<DateTime<Utc>>,
    pub(super) cancelled_at: Option<DateTime<Utc>>,
}

impl<'e> VendorChange<'e> {
    /// Only the vendor order's status.
    fn status(vendor: &'e VendorId, status: VendorOrderStatus) -> Self {
        Self {
            vendor: vendor.as_ref(),
            status,
            subtotal: None,
            refunded: None,
            tracking: None,
            packed_at: None,
            shipped_at: None,
            delivered_at: None,
            confirmed_by: None,
            auto_confirm_at: None,
            completed_at: None,
            cancelled_at: None,
        }
    }
}

/// The order row's change.
pub(super) fn order(event: &OrderEvent) -> OrderChange<'_> {
    match event {
        E::PaymentConfirmed {
            payment_id,
            paid_at,
            ..
        } => OrderChange {
            paid_at: Some(*paid_at),
            payment_id: Some(payment_id.as_ref()),
            ..OrderChange::default()
        },
        E::PaymentExpired {
            expired_at,
            payment_due_at,
            ..
        } => OrderChange {
            cancelled_at: Some(*expired_at),
            payment_due_at: Some(*payment_due_at),
            ..OrderChange::default()
        },
        E::OrderCancelled {
            reason,
            cancelled_at,
            ..
        } => closed(cancelled_at, reason),
        // the last live vendor order went: the order is cancelled by it
        E::VendorOrderCancelled {
            reason,
            cancelled_at,
            order_status: OrderStatus::Cancelled,
            ..
        } => closed(cancelled_at, reason),
        _ => OrderChange::default(),
    }
}

fn closed<'e>(cancelled_at: &DateTime<Utc>, reason: &'e str) -> OrderChange<'e> {
    OrderChange {
        cancelled_at: Some(*cancelled_at),
        cancel_reason: Some(reason),
        ..OrderChange::default()
    }
}

/// The vendor orders' changes.
pub(super) fn vendors(event: &OrderEvent) -> Vec<VendorChange<'_>> {
    match event {
        E::PaymentConfirmed {
            vendor_gross,
            vendor_order_status,
            ..
        } => vendor_gross
            .iter()
            .map(|gross| VendorChange::status(&gross.vendor, *vendor_order_status))
            .collect(),
        E::PaymentExpired {
            expired_at,
            vendor_orders,
            vendor_order_status,
            ..
        } => cancelled(vendor_orders, expired_at, *vendor_order_status),
        E::OrderCancelled {
            cancelled_at,
            vendor_orders,
            vendor_order_status,
            ..
        } => cancelled(vendor_orders, cancelled_at, *vendor_order_status),
        _ => shipping(event)
            .or_else(|| delivery(event))
            .or_else(|| refunds(event))
            .into_iter()
            .collect(),
    }
}

fn cancelled<'e>(
    vendor_orders: &'e [CancelledVendorOrder],
    at: &DateTime<Utc>,
    status: VendorOrderStatus,
) -> Vec<VendorChange<'e>> {
    let change = |v: &'e CancelledVendorOrder| VendorChange {
        refunded: Some(v.refund_amount.amount()),
        cancelled_at: Some(*at),
        ..VendorChange::status(&v.vendor, status)
    };
    vendor_orders.iter().map(change).collect()
}

/// Packing and shipping one vendor order.
fn shipping(event: &OrderEvent) -> Option<VendorChange<'_>> {
    Some(match event {
        E::VendorOrderPacked {
            vendor,
            packed_at,
            vendor_order_status,
            ..
        } => VendorChange {
            packed_at: Some(*packed_at),
            ..VendorChange::status(vendor, *vendor_order_status)
        },
        E::VendorOrderShipped {
            vendor,
            tracking,
            shipped_at,
            auto_confirm_at,
            vendor_order_status,
            ..
        } => VendorChange {
            tracking: Some(tracking.as_str()),
            shipped_at: Some(*shipped_at),
            auto_confirm_at: *auto_confirm_at,
            ..VendorChange::status(vendor, *vendor_order_status)
        },
        _ => return None,
    })
}

/// Delivery and completion of one vendor order.
fn delivery(event: &OrderEvent) -> Option<VendorChange<'_>> {
    Some(match event {
        E::VendorOrderDelivered {
            vendor,
            delivered_at,
            confirmed_by,
            vendor_order_status,
            ..
        } => VendorChange {
            delivered_at: Some(*delivered_at),
            confirmed_by: Some(*confirmed_by),
            ..VendorChange::status(vendor, *vendor_order_status)
        },
        E::VendorOrderCompleted {
            vendor,
            subtotal,
            refunded,
            completed_at,
            vendor_order_status,
            ..
        } => VendorChange {
            subtotal: Some(subtotal.amount()),
            refunded: Some(refunded.amount()),
            completed_at: Some(*completed_at),
            ..VendorChange::status(vendor, *vendor_order_status)
        },
        _ => return None,
    })
}

/// A vendor's own cancellation and its returns.
fn refunds(event: &OrderEvent) -> Option<VendorChange<'_>> {
    Some(match event {
        E::VendorOrderCancelled {
            vendor,
            cancelled_at,
            refund_amount,
            vendor_order_status,
            ..
        } => VendorChange {
            refunded: Some(refund_amount.amount()),
            cancelled_at: Some(*cancelled_at),
            ..VendorChange::status(vendor, *vendor_order_status)
        },
        E::ReturnRequested {
            vendor,
            vendor_order_status,
            ..
        } => VendorChange::status(vendor, *vendor_order_status),
        E::ReturnReceived {
            vendor,
            vendor_refunded_total,
            vendor_order_status,
            ..
        } => VendorChange {
            refunded: Some(vendor_refunded_total.amount()),
            ..VendorChange::status(vendor, *vendor_order_status)
        },
        _ => return None,
    })
}
