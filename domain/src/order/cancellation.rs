//! Closing an order or one vendor's part before anything is packed:
//! buyer or vendor cancellation and payment expiry.

use chrono::{DateTime, Utc};

use super::error::OrderError;
use super::event::{CancelledVendorOrder, OrderEvent, ReleasedLine};
use super::rules::{check_reason, sum};
use super::state::VendorOrder;
use super::{Order, OrderStatus, VendorOrderStatus};
use crate::ids::VendorId;
use crate::money::Money;

impl Order {
    /// Scheduled at the payment deadline; guarded by it.
    pub(super) fn expire_payment(&self, at: DateTime<Utc>) -> Result<OrderEvent, OrderError> {
        let checkout = self.checkout()?;
        if self.status_after(&[]).is_closed() {
            return Err(OrderError::OrderClosed);
        }
        if self.payment.is_some() {
            return Err(OrderError::AlreadyPaid);
        }
        if at < checkout.payment_due_at {
            return Err(OrderError::PaymentNotDue {
                due: checkout.payment_due_at,
            });
        }
        let vendor_orders = self
            .live_vendor_orders()
            .map(VendorOrder::cancellation)
            .collect();
        let statuses = vec![VendorOrderStatus::Cancelled; self.vendor_orders.len()];
        Ok(OrderEvent::PaymentExpired {
            expired_at: at,
            payment_due_at: checkout.payment_due_at,
            vendor_orders,
            vendor_order_status: VendorOrderStatus::Cancelled,
            order_status: OrderStatus::derive(true, &statuses),
        })
    }

    /// All or nothing: every live vendor order must still be cancellable.
    pub(super) fn cancel_order(
        &self,
        reason: String,
        at: DateTime<Utc>,
    ) -> Result<OrderEvent, OrderError> {
        let currency = self.checkout()?.currency;
        check_reason(&reason)?;
        if self.status_after(&[]).is_closed() {
            return Err(OrderError::OrderClosed);
        }
        let live: Vec<&VendorOrder> = self.live_vendor_orders().collect();
        for vendor_order in &live {
            vendor_order.check_cancellable()?;
        }
        let vendor_orders: Vec<CancelledVendorOrder> =
            live.iter().map(|v| v.cancellation()).collect();
        let refund_total = sum(currency, vendor_orders.iter().map(|v| v.refund_amount))?;
        let changes: Vec<_> = live
            .iter()
            .map(|v| (&v.vendor, VendorOrderStatus::Cancelled))
            .collect();
        Ok(OrderEvent::OrderCancelled {
            reason,
            cancelled_at: at,
            vendor_orders,
            refund_total,
            vendor_order_status: VendorOrderStatus::Cancelled,
            order_status: self.status_after(&changes),
        })
    }

    /// One vendor's part; the other vendor orders are untouched.
    pub(super) fn cancel_vendor_order(
        &self,
        vendor: VendorId,
        reason: String,
        at: DateTime<Utc>,
    ) -> Result<OrderEvent, OrderError> {
        let vendor_order = self.vendor_order(&vendor)?;
        check_reason(&reason)?;
        vendor_order.check_cancellable()?;
        let CancelledVendorOrder {
            lines,
            refund_amount,
            ..
        } = vendor_order.cancellation();
        let order_status = self.status_after(&[(&vendor, VendorOrderStatus::Cancelled)]);
        Ok(OrderEvent::VendorOrderCancelled {
            vendor,
            reason,
            cancelled_at: at,
            lines,
            refund_amount,
            vendor_order_status: VendorOrderStatus::Cancelled,
            order_status,
        })
    }
}

impl VendorOrder {
    /// Only CREATED and PAID vendor orders can be cancelled.
    fn check_cancellable(&self) -> Result<(), OrderError> {
        match self.status {
            VendorOrderStatus::Created | VendorOrderStatus::Paid => Ok(()),
            from => Err(OrderError::InvalidTransition {
                vendor: self.vendor.clone(),
                from,
                to: VendorOrderStatus::Cancelled,
            }),
        }
    }

    /// Every line to release; a paid vendor order refunds every line total.
    fn cancellation(&self) -> CancelledVendorOrder {
        let paid = self.status == VendorOrderStatus::Paid;
        let zero = Money::zero(self.subtotal.currency());
        let lines = self
            .lines
            .iter()
            .map(|line| ReleasedLine {
                line_no: line.line_no,
                sku: line.sku.clone(),
                warehouse: line.warehouse.clone(),
                quantity: line.quantity,
                refund_amount: if paid { line.line_total } else { zero },
            })
            .collect();
        CancelledVendorOrder {
            vendor: self.vendor.clone(),
            lines,
            refund_amount: if paid { self.subtotal } else { zero },
        }
    }
}
