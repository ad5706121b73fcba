//! The search documents: what one order and one stock look like to search,
//! folded from their events.
//!
//! The same JSON is the Elasticsearch `_source` and the `doc` column of the
//! Postgres fallback, so both backends answer from identical documents.
//! Money is integer minor units beside an ISO-4217 `currency`, never a
//! float. `text` fields hold everything full-text search matches; the
//! vendor parts carry their own `text` so a vendor's search matches only
//! its own lines.
//!
//! `placed_at`, the time searches sort, page and filter on, is kept to the
//! millisecond ([`to_millisecond`]): Elasticsearch's `date` holds
//! milliseconds, so a document holding microseconds would sort and compare
//! in Elasticsearch at another instant than in Postgres.

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The persisted aggregate types whose events become documents.
pub const ORDER_TYPE: &str = "Order";
/// See [`ORDER_TYPE`].
pub const STOCK_TYPE: &str = "InventoryReservation";

/// One order: the buyer, every vendor's part with its lines, statuses,
/// amounts and dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OrderDoc {
    /// The order (the aggregate id; the document id).
    pub order_id: String,
    /// Who bought.
    pub buyer_id: String,
    /// The order status (`AWAITING_PAYMENT`, `PAID`, …).
    pub status: String,
    /// ISO-4217 code of every amount in the document.
    pub currency: String,
    /// Sum of the vendor subtotals, minor units.
    pub total: i64,
    /// Refunded so far over all vendor parts, minor units.
    pub refunded: i64,
    /// Checkout time, to the millisecond (truncated).
    pub placed_at: DateTime<Utc>,
    /// When the payment was confirmed.
    pub paid_at: Option<DateTime<Utc>>,
    /// When the order was closed by cancellation or payment expiry.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// When the last folded event was recorded.
    pub updated_at: DateTime<Utc>,
    /// One part per vendor, in cart order.
    pub vendors: Vec<VendorPart>,
    /// Full text of the whole order: id, buyer, vendors, titles, SKUs.
    pub text: String,
}

/// One vendor's part of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VendorPart {
    /// The vendor.
    pub vendor_id: String,
    /// The vendor order status (`CREATED`, `PAID`, …).
    pub status: String,
    /// Sum of its line totals (as completed), minor units.
    pub subtotal: i64,
    /// Refunded on it so far, minor units.
    pub refunded: i64,
    /// The order's currency, repeated so nested aggregations can group by it.
    pub currency: String,
    /// The order's checkout time (to the millisecond), repeated for
    /// per-day aggregations.
    pub placed_at: DateTime<Utc>,
    /// Parcel tracking reference of the last shipment.
    pub tracking: Option<String>,
    /// When it was packed.
    pub packed_at: Option<DateTime<Utc>>,
    /// When its last parcel left.
    pub shipped_at: Option<DateTime<Utc>>,
    /// When the buyer had it.
    pub delivered_at: Option<DateTime<Utc>>,
    /// When it was closed after delivery.
    pub completed_at: Option<DateTime<Utc>>,
    /// When it was cancelled.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Its lines, in cart order.
    pub lines: Vec<LineDoc>,
    /// Full text of this part only: vendor, titles, SKUs, products.
    pub text: String,
}

/// One order line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LineDoc {
    /// Position in the cart, from 1.
    pub line_no: u32,
    /// The listing.
    pub product_id: String,
    /// The stock keeping unit.
    pub sku: String,
    /// Where it ships from.
    pub warehouse_id: String,
    /// What the buyer saw.
    pub title: String,
    /// Units ordered.
    pub quantity: u32,
    /// Price of one unit, minor units.
    pub unit_price: i64,
    /// `unit_price × quantity`, minor units.
    pub line_total: i64,
    /// Units shipped so far.
    pub shipped: u32,
    /// Units received back so far.
    pub returned: u32,
    /// Refunded on this line so far (by a cancellation or returns), minor units.
    pub refunded: i64,
}

/// What can be sold of one SKU in one warehouse, down to the batches that
/// hold units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StockDoc {
    /// `sku@warehouse`: the aggregate id and the document id.
    pub stock_id: String,
    /// The stock keeping unit.
    pub sku: String,
    /// The warehouse.
    pub warehouse_id: String,
    /// The vendor owning the stock (the one that received its first batch).
    pub vendor_id: Option<String>,
    /// Reservable units on the date of `as_of`, as the latest event said.
    pub available: u64,
    /// Units on hand over all batches.
    pub on_hand: u64,
    /// Units reserved over all batches.
    pub reserved: u64,
    /// The date `available` was computed for.
    pub as_of: DateTime<Utc>,
    /// Earliest expiry among batches with free units.
    pub next_expiry: Option<NaiveDate>,
    /// The batches that hold units (on hand or reserved), by batch id; a
    /// batch sold out, adjusted to nothing or written off is left out
    /// (`on_hand` and `reserved` still count every batch).
    pub batches: Vec<BatchDoc>,
    /// When the last folded event was recorded.
    pub updated_at: DateTime<Utc>,
    /// Full text: stock id, SKU, warehouse, the listed batches' ids.
    pub text: String,
}

/// One batch that holds units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BatchDoc {
    /// The batch.
    pub batch_id: String,
    /// Its last good day; `None` if it does not perish.
    pub expires_on: Option<NaiveDate>,
    /// Units on hand.
    pub on_hand: u64,
    /// Units reserved.
    pub reserved: u64,
    /// `on_hand - reserved`.
    pub free: u64,
}

/// `at` truncated to the millisecond: the resolution of every time a
/// search sorts, pages or filters on, on both backends.
pub fn to_millisecond(at: DateTime<Utc>) -> DateTime<Utc> {
    let nanos = at.nanosecond();
    at.with_nanosecond(nanos - nanos % 1_000_000).unwrap_or(at)
}

/// A document with the version Elasticsearch compares (`version_type=external`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned<D> {
    /// The document.
    pub doc: D,
    /// Sequence, in its aggregate's stream, of the last event folded into
    /// it: strictly increasing per document, identical in every rebuild.
    pub version: i64,
}
