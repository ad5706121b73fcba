//! The value objects inside [`OrderEvent`](super::OrderEvent)s: lines,
//! vendor parts, compensations.

use serde::{Deserialize, Serialize};

use crate::ids::{ProductId, Sku, VendorId, WarehouseId};
use crate::money::Money;
use crate::order::VendorOrderStatus;

/// One vendor's part of a placed order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlacedVendorOrder {
    /// The vendor.
    pub vendor: VendorId,
    /// Sum of its line totals.
    pub subtotal: Money,
    /// Its lines, in cart order.
    pub lines: Vec<PlacedLine>,
    /// CREATED.
    pub status: VendorOrderStatus,
}

/// One placed line: everything needed to reserve and show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlacedLine {
    /// Position in the cart, from 1, unique in the order.
    pub line_no: u32,
    /// The listing.
    pub product: ProductId,
    /// The stock keeping unit to reserve.
    pub sku: Sku,
    /// Where to reserve it.
    pub warehouse: WarehouseId,
    /// What the buyer saw.
    pub title: String,
    /// Units ordered.
    pub quantity: u32,
    /// Price of one unit.
    pub unit_price: Money,
    /// `unit_price × quantity`.
    pub line_total: Money,
}

/// A vendor's gross in a payment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VendorGross {
    /// The vendor.
    pub vendor: VendorId,
    /// Its subtotal.
    pub subtotal: Money,
}

/// A vendor order closed by cancellation or payment expiry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CancelledVendorOrder {
    /// The vendor.
    pub vendor: VendorId,
    /// The lines whose reservations to release.
    pub lines: Vec<ReleasedLine>,
    /// The subtotal if it was paid, else zero.
    pub refund_amount: Money,
}

/// A line whose stock reservation must be released.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReleasedLine {
    /// The order line.
    pub line_no: u32,
    /// The reserved stock keeping unit.
    pub sku: Sku,
    /// Where it was reserved.
    pub warehouse: WarehouseId,
    /// Units reserved.
    pub quantity: u32,
    /// The line total if it was paid, else zero.
    pub refund_amount: Money,
}

/// Units of one line in a parcel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippedLine {
    /// The order line.
    pub line_no: u32,
    /// Units in this parcel.
    pub quantity: u32,
    /// Units of this line shipped so far, this parcel included.
    pub shipped_total: u32,
}

/// Units of one line the buyer asked to return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnRequestLine {
    /// The order line.
    pub line_no: u32,
    /// Units in this request.
    pub quantity: u32,
    /// Units of this line requested back so far, this request included.
    pub requested_total: u32,
}

/// Units of one line that came back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnedLine {
    /// The order line.
    pub line_no: u32,
    /// The stock keeping unit to restock.
    pub sku: Sku,
    /// Where to restock it.
    pub warehouse: WarehouseId,
    /// Units received.
    pub received: u32,
    /// Of those, units written off.
    pub damaged: u32,
    /// `received - damaged`: units to put back on sale.
    pub restock_quantity: u32,
    /// `received × unit_price`: damaged units are refunded too.
    pub refund_amount: Money,
    /// Units of this line received back so far.
    pub returned_total: u32,
    /// Refunded on this line so far.
    pub refunded_total: Money,
}

/// Who confirmed a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeliveryConfirmation {
    /// The buyer said so.
    Buyer,
    /// The auto-confirm deadline passed.
    Automatic,
}
