//! What happened to an [`Order`](super::Order).
//!
//! Every event after placement carries the resulting order status, and every
//! vendor-scoped one the resulting vendor order status, so projections never
//! derive them. Compensating events name the lines to release or restock and
//! the amounts to refund.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::{OrderStatus, VendorOrderStatus};
use crate::ids::{BuyerId, PaymentId, VendorId};
use crate::money::{Currency, FeeRate, Money};

mod payload;

pub use payload::{
    CancelledVendorOrder, DeliveryConfirmation, PlacedLine, PlacedVendorOrder, ReleasedLine,
    ReturnRequestLine, ReturnedLine, ShippedLine, VendorGross,
};

/// An event of the Order aggregate. Variant names are persisted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum OrderEvent {
    /// The buyer checked out; the saga reserves stock per line from this.
    OrderPlaced {
        /// Who buys.
        buyer: BuyerId,
        /// The order currency.
        currency: Currency,
        /// The fee rate snapshotted at checkout.
        fee_rate: FeeRate,
        /// When.
        placed_at: DateTime<Utc>,
        /// When the scheduler should fire ExpirePayment.
        payment_due_at: DateTime<Utc>,
        /// Sum of the vendor subtotals.
        total: Money,
        /// One per vendor, in order of first appearance in the cart.
        vendor_orders: Vec<PlacedVendorOrder>,
        /// AWAITING_PAYMENT.
        order_status: OrderStatus,
    },
    /// The order was paid in full; the split is computed from this.
    PaymentConfirmed {
        /// The capture.
        payment_id: PaymentId,
        /// What was captured (the sum of `vendor_gross`).
        amount: Money,
        /// The fee rate snapshotted at checkout.
        fee_rate: FeeRate,
        /// Gross per live (not cancelled) vendor order.
        vendor_gross: Vec<VendorGross>,
        /// When.
        paid_at: DateTime<Utc>,
        /// PAID, for every vendor in `vendor_gross`.
        vendor_order_status: VendorOrderStatus,
        /// The resulting order status.
        order_status: OrderStatus,
    },
    /// A capture arrived after the order was cancelled or expired: refund it.
    PaymentReceivedAfterClose {
        /// The capture.
        payment_id: PaymentId,
        /// What was captured.
        amount: Money,
        /// What the saga must refund (all of it).
        refund_due: Money,
        /// When.
        received_at: DateTime<Utc>,
        /// The (unchanged) order status.
        order_status: OrderStatus,
    },
    /// A second capture arrived for an already paid order: refund it.
    DuplicatePaymentReceived {
        /// The extra capture.
        payment_id: PaymentId,
        /// What was captured.
        amount: Money,
        /// What the saga must refund (all of it).
        refund_due: Money,
        /// When.
        received_at: DateTime<Utc>,
        /// The (unchanged) order status.
        order_status: OrderStatus,
    },
    /// Nobody paid in time; every live vendor order is cancelled.
    PaymentExpired {
        /// When the scheduler fired.
        expired_at: DateTime<Utc>,
        /// The deadline that passed.
        payment_due_at: DateTime<Utc>,
        /// What to release (refunds are zero: nothing was paid).
        vendor_orders: Vec<CancelledVendorOrder>,
        /// CANCELLED, for every vendor in `vendor_orders`.
        vendor_order_status: VendorOrderStatus,
        /// PAYMENT_EXPIRED.
        order_status: OrderStatus,
    },
    /// The buyer cancelled every vendor order not cancelled before.
    OrderCancelled {
        /// Why.
        reason: String,
        /// When.
        cancelled_at: DateTime<Utc>,
        /// What to release and refund, per vendor.
        vendor_orders: Vec<CancelledVendorOrder>,
        /// Sum of the vendor refunds.
        refund_total: Money,
        /// CANCELLED, for every vendor in `vendor_orders`.
        vendor_order_status: VendorOrderStatus,
        /// CANCELLED.
        order_status: OrderStatus,
    },
    /// One vendor order was cancelled; the others are untouched.
    VendorOrderCancelled {
        /// Whose part.
        vendor: VendorId,
        /// Why.
        reason: String,
        /// When.
        cancelled_at: DateTime<Utc>,
        /// The lines whose reservations to release.
        lines: Vec<ReleasedLine>,
        /// The subtotal if it was paid, else zero.
        refund_amount: Money,
        /// CANCELLED.
        vendor_order_status: VendorOrderStatus,
        /// The resulting order status.
        order_status: OrderStatus,
    },
    /// The vendor packed its part.
    VendorOrderPacked {
        /// Whose part.
        vendor: VendorId,
        /// When.
        packed_at: DateTime<Utc>,
        /// PACKED.
        vendor_order_status: VendorOrderStatus,
        /// The resulting order status.
        order_status: OrderStatus,
    },
    /// A parcel left the vendor.
    VendorOrderShipped {
        /// Whose part.
        vendor: VendorId,
        /// The parcel's tracking reference.
        tracking: String,
        /// What is in the parcel.
        lines: Vec<ShippedLine>,
        /// When.
        shipped_at: DateTime<Utc>,
        /// Set when this parcel completes the vendor order: shipped_at + 14 days.
        auto_confirm_at: Option<DateTime<Utc>>,
        /// PARTIALLY_SHIPPED or SHIPPED.
        vendor_order_status: VendorOrderStatus,
        /// The resulting order status.
        order_status: OrderStatus,
    },
    /// The buyer has the vendor order.
    VendorOrderDelivered {
        /// Whose part.
        vendor: VendorId,
        /// When.
        delivered_at: DateTime<Utc>,
        /// By the buyer or by the auto-confirm deadline.
        confirmed_by: DeliveryConfirmation,
        /// DELIVERED.
        vendor_order_status: VendorOrderStatus,
        /// The resulting order status.
        order_status: OrderStatus,
    },
    /// The buyer asked to send units back.
    ReturnRequested {
        /// Whose part.
        vendor: VendorId,
        /// Why.
        reason: String,
        /// What, per line.
        lines: Vec<ReturnRequestLine>,
        /// When.
        requested_at: DateTime<Utc>,
        /// The (unchanged) vendor order status.
        vendor_order_status: VendorOrderStatus,
        /// The (unchanged) order status.
        order_status: OrderStatus,
    },
    /// Returned units arrived: restock the sound ones, refund all of them.
    ReturnReceived {
        /// Whose part.
        vendor: VendorId,
        /// What arrived, per line.
        lines: Vec<ReturnedLine>,
        /// Sum of the line refunds of this receipt.
        refund_total: Money,
        /// Everything refunded on this vendor order so far.
        vendor_refunded_total: Money,
        /// When.
        received_at: DateTime<Utc>,
        /// The (unchanged) vendor order status.
        vendor_order_status: VendorOrderStatus,
        /// The (unchanged) order status.
        order_status: OrderStatus,
    },
    /// The vendor order is closed; `releasable` may go to the vendor.
    VendorOrderCompleted {
        /// Whose part.
        vendor: VendorId,
        /// The vendor order's gross.
        subtotal: Money,
        /// Refunded on it (returns).
        refunded: Money,
        /// `subtotal - refunded`, the gross still owed to the vendor.
        releasable: Money,
        /// When.
        completed_at: DateTime<Utc>,
        /// COMPLETED.
        vendor_order_status: VendorOrderStatus,
        /// The resulting order status.
        order_status: OrderStatus,
    },
}

impl OrderEvent {
    /// The order status this event leaves the order in.
    pub fn order_status(&self) -> OrderStatus {
        match self {
            Self::OrderPlaced { order_status, .. }
            | Self::PaymentConfirmed { order_status, .. }
            | Self::PaymentReceivedAfterClose { order_status, .. }
            | Self::DuplicatePaymentReceived { order_status, .. }
            | Self::PaymentExpired { order_status, .. }
            | Self::OrderCancelled { order_status, .. }
            | Self::VendorOrderCancelled { order_status, .. }
            | Self::VendorOrderPacked { order_status, .. }
            | Self::VendorOrderShipped { order_status, .. }
            | Self::VendorOrderDelivered { order_status, .. }
            | Self::ReturnRequested { order_status, .. }
            | Self::ReturnReceived { order_status, .. }
            | Self::VendorOrderCompleted { order_status, .. } => *order_status,
        }
    }
}

impl OrderEvent {
    /// The vendor this event is about, if it is about one vendor order.
    pub fn vendor(&self) -> Option<&VendorId> {
        match self {
            Self::VendorOrderCancelled { vendor, .. }
            | Self::VendorOrderPacked { vendor, .. }
            | Self::VendorOrderShipped { vendor, .. }
            | Self::VendorOrderDelivered { vendor, .. }
            | Self::ReturnRequested { vendor, .. }
            | Self::ReturnReceived { vendor, .. }
            | Self::VendorOrderCompleted { vendor, .. } => Some(vendor),
            Self::OrderPlaced { .. }
            | Self::PaymentConfirmed { .. }
            | Self::PaymentReceivedAfterClose { .. }
            | Self::DuplicatePaymentReceived { .. }
            | Self::PaymentExpired { .. }
            | Self::OrderCancelled { .. } => None,
        }
    }
}

impl DomainEvent for OrderEvent {
    fn event_type(&self) -> String {
        let name = match self {
            Self::OrderPlaced { .. } => "OrderPlaced",
            Self::PaymentConfirmed { .. } => "PaymentConfirmed",
            Self::PaymentReceivedAfterClose { .. } => "PaymentReceivedAfterClose",
            Self::DuplicatePaymentReceived { .. } => "DuplicatePaymentReceived",
            Self::PaymentExpired { .. } => "PaymentExpired",
            Self::OrderCancelled { .. } => "OrderCancelled",
            Self::VendorOrderCancelled { .. } => "VendorOrderCancelled",
            Self::VendorOrderPacked { .. } => "VendorOrderPacked",
            Self::VendorOrderShipped { .. } => "VendorOrderShipped",
            Self::VendorOrderDelivered { .. } => "VendorOrderDelivered",
            Self::ReturnRequested { .. } => "ReturnRequested",
            Self::ReturnReceived { .. } => "ReturnReceived",
            Self::VendorOrderCompleted { .. } => "VendorOrderCompleted",
        };
        name.to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}
