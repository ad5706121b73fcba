//! Input checks and state look-ups shared by the command handlers.

use super::error::OrderError;
use super::state::{Checkout, Line, VendorOrder};
use super::{Order, OrderStatus, VendorOrderStatus, MAX_QUANTITY};
use crate::ids::{PaymentId, VendorId};
use crate::money::{Currency, Money, MoneyError};

/// Longest line title, in characters.
pub(super) const MAX_TITLE_CHARS: usize = 200;
/// Longest cancellation or return reason, in characters.
pub(super) const MAX_REASON_CHARS: usize = 500;
/// Longest tracking reference, in characters.
pub(super) const MAX_TRACKING_CHARS: usize = 100;

/// A requested quantity must be 1..=MAX_QUANTITY.
pub(super) fn check_quantity(line_no: u32, quantity: u32) -> Result<(), OrderError> {
    if (1..=MAX_QUANTITY).contains(&quantity) {
        Ok(())
    } else {
        Err(OrderError::InvalidQuantity { line_no, quantity })
    }
}

/// Text must be non-blank, at most `max` characters and free of control
/// characters ([`crate::text`]), else `error`.
pub(super) fn check_text(text: &str, max: usize, error: OrderError) -> Result<(), OrderError> {
    if text.trim().is_empty() || text.chars().count() > max || !crate::text::is_storable(text) {
        Err(error)
    } else {
        Ok(())
    }
}

pub(super) fn check_reason(reason: &str) -> Result<(), OrderError> {
    check_text(reason, MAX_REASON_CHARS, OrderError::InvalidReason)
}

/// The lines of one shipment, return or receipt: at least one, none twice.
pub(super) fn check_line_numbers(
    line_nos: impl IntoIterator<Item = u32>,
) -> Result<(), OrderError> {
    let mut seen = std::collections::BTreeSet::new();
    for line_no in line_nos {
        if !seen.insert(line_no) {
            return Err(OrderError::DuplicateLine { line_no });
        }
    }
    if seen.is_empty() {
        return Err(OrderError::NoLines);
    }
    Ok(())
}

/// Sum of `amounts` in `currency`, checked.
pub(super) fn sum(
    currency: Currency,
    amounts: impl IntoIterator<Item = Money>,
) -> Result<Money, MoneyError> {
    amounts
        .into_iter()
        .try_fold(Money::zero(currency), |total, amount| {
            total.checked_add(amount)
        })
}

impl Order {
    /// The checkout facts, or `NotPlaced`.
    pub(super) fn checkout(&self) -> Result<&Checkout, OrderError> {
        self.checkout.as_ref().ok_or(OrderError::NotPlaced)
    }

    /// The vendor's part, or `NotPlaced` / `UnknownVendor`.
    pub(super) fn vendor_order(&self, vendor: &VendorId) -> Result<&VendorOrder, OrderError> {
        self.checkout()?;
        self.vendor_orders
            .iter()
            .find(|v| &v.vendor == vendor)
            .ok_or_else(|| OrderError::UnknownVendor {
                vendor: vendor.clone(),
            })
    }

    /// Vendor orders that are not cancelled.
    pub(super) fn live_vendor_orders(&self) -> impl Iterator<Item = &VendorOrder> {
        self.vendor_orders
            .iter()
            .filter(|v| v.status != VendorOrderStatus::Cancelled)
    }

    /// The order status once `changes` are applied to the vendor orders.
    pub(super) fn status_after(&self, changes: &[(&VendorId, VendorOrderStatus)]) -> OrderStatus {
        let statuses: Vec<VendorOrderStatus> = self
            .vendor_orders
            .iter()
            .map(|v| {
                changes
                    .iter()
                    .find(|(vendor, _)| *vendor == &v.vendor)
                    .map_or(v.status, |(_, status)| *status)
            })
            .collect();
        OrderStatus::derive(self.payment_expired, &statuses)
    }

    /// Whether `payment_id` paid the order or was recorded for refund.
    pub(super) fn knows_payment(&self, payment_id: &PaymentId) -> bool {
        self.payment
            .iter()
            .chain(&self.refundable_payments)
            .any(|payment| &payment.payment_id == payment_id)
    }
}

impl VendorOrder {
    /// One of this vendor order's lines, or `UnknownLine`.
    pub(super) fn line(&self, line_no: u32) -> Result<&Line, OrderError> {
        self.lines
            .iter()
            .find(|line| line.line_no == line_no)
            .ok_or_else(|| OrderError::UnknownLine {
                vendor: self.vendor.clone(),
                line_no,
            })
    }
}
