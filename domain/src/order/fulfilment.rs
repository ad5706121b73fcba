//! Packing, shipping (in one or more parcels), delivery and completion of a
//! vendor order.

use chrono::{DateTime, TimeDelta, Utc};

use super::error::OrderError;
use super::event::{DeliveryConfirmation, OrderEvent, ShippedLine};
use super::rules::{check_line_numbers, check_quantity, check_text, MAX_TRACKING_CHARS};
use super::state::VendorOrder;
use super::{Order, VendorOrderStatus, AUTO_CONFIRM_DAYS};
use crate::ids::VendorId;

impl Order {
    pub(super) fn pack(
        &self,
        vendor: VendorId,
        at: DateTime<Utc>,
    ) -> Result<OrderEvent, OrderError> {
        let vendor_order = self.vendor_order(&vendor)?;
        match vendor_order.status {
            VendorOrderStatus::Paid => {}
            VendorOrderStatus::Created => return Err(OrderError::NotPaid { vendor }),
            from => return Err(vendor_order.cannot_go(from, VendorOrderStatus::Packed)),
        }
        let order_status = self.status_after(&[(&vendor, VendorOrderStatus::Packed)]);
        Ok(OrderEvent::VendorOrderPacked {
            vendor,
            packed_at: at,
            vendor_order_status: VendorOrderStatus::Packed,
            order_status,
        })
    }

    /// One parcel; the parcel that completes the vendor order starts the
    /// auto-confirm clock.
    pub(super) fn ship(
        &self,
        vendor: VendorId,
        tracking: String,
        lines: Vec<(u32, u32)>,
        at: DateTime<Utc>,
    ) -> Result<OrderEvent, OrderError> {
        let vendor_order = self.vendor_order(&vendor)?;
        check_text(&tracking, MAX_TRACKING_CHARS, OrderError::InvalidTracking)?;
        let from = vendor_order.status;
        if !matches!(
            from,
            VendorOrderStatus::Packed | VendorOrderStatus::PartiallyShipped
        ) {
            return Err(vendor_order.cannot_go(from, VendorOrderStatus::Shipped));
        }
        check_line_numbers(lines.iter().map(|(line_no, _)| *line_no))?;
        let shipped = lines
            .iter()
            .map(|&(line_no, quantity)| vendor_order.ship_line(line_no, quantity))
            .collect::<Result<Vec<ShippedLine>, OrderError>>()?;
        let (status, auto_confirm_at) = if vendor_order.fully_shipped_with(&shipped) {
            let deadline = at.checked_add_signed(TimeDelta::days(AUTO_CONFIRM_DAYS));
            (
                VendorOrderStatus::Shipped,
                Some(deadline.ok_or(OrderError::DeadlineOutOfRange)?),
            )
        } else {
            (VendorOrderStatus::PartiallyShipped, None)
        };
        let order_status = self.status_after(&[(&vendor, status)]);
        Ok(OrderEvent::VendorOrderShipped {
            vendor,
            tracking,
            lines: shipped,
            shipped_at: at,
            auto_confirm_at,
            vendor_order_status: status,
            order_status,
        })
    }

    /// By the buyer, or by the scheduler once `auto_confirm_at` has passed.
    pub(super) fn deliver(
        &self,
        vendor: VendorId,
        at: DateTime<Utc>,
        confirmed_by: DeliveryConfirmation,
    ) -> Result<OrderEvent, OrderError> {
        let vendor_order = self.vendor_order(&vendor)?;
        match vendor_order.status {
            VendorOrderStatus::Shipped => {}
            VendorOrderStatus::Delivered | VendorOrderStatus::Completed => {
                return Err(OrderError::AlreadyDelivered { vendor });
            }
            from => return Err(vendor_order.cannot_go(from, VendorOrderStatus::Delivered)),
        }
        if let (DeliveryConfirmation::Automatic, Some(due)) =
            (confirmed_by, vendor_order.auto_confirm_at)
        {
            if at < due {
                return Err(OrderError::DeliveryNotDue { vendor, due });
            }
        }
        let order_status = self.status_after(&[(&vendor, VendorOrderStatus::Delivered)]);
        Ok(OrderEvent::VendorOrderDelivered {
            vendor,
            delivered_at: at,
            confirmed_by,
            vendor_order_status: VendorOrderStatus::Delivered,
            order_status,
        })
    }

    /// Delivered and no returned units still expected.
    pub(super) fn complete(
        &self,
        vendor: VendorId,
        at: DateTime<Utc>,
    ) -> Result<OrderEvent, OrderError> {
        let vendor_order = self.vendor_order(&vendor)?;
        let from = vendor_order.status;
        if from != VendorOrderStatus::Delivered {
            return Err(vendor_order.cannot_go(from, VendorOrderStatus::Completed));
        }
        if vendor_order
            .lines
            .iter()
            .any(|line| line.returned < line.return_requested)
        {
            return Err(OrderError::ReturnInProgress { vendor });
        }
        let releasable = vendor_order.subtotal.checked_sub(vendor_order.refunded)?;
        let order_status = self.status_after(&[(&vendor, VendorOrderStatus::Completed)]);
        Ok(OrderEvent::VendorOrderCompleted {
            subtotal: vendor_order.subtotal,
            refunded: vendor_order.refunded,
            releasable,
            vendor,
            completed_at: at,
            vendor_order_status: VendorOrderStatus::Completed,
            order_status,
        })
    }
}

impl VendorOrder {
    pub(super) fn cannot_go(&self, from: VendorOrderStatus, to: VendorOrderStatus) -> OrderError {
        OrderError::InvalidTransition {
            vendor: self.vendor.clone(),
            from,
            to,
        }
    }

    fn ship_line(&self, line_no: u32, quantity: u32) -> Result<ShippedLine, OrderError> {
        let line = self.line(line_no)?;
        check_quantity(line_no, quantity)?;
        let shipped_total = line.shipped.saturating_add(quantity);
        if shipped_total > line.quantity {
            let ordered = line.quantity;
            return Err(OrderError::ShipsMoreThanOrdered {
                line_no,
                ordered,
                shipped: shipped_total,
            });
        }
        Ok(ShippedLine {
            line_no,
            quantity,
            shipped_total,
        })
    }

    /// Whether every line is fully shipped once `parcel` is out.
    fn fully_shipped_with(&self, parcel: &[ShippedLine]) -> bool {
        self.lines.iter().all(|line| {
            let shipped = parcel
                .iter()
                .find(|s| s.line_no == line.line_no)
                .map_or(line.shipped, |s| s.shipped_total);
            shipped == line.quantity
        })
    }
}
