//! What callers ask an [`Order`](super::Order) to do.
//!
//! Time always travels in the command (`at`), supplied by the caller or the
//! durable scheduler; the aggregate never reads a clock.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{BuyerId, PaymentId, ProductId, Sku, VendorId, WarehouseId};
use crate::money::{Currency, FeeRate, Money};

/// A command to the Order aggregate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum OrderCommand {
    /// Check out: one order, split into one vendor order per vendor.
    PlaceOrder {
        /// Who buys.
        buyer: BuyerId,
        /// The order's only currency; every unit price must be in it.
        currency: Currency,
        /// The platform fee rate in force at checkout, snapshotted.
        fee_rate: FeeRate,
        /// The cart, in the buyer's order; line numbers are positions from 1.
        lines: Vec<LineInput>,
        /// When the scheduler may expire the unpaid order.
        payment_due_at: DateTime<Utc>,
        /// When the buyer checked out.
        at: DateTime<Utc>,
    },
    /// The payment provider captured a payment for this order.
    ConfirmPayment {
        /// The capture at the provider.
        payment_id: PaymentId,
        /// What was captured.
        amount: Money,
        /// When it was captured.
        at: DateTime<Utc>,
    },
    /// Scheduled at `payment_due_at`: close the order if still unpaid.
    ExpirePayment {
        /// When the scheduler fired.
        at: DateTime<Utc>,
    },
    /// Cancel every vendor order that is not cancelled yet (none may be packed).
    CancelOrder {
        /// Why, for the buyer and support.
        reason: String,
        /// When.
        at: DateTime<Utc>,
    },
    /// Cancel one vendor's part (before it is packed).
    CancelVendorOrder {
        /// Whose part.
        vendor: VendorId,
        /// Why.
        reason: String,
        /// When.
        at: DateTime<Utc>,
    },
    /// The vendor packed its part.
    PackVendorOrder {
        /// Whose part.
        vendor: VendorId,
        /// When.
        at: DateTime<Utc>,
    },
    /// The vendor shipped some or all remaining units.
    ShipVendorOrder {
        /// Whose part.
        vendor: VendorId,
        /// The carrier's tracking reference of this parcel.
        tracking: String,
        /// `(line_no, quantity)` in this parcel.
        lines: Vec<(u32, u32)>,
        /// When.
        at: DateTime<Utc>,
    },
    /// The buyer confirmed they received a fully shipped vendor order.
    ConfirmDelivery {
        /// Whose part.
        vendor: VendorId,
        /// When.
        at: DateTime<Utc>,
    },
    /// Scheduled at `auto_confirm_at`: deliver if the buyer stayed silent.
    AutoConfirmDelivery {
        /// Whose part.
        vendor: VendorId,
        /// When the scheduler fired.
        at: DateTime<Utc>,
    },
    /// The buyer asks to send shipped units back.
    RequestReturn {
        /// Whose part.
        vendor: VendorId,
        /// `(line_no, quantity)` to return.
        lines: Vec<(u32, u32)>,
        /// Why.
        reason: String,
        /// When.
        at: DateTime<Utc>,
    },
    /// The vendor received returned units and inspected them.
    ReceiveReturn {
        /// Whose part.
        vendor: VendorId,
        /// What arrived, per line.
        lines: Vec<ReturnReceipt>,
        /// When.
        at: DateTime<Utc>,
    },
    /// Close a delivered vendor order so its share can be released.
    CompleteVendorOrder {
        /// Whose part.
        vendor: VendorId,
        /// When.
        at: DateTime<Utc>,
    },
}

/// One cart line at checkout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineInput {
    /// The listing.
    pub product: ProductId,
    /// The stock keeping unit to reserve.
    pub sku: Sku,
    /// The warehouse to reserve it in.
    pub warehouse: WarehouseId,
    /// Who sells it; decides the vendor order.
    pub vendor: VendorId,
    /// What the buyer saw, 1 to 200 characters.
    pub title: String,
    /// Units, 1 to [`MAX_QUANTITY`](super::MAX_QUANTITY).
    pub quantity: u32,
    /// Price of one unit, positive, in the order currency.
    pub unit_price: Money,
}

/// What arrived back for one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnReceipt {
    /// The order line.
    pub line_no: u32,
    /// Units received, 1 or more.
    pub received: u32,
    /// Of those, units too damaged to sell again.
    pub damaged: u32,
}
