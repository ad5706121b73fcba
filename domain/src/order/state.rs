//! The state an [`Order`](super::Order) keeps between commands, and how each
//! event assigns it. No rules here: events already carry the results.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::event::{
    CancelledVendorOrder, OrderEvent, PlacedVendorOrder, ReleasedLine, ReturnRequestLine,
    ReturnedLine, ShippedLine,
};
use super::{Order, VendorOrderStatus};
use crate::ids::{BuyerId, PaymentId, ProductId, Sku, VendorId, WarehouseId};
use crate::money::{Currency, FeeRate, Money};

/// Facts fixed at checkout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Checkout {
    pub(super) buyer: BuyerId,
    pub(super) currency: Currency,
    pub(super) fee_rate: FeeRate,
    pub(super) placed_at: DateTime<Utc>,
    pub(super) payment_due_at: DateTime<Utc>,
    pub(super) total: Money,
}

/// A capture the order knows of: the one that paid it, or one owed back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Payment {
    pub(super) payment_id: PaymentId,
    pub(super) amount: Money,
    pub(super) at: DateTime<Utc>,
}

/// One vendor's part of the order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct VendorOrder {
    pub(super) vendor: VendorId,
    pub(super) subtotal: Money,
    pub(super) status: VendorOrderStatus,
    pub(super) lines: Vec<Line>,
    pub(super) refunded: Money,
    pub(super) auto_confirm_at: Option<DateTime<Utc>>,
}

/// One order line and what happened to its units and money.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Line {
    pub(super) line_no: u32,
    pub(super) product: ProductId,
    pub(super) sku: Sku,
    pub(super) warehouse: WarehouseId,
    pub(super) quantity: u32,
    pub(super) unit_price: Money,
    pub(super) line_total: Money,
    pub(super) shipped: u32,
    pub(super) return_requested: u32,
    pub(super) returned: u32,
    pub(super) refunded: Money,
}

impl From<PlacedVendorOrder> for VendorOrder {
    fn from(placed: PlacedVendorOrder) -> Self {
        let zero = Money::zero(placed.subtotal.currency());
        let lines = placed
            .lines
            .into_iter()
            .map(|line| Line {
                line_no: line.line_no,
                product: line.product,
                sku: line.sku,
                warehouse: line.warehouse,
                quantity: line.quantity,
                unit_price: line.unit_price,
                line_total: line.line_total,
                shipped: 0,
                return_requested: 0,
                returned: 0,
                refunded: zero,
            })
            .collect();
        Self {
            vendor: placed.vendor,
            subtotal: placed.subtotal,
            status: placed.status,
            lines,
            refunded: zero,
            auto_confirm_at: None,
        }
    }
}

impl VendorOrder {
    fn line_mut(&mut self, line_no: u32) -> Option<&mut Line> {
        self.lines.iter_mut().find(|line| line.line_no == line_no)
    }

    /// Cancelled before shipping: nothing was refunded before, so the
    /// refunds in the event are the totals.
    fn apply_cancelled(
        &mut self,
        status: VendorOrderStatus,
        lines: &[ReleasedLine],
        refund: Money,
    ) {
        self.status = status;
        self.refunded = refund;
        for released in lines {
            if let Some(line) = self.line_mut(released.line_no) {
                line.refunded = released.refund_amount;
            }
        }
    }

    fn apply_shipped(&mut self, lines: &[ShippedLine], auto_confirm_at: Option<DateTime<Utc>>) {
        for shipped in lines {
            if let Some(line) = self.line_mut(shipped.line_no) {
                line.shipped = shipped.shipped_total;
            }
        }
        self.auto_confirm_at = auto_confirm_at;
    }

    fn apply_return_requested(&mut self, lines: &[ReturnRequestLine]) {
        for requested in lines {
            if let Some(line) = self.line_mut(requested.line_no) {
                line.return_requested = requested.requested_total;
            }
        }
    }

    fn apply_return_received(&mut self, lines: &[ReturnedLine], refunded: Money) {
        for returned in lines {
            if let Some(line) = self.line_mut(returned.line_no) {
                line.returned = returned.returned_total;
                line.refunded = returned.refunded_total;
            }
        }
        self.refunded = refunded;
    }
}

/// Applies the per-vendor part of an order-wide cancellation or expiry.
fn apply_cancellations(
    vendor_orders: &mut [VendorOrder],
    status: VendorOrderStatus,
    cancelled: &[CancelledVendorOrder],
) {
    for part in cancelled {
        if let Some(vendor_order) = vendor_orders.iter_mut().find(|v| v.vendor == part.vendor) {
            vendor_order.apply_cancelled(status, &part.lines, part.refund_amount);
        }
    }
}

impl Order {
    /// Applies an event about the whole order.
    pub(super) fn apply_to_order(&mut self, event: OrderEvent) {
        use OrderEvent as E;
        match event {
            E::OrderPlaced {
                buyer,
                currency,
                fee_rate,
                placed_at,
                payment_due_at,
                total,
                vendor_orders,
                ..
            } => {
                self.checkout = Some(Checkout {
                    buyer,
                    currency,
                    fee_rate,
                    placed_at,
                    payment_due_at,
                    total,
                });
                self.vendor_orders = vendor_orders.into_iter().map(VendorOrder::from).collect();
            }
            E::PaymentConfirmed { .. }
            | E::PaymentReceivedAfterClose { .. }
            | E::DuplicatePaymentReceived { .. } => self.apply_payment(event),
            E::PaymentExpired {
                vendor_orders,
                vendor_order_status,
                ..
            } => {
                self.payment_expired = true;
                apply_cancellations(&mut self.vendor_orders, vendor_order_status, &vendor_orders);
            }
            E::OrderCancelled {
                vendor_orders,
                vendor_order_status,
                ..
            } => {
                apply_cancellations(&mut self.vendor_orders, vendor_order_status, &vendor_orders);
            }
            _ => {}
        }
    }

    /// Applies a capture: the one that paid, or one owed back.
    fn apply_payment(&mut self, event: OrderEvent) {
        use OrderEvent as E;
        match event {
            E::PaymentConfirmed {
                payment_id,
                amount,
                paid_at,
                vendor_gross,
                vendor_order_status,
                ..
            } => {
                self.payment = Some(Payment {
                    payment_id,
                    amount,
                    at: paid_at,
                });
                for v in self.vendor_orders.iter_mut() {
                    if vendor_gross.iter().any(|gross| gross.vendor == v.vendor) {
                        v.status = vendor_order_status;
                    }
                }
            }
            E::PaymentReceivedAfterClose {
                payment_id,
                amount,
                received_at,
                ..
            }
            | E::DuplicatePaymentReceived {
                payment_id,
                amount,
                received_at,
                ..
            } => {
                self.refundable_payments.push(Payment {
                    payment_id,
                    amount,
                    at: received_at,
                });
            }
            _ => {}
        }
    }

    /// Applies an event about one vendor order to it.
    pub(super) fn apply_to_vendor(&mut self, event: OrderEvent) {
        let Some(vendor) = event.vendor() else { return };
        let Some(v) = self.vendor_orders.iter_mut().find(|v| &v.vendor == vendor) else {
            return;
        };
        match event {
            OrderEvent::VendorOrderCancelled {
                lines,
                refund_amount,
                vendor_order_status,
                ..
            } => {
                v.apply_cancelled(vendor_order_status, &lines, refund_amount);
            }
            OrderEvent::VendorOrderShipped {
                lines,
                auto_confirm_at,
                vendor_order_status,
                ..
            } => {
                v.status = vendor_order_status;
                v.apply_shipped(&lines, auto_confirm_at);
            }
            OrderEvent::ReturnRequested { lines, .. } => v.apply_return_requested(&lines),
            OrderEvent::ReturnReceived {
                lines,
                vendor_refunded_total,
                ..
            } => {
                v.apply_return_received(&lines, vendor_refunded_total);
            }
            OrderEvent::VendorOrderPacked {
                vendor_order_status,
                ..
            }
            | OrderEvent::VendorOrderDelivered {
                vendor_order_status,
                ..
            }
            | OrderEvent::VendorOrderCompleted {
                vendor_order_status,
                ..
            } => v.status = vendor_order_status,
            _ => {}
        }
    }
}
