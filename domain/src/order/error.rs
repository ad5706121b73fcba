//! Why an [`Order`](super::Order) rejected a command. A rejected command
//! writes no events.

use chrono::{DateTime, Utc};

use super::VendorOrderStatus;
use crate::ids::{PaymentId, VendorId};
use crate::money::{Currency, Money, MoneyError};

/// A rejection by the Order aggregate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum OrderError {
    /// PlaceOrder on an order that exists.
    #[error("order is already placed")]
    AlreadyPlaced,
    /// Any other command before PlaceOrder.
    #[error("order is not placed")]
    NotPlaced,
    /// A checkout without lines.
    #[error("order has no lines")]
    EmptyOrder,
    /// A checkout with more lines than allowed.
    #[error("order has more than {max} lines")]
    TooManyLines {
        /// The limit.
        max: usize,
    },
    /// A blank or over-long line title, or one with control characters.
    #[error("line {line_no}: title must be 1 to 200 characters without control characters")]
    InvalidTitle {
        /// The line.
        line_no: u32,
    },
    /// A quantity outside 1..=MAX_QUANTITY.
    #[error("line {line_no}: quantity {quantity} is outside 1..=1000000")]
    InvalidQuantity {
        /// The line.
        line_no: u32,
        /// The rejected quantity.
        quantity: u32,
    },
    /// A zero or negative unit price.
    #[error("line {line_no}: unit price must be positive")]
    InvalidUnitPrice {
        /// The line.
        line_no: u32,
    },
    /// A unit price in another currency than the order's.
    #[error("line {line_no}: unit price in {found}, order in {expected}")]
    LineCurrencyMismatch {
        /// The line.
        line_no: u32,
        /// The order currency.
        expected: Currency,
        /// The line's currency.
        found: Currency,
    },
    /// A payment deadline not after the checkout time.
    #[error("payment deadline must be after the order is placed")]
    PaymentDueBeforePlacement,
    /// A blank or over-long cancellation or return reason.
    #[error("reason must be 1 to 500 characters without control characters")]
    InvalidReason,
    /// A blank or over-long tracking reference.
    #[error("tracking must be 1 to 100 characters without control characters")]
    InvalidTracking,
    /// A payment of zero or less.
    #[error("payment amount must be positive")]
    NonPositivePayment,
    /// A payment in another currency than the order's.
    #[error("payment in {found}, order in {expected}")]
    PaymentCurrencyMismatch {
        /// The order currency.
        expected: Currency,
        /// The payment's currency.
        found: Currency,
    },
    /// A payment that is not exactly the amount due.
    #[error("payment of {found} does not match the {expected} due")]
    PaymentAmountMismatch {
        /// The amount due.
        expected: Money,
        /// The amount paid.
        found: Money,
    },
    /// A payment id this order has already recorded.
    #[error("payment {payment_id} is already recorded")]
    PaymentAlreadyRecorded {
        /// The payment.
        payment_id: PaymentId,
    },
    /// ExpirePayment on a paid order.
    #[error("order is already paid")]
    AlreadyPaid,
    /// ExpirePayment before the deadline.
    #[error("payment is not due until {due}")]
    PaymentNotDue {
        /// The deadline.
        due: DateTime<Utc>,
    },
    /// A command on an order that is cancelled or expired as a whole.
    #[error("order is cancelled or expired")]
    OrderClosed,
    /// A vendor without a vendor order in this order.
    #[error("no vendor order for {vendor}")]
    UnknownVendor {
        /// The vendor.
        vendor: VendorId,
    },
    /// PackVendorOrder before payment.
    #[error("vendor order of {vendor} is not paid")]
    NotPaid {
        /// The vendor.
        vendor: VendorId,
    },
    /// A lifecycle step the vendor order's status does not allow.
    #[error("vendor order of {vendor} cannot go from {from} to {to}")]
    InvalidTransition {
        /// The vendor.
        vendor: VendorId,
        /// Its status.
        from: VendorOrderStatus,
        /// The status the command would lead to.
        to: VendorOrderStatus,
    },
    /// ConfirmDelivery or AutoConfirmDelivery after delivery.
    #[error("vendor order of {vendor} is already delivered")]
    AlreadyDelivered {
        /// The vendor.
        vendor: VendorId,
    },
    /// AutoConfirmDelivery before the deadline.
    #[error("delivery of {vendor} is not auto-confirmed until {due}")]
    DeliveryNotDue {
        /// The vendor.
        vendor: VendorId,
        /// The deadline.
        due: DateTime<Utc>,
    },
    /// A deadline beyond the representable time range.
    #[error("deadline is out of range")]
    DeadlineOutOfRange,
    /// A shipment, return or receipt without lines.
    #[error("no lines given")]
    NoLines,
    /// A line given twice in one command.
    #[error("line {line_no} is given twice")]
    DuplicateLine {
        /// The line.
        line_no: u32,
    },
    /// A line number that is not part of the vendor order.
    #[error("line {line_no} is not part of the vendor order of {vendor}")]
    UnknownLine {
        /// The vendor.
        vendor: VendorId,
        /// The line.
        line_no: u32,
    },
    /// Shipping more than ordered.
    #[error("line {line_no}: {shipped} would be shipped of {ordered} ordered")]
    ShipsMoreThanOrdered {
        /// The line.
        line_no: u32,
        /// Units ordered.
        ordered: u32,
        /// Units shipped with this parcel.
        shipped: u32,
    },
    /// A return on a vendor order that shipped nothing or is closed.
    #[error("vendor order of {vendor} is {status} and takes no returns")]
    ReturnNotAllowed {
        /// The vendor.
        vendor: VendorId,
        /// Its status.
        status: VendorOrderStatus,
    },
    /// Asking back more than shipped.
    #[error("line {line_no}: {requested} would be returned of {shipped} shipped")]
    ReturnsMoreThanShipped {
        /// The line.
        line_no: u32,
        /// Units shipped.
        shipped: u32,
        /// Units requested back with this request.
        requested: u32,
    },
    /// Receiving more than was requested back and is still outstanding.
    #[error("line {line_no}: {received} received but {outstanding} expected back")]
    ReceivesMoreThanRequested {
        /// The line.
        line_no: u32,
        /// Units requested and not received yet.
        outstanding: u32,
        /// Units received.
        received: u32,
    },
    /// More damaged units than received ones.
    #[error("line {line_no}: {damaged} damaged of {received} received")]
    DamagedExceedsReceived {
        /// The line.
        line_no: u32,
        /// Units received.
        received: u32,
        /// Units damaged.
        damaged: u32,
    },
    /// A refund that would exceed what was paid for the line.
    #[error("line {line_no}: refund would exceed what was paid")]
    RefundExceedsPaid {
        /// The line.
        line_no: u32,
    },
    /// CompleteVendorOrder while returned units are still expected.
    #[error("vendor order of {vendor} has a return in progress")]
    ReturnInProgress {
        /// The vendor.
        vendor: VendorId,
    },
    /// Money arithmetic failed (overflow).
    #[error(transparent)]
    Money(#[from] MoneyError),
}
