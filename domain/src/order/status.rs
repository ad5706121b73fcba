//! The vendor order lifecycle and the order status derived from it.
//!
//! A vendor order moves CREATED -> PAID -> PACKED -> (PARTIALLY_SHIPPED) ->
//! SHIPPED -> DELIVERED -> COMPLETED, or to CANCELLED from CREATED or PAID.
//! The order's status is never set on its own: [`OrderStatus::derive`] is the
//! one place that computes it from the vendor orders.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where one vendor's part of an order is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VendorOrderStatus {
    /// Placed, waiting for the buyer's payment.
    Created,
    /// Paid; the vendor may pack it.
    Paid,
    /// Packed by the vendor, nothing shipped yet.
    Packed,
    /// Some units shipped, some still to ship.
    PartiallyShipped,
    /// Every unit shipped; the auto-confirm deadline runs.
    Shipped,
    /// The buyer has it (confirmed by the buyer or automatically).
    Delivered,
    /// Closed after delivery; the vendor's share may be released.
    Completed,
    /// Cancelled before packing (by the buyer, the vendor or payment expiry).
    Cancelled,
}

impl VendorOrderStatus {
    /// The persisted name, as in JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Created => "CREATED",
            Self::Paid => "PAID",
            Self::Packed => "PACKED",
            Self::PartiallyShipped => "PARTIALLY_SHIPPED",
            Self::Shipped => "SHIPPED",
            Self::Delivered => "DELIVERED",
            Self::Completed => "COMPLETED",
            Self::Cancelled => "CANCELLED",
        }
    }
}

impl fmt::Display for VendorOrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The buyer-facing status of a whole order, derived from its vendor orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// Placed, not paid yet.
    AwaitingPayment,
    /// Paid; vendors are packing, nothing shipped yet.
    Paid,
    /// Something shipped, not everything.
    PartiallyShipped,
    /// Every live vendor order fully shipped, none delivered yet.
    Shipped,
    /// Some vendor orders delivered, others not yet.
    PartiallyDelivered,
    /// Every live vendor order delivered (some may be completed).
    Delivered,
    /// Every live vendor order completed.
    Completed,
    /// Every vendor order cancelled.
    Cancelled,
    /// The payment deadline passed without payment.
    PaymentExpired,
}

impl OrderStatus {
    /// The order status for vendor orders in `vendor_orders`; `payment_expired`
    /// says whether the order was closed by payment expiry. Cancelled vendor
    /// orders are ignored unless all are cancelled.
    pub fn derive(payment_expired: bool, vendor_orders: &[VendorOrderStatus]) -> Self {
        use VendorOrderStatus as V;
        if payment_expired {
            return Self::PaymentExpired;
        }
        let live: Vec<V> = vendor_orders
            .iter()
            .copied()
            .filter(|s| *s != V::Cancelled)
            .collect();
        let all = |f: fn(V) -> bool| live.iter().all(|s| f(*s));
        let any = |f: fn(V) -> bool| live.iter().any(|s| f(*s));
        if live.is_empty() {
            Self::Cancelled
        } else if any(|s| s == V::Created) {
            Self::AwaitingPayment
        } else if all(|s| s == V::Completed) {
            Self::Completed
        } else if all(|s| matches!(s, V::Delivered | V::Completed)) {
            Self::Delivered
        } else if any(|s| matches!(s, V::Delivered | V::Completed)) {
            Self::PartiallyDelivered
        } else if all(|s| s == V::Shipped) {
            Self::Shipped
        } else if any(|s| matches!(s, V::PartiallyShipped | V::Shipped)) {
            Self::PartiallyShipped
        } else {
            Self::Paid
        }
    }

    /// The persisted name, as in JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::AwaitingPayment => "AWAITING_PAYMENT",
            Self::Paid => "PAID",
            Self::PartiallyShipped => "PARTIALLY_SHIPPED",
            Self::Shipped => "SHIPPED",
            Self::PartiallyDelivered => "PARTIALLY_DELIVERED",
            Self::Delivered => "DELIVERED",
            Self::Completed => "COMPLETED",
            Self::Cancelled => "CANCELLED",
            Self::PaymentExpired => "PAYMENT_EXPIRED",
        }
    }

    /// Whether the order is closed without fulfilment (cancelled or expired).
    pub fn is_closed(&self) -> bool {
        matches!(self, Self::Cancelled | Self::PaymentExpired)
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus as O;
    use super::VendorOrderStatus as V;

    #[test]
    fn the_order_status_follows_the_least_advanced_live_vendor_order() {
        let cases: &[(&[V], O)] = &[
            (&[V::Created, V::Created], O::AwaitingPayment),
            (&[V::Created, V::Cancelled], O::AwaitingPayment),
            (&[V::Paid, V::Packed], O::Paid),
            (&[V::Packed, V::PartiallyShipped], O::PartiallyShipped),
            (&[V::Paid, V::Shipped], O::PartiallyShipped),
            (&[V::Shipped, V::Shipped, V::Cancelled], O::Shipped),
            (&[V::Shipped, V::Delivered], O::PartiallyDelivered),
            (&[V::Paid, V::Completed], O::PartiallyDelivered),
            (&[V::Delivered, V::Completed], O::Delivered),
            (&[V::Completed, V::Cancelled], O::Completed),
            (&[V::Cancelled, V::Cancelled], O::Cancelled),
        ];
        for (vendor_orders, expected) in cases {
            assert_eq!(
                O::derive(false, vendor_orders),
                *expected,
                "{vendor_orders:?}"
            );
        }
    }

    #[test]
    fn payment_expiry_wins_over_the_vendor_orders() {
        assert_eq!(
            O::derive(true, &[V::Cancelled, V::Cancelled]),
            O::PaymentExpired
        );
    }

    #[test]
    fn display_matches_the_persisted_names() {
        for status in [V::PartiallyShipped, V::Cancelled] {
            assert_eq!(
                serde_json::to_string(&status).unwrap(),
                format!("\"{status}\"")
            );
        }
        for status in [O::AwaitingPayment, O::PartiallyDelivered, O::PaymentExpired] {
            assert_eq!(
                serde_json::to_string(&status).unwrap(),
                format!("\"{status}\"")
            );
        }
    }
}
