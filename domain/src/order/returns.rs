//! Returns: the buyer asks to send shipped units back, the vendor receives
//! and inspects them. Sound units are restocked, damaged ones written off,
//! and every received unit is refunded at its unit price.

use chrono::{DateTime, Utc};

use super::command::ReturnReceipt;
use super::error::OrderError;
use super::event::{OrderEvent, ReturnRequestLine, ReturnedLine};
use super::rules::{check_line_numbers, check_quantity, check_reason, sum};
use super::state::VendorOrder;
use super::{Order, VendorOrderStatus};
use crate::ids::VendorId;

impl Order {
    pub(super) fn request_return(
        &self,
        vendor: VendorId,
        lines: Vec<(u32, u32)>,
        reason: String,
        at: DateTime<Utc>,
    ) -> Result<OrderEvent, OrderError> {
        let vendor_order = self.returnable(&vendor)?;
        check_reason(&reason)?;
        check_line_numbers(lines.iter().map(|(line_no, _)| *line_no))?;
        let requested = lines
            .iter()
            .map(|&(line_no, quantity)| vendor_order.request_line(line_no, quantity))
            .collect::<Result<Vec<ReturnRequestLine>, OrderError>>()?;
        Ok(OrderEvent::ReturnRequested {
            vendor,
            reason,
            lines: requested,
            requested_at: at,
            vendor_order_status: vendor_order.status,
            order_status: self.status_after(&[]),
        })
    }

    pub(super) fn receive_return(
        &self,
        vendor: VendorId,
        receipts: Vec<ReturnReceipt>,
        at: DateTime<Utc>,
    ) -> Result<OrderEvent, OrderError> {
        let vendor_order = self.returnable(&vendor)?;
        check_line_numbers(receipts.iter().map(|receipt| receipt.line_no))?;
        let lines = receipts
            .iter()
            .map(|receipt| vendor_order.receive_line(receipt))
            .collect::<Result<Vec<ReturnedLine>, OrderError>>()?;
        let refund_total = sum(
            vendor_order.subtotal.currency(),
            lines.iter().map(|l| l.refund_amount),
        )?;
        let vendor_refunded_total = vendor_order.refunded.checked_add(refund_total)?;
        Ok(OrderEvent::ReturnReceived {
            vendor,
            lines,
            refund_total,
            vendor_refunded_total,
            received_at: at,
            vendor_order_status: vendor_order.status,
            order_status: self.status_after(&[]),
        })
    }

    /// A vendor order that shipped something and is not completed yet.
    fn returnable(&self, vendor: &VendorId) -> Result<&VendorOrder, OrderError> {
        let vendor_order = self.vendor_order(vendor)?;
        match vendor_order.status {
            VendorOrderStatus::PartiallyShipped
            | VendorOrderStatus::Shipped
            | VendorOrderStatus::Delivered => Ok(vendor_order),
            status => Err(OrderError::ReturnNotAllowed {
                vendor: vendor.clone(),
                status,
            }),
        }
    }
}

impl VendorOrder {
    fn request_line(&self, line_no: u32, quantity: u32) -> Result<ReturnRequestLine, OrderError> {
        let line = self.line(line_no)?;
        check_quantity(line_no, quantity)?;
        let requested_total = line.return_requested.saturating_add(quantity);
        if requested_total > line.shipped {
            let shipped = line.shipped;
            return Err(OrderError::ReturnsMoreThanShipped {
                line_no,
                shipped,
                requested: requested_total,
            });
        }
        Ok(ReturnRequestLine {
            line_no,
            quantity,
            requested_total,
        })
    }

    fn receive_line(&self, receipt: &ReturnReceipt) -> Result<ReturnedLine, OrderError> {
        let &ReturnReceipt {
            line_no,
            received,
            damaged,
        } = receipt;
        let line = self.line(line_no)?;
        check_quantity(line_no, received)?;
        if damaged > received {
            return Err(OrderError::DamagedExceedsReceived {
                line_no,
                received,
                damaged,
            });
        }
        let outstanding = line.return_requested.saturating_sub(line.returned);
        if received > outstanding {
            return Err(OrderError::ReceivesMoreThanRequested {
                line_no,
                outstanding,
                received,
            });
        }
        let refund_amount = line.unit_price.checked_mul(i64::from(received))?;
        let refunded_total = line.refunded.checked_add(refund_amount)?;
        if refunded_total.amount() > line.line_total.amount() {
            return Err(OrderError::RefundExceedsPaid { line_no });
        }
        Ok(ReturnedLine {
            line_no,
            sku: line.sku.clone(),
            warehouse: line.warehouse.clone(),
            received,
            damaged,
            restock_quantity: received - damaged,
            refund_amount,
            returned_total: line.returned + received,
            refunded_total,
        })
    }
}
