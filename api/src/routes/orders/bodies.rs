//! Request bodies of the order commands. Ids, money and currencies are
//! checked while the body is read, so a bad one is a 422 naming the field.

use crate::routes::schemas::{CurrencyCode, Id, Reason, Title, Tracking};
use bazaar_domain::ids::{BuyerId, PaymentId, ProductId, Sku, VendorId, WarehouseId};
use bazaar_domain::money::{Currency, Money};
use bazaar_domain::order::{LineInput, ReturnReceipt};
use bazaar_domain::text::Text;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::routes::common::MoneyDoc;

/// A checkout.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceOrderBody {
    /// The buyer; only admins set it, a buyer's token is its own buyer.
    #[schema(value_type = Option<Id>)]
    pub buyer: Option<BuyerId>,
    /// The order's currency; every unit price must be in it.
    #[schema(value_type = CurrencyCode)]
    pub currency: Currency,
    /// The cart, in order; line numbers are positions from 1.
    #[schema(min_items = 1, max_items = 500)]
    pub lines: Vec<LineBody>,
}

/// One cart line.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineBody {
    /// The listing.
    #[schema(value_type = Id)]
    pub product: ProductId,
    /// The stock keeping unit to reserve.
    #[schema(value_type = Id)]
    pub sku: Sku,
    /// The warehouse to ship from.
    #[schema(value_type = Id)]
    pub warehouse: WarehouseId,
    /// Who sells it.
    #[schema(value_type = Id)]
    pub vendor: VendorId,
    /// What the buyer saw (1 to 200 characters).
    #[schema(value_type = Title)]
    pub title: Text,
    /// Units (1 to 1,000,000).
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub quantity: u32,
    /// Price of one unit, in the order's currency.
    #[schema(value_type = MoneyDoc)]
    pub unit_price: Money,
}

impl From<LineBody> for LineInput {
    fn from(line: LineBody) -> Self {
        Self {
            product: line.product,
            sku: line.sku,
            warehouse: line.warehouse,
            vendor: line.vendor,
            title: line.title.into(),
            quantity: line.quantity,
            unit_price: line.unit_price,
        }
    }
}

/// A captured payment, as the payment provider reported it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmPaymentBody {
    /// The capture's id at the provider.
    #[schema(value_type = Id)]
    pub payment_id: PaymentId,
    /// What was captured.
    #[schema(value_type = MoneyDoc)]
    pub amount: Money,
}

/// Units of one line.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineQuantity {
    /// The order line.
    #[schema(minimum = 1)]
    pub line_no: u32,
    /// Units (1 to 1,000,000).
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub quantity: u32,
}

/// A parcel.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipBody {
    /// The carrier's tracking reference.
    #[schema(value_type = Tracking)]
    pub tracking: Text,
    /// The units in this parcel, per line (each line once).
    #[schema(min_items = 1)]
    pub lines: Vec<LineQuantity>,
}

/// A return request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnBody {
    /// Units to send back, per line (each line once).
    #[schema(min_items = 1)]
    pub lines: Vec<LineQuantity>,
    /// Why.
    #[schema(value_type = Reason)]
    pub reason: Text,
}

/// Returned units as received and inspected.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiveReturnBody {
    /// Per line: units received, and of those, too damaged to resell
    /// (each line once).
    #[schema(min_items = 1)]
    pub lines: Vec<ReceiptBody>,
}

/// One line of a return receipt.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptBody {
    /// The order line.
    #[schema(minimum = 1)]
    pub line_no: u32,
    /// Units that arrived (1 to 1,000,000).
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub received: u32,
    /// Of those, units that cannot be sold again (at most `received`).
    #[schema(maximum = 1_000_000)]
    pub damaged: u32,
}

impl From<ReceiptBody> for ReturnReceipt {
    fn from(receipt: ReceiptBody) -> Self {
        Self {
            line_no: receipt.line_no,
            received: receipt.received,
            damaged: receipt.damaged,
        }
    }
}

/// `(line_no, quantity)` pairs, as the domain takes them.
pub(super) fn pairs(lines: &[LineQuantity]) -> Vec<(u32, u32)> {
    lines.iter().map(|l| (l.line_no, l.quantity)).collect()
}
