//! What a search asks and what it answers: plain serializable types the
//! API deserializes from a request and serializes back, identical for both
//! backends.
//!
//! The [`Scope`] is never part of what a client sends: the API sets it from
//! the authenticated principal (a buyer sees only its orders, a vendor only
//! its part of its orders), so [`OrderSearch`] and [`StockSearch`] are not
//! `Deserialize`; only the client's [`OrderQuery`] and [`StockQuery`] are.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::document::{BatchDoc, OrderDoc};
use super::schema::{CurrencyFilter, OrderStatusFilter};

/// Whose documents a search may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Scope {
    /// Everything (admins, auditors).
    All,
    /// The orders this buyer placed; stock availability without batches.
    Buyer(String),
    /// This vendor's part of the orders it sells in, every order-level
    /// field replaced by the part's own; its own stock, with batches.
    Vendor(String),
}

/// Order filters as a client sends them (every field optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct OrderQuery {
    /// Full text, web-search syntax: words (all must match), `"a phrase"`,
    /// `-excluded`, `a or b`.
    #[schema(
        max_length = 200,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub text: Option<String>,
    /// Any of these statuses (order statuses; vendor order statuses in
    /// vendor scope).
    #[schema(value_type = Vec<OrderStatusFilter>)]
    pub status: Vec<String>,
    /// Orders with a part sold by this vendor.
    #[schema(pattern = "^[A-Za-z0-9_.:@-]{1,64}$", max_length = 64)]
    pub vendor_id: Option<String>,
    /// Orders of this buyer.
    #[schema(pattern = "^[A-Za-z0-9_.:@-]{1,64}$", max_length = 64)]
    pub buyer_id: Option<String>,
    /// Placed at or after. Searches hold `placed_at` to the millisecond:
    /// a fraction of a millisecond rounds up to the next one.
    pub placed_from: Option<DateTime<Utc>>,
    /// Placed strictly before. To the millisecond, as `placed_from`.
    pub placed_before: Option<DateTime<Utc>>,
    /// ISO-4217 code; required with an amount range.
    #[schema(value_type = Option<CurrencyFilter>)]
    pub currency: Option<String>,
    /// Smallest total (subtotal in vendor scope), minor units, inclusive.
    #[schema(minimum = 0)]
    pub amount_min: Option<i64>,
    /// Largest total (subtotal in vendor scope), minor units, inclusive.
    #[schema(minimum = 0)]
    pub amount_max: Option<i64>,
    /// Hits per page: 1 to [`MAX_PAGE`], default [`DEFAULT_PAGE`].
    #[schema(minimum = 1, maximum = 100)]
    pub size: Option<u32>,
    /// `next_cursor` of the previous page.
    #[schema(pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$")]
    pub cursor: Option<String>,
}

/// Stock filters as a client sends them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct StockQuery {
    /// Full text over SKU, warehouse and batch ids.
    #[schema(
        max_length = 200,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub text: Option<String>,
    /// Exactly this SKU.
    #[schema(pattern = "^[A-Za-z0-9_.:@-]{1,64}$", max_length = 64)]
    pub sku: Option<String>,
    /// Exactly this warehouse.
    #[schema(pattern = "^[A-Za-z0-9_.:@-]{1,64}$", max_length = 64)]
    pub warehouse_id: Option<String>,
    /// At least this many available units.
    #[schema(maximum = 9_223_372_036_854_775_807_u64)]
    pub min_available: Option<u64>,
    /// With free units in a batch expiring strictly before this day.
    pub expiring_before: Option<NaiveDate>,
    /// Hits per page: 1 to [`MAX_PAGE`], default [`DEFAULT_PAGE`].
    #[schema(minimum = 1, maximum = 100)]
    pub size: Option<u32>,
    /// `next_cursor` of the previous page.
    #[schema(pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$")]
    pub cursor: Option<String>,
}

/// Default hits per page.
pub const DEFAULT_PAGE: u32 = 20;
/// Most hits per page.
pub const MAX_PAGE: u32 = 100;
/// Most matching orders the Postgres fallback groups into a search's
/// facets: beyond it, the facets count the newest this many (see
/// [`OrderFacets::exact`]), so a broad search costs what a narrow one does
/// (`docs/search.md`, "Facets").
pub const FACET_LIMIT: u64 = 1_000;

/// An order search: the client's query within the caller's scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderSearch {
    /// Set by the API from the principal.
    pub scope: Scope,
    /// The client's filters.
    pub query: OrderQuery,
}

/// A stock search: the client's query within the caller's scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StockSearch {
    /// Set by the API from the principal.
    pub scope: Scope,
    /// The client's filters.
    pub query: StockQuery,
}

/// Which backend answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// The Elasticsearch indices.
    Elasticsearch,
    /// The Postgres full-text fallback.
    Postgres,
}

/// How many documents match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Total {
    /// The count.
    pub value: u64,
    /// `false` when `value` is a lower bound: Elasticsearch stops counting
    /// at 10,000, and so does Postgres after the first page; on the first
    /// page Postgres answers the sum of the status facet (see
    /// `OrderFacets::exact`).
    pub exact: bool,
}

/// One page of orders, newest first (then by order id, descending).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OrderPage {
    /// The orders of the page, scoped (see [`Scope`]); `text` is omitted.
    pub hits: Vec<OrderDoc>,
    /// Matching orders over all pages.
    pub total: Total,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// Facets of the matching orders (see `exact`); on the first page only.
    pub facets: Option<OrderFacets>,
    /// Who answered.
    pub backend: Backend,
}

/// Counts by status and sales by vendor per day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OrderFacets {
    /// Matching orders per status, most frequent first (then by name).
    pub status: Vec<StatusCount>,
    /// Sales of the matching orders' vendor parts that were paid and not
    /// cancelled, per vendor, UTC day of checkout and currency; ordered by
    /// vendor, day, currency.
    pub sales: Vec<SalesBucket>,
    /// `true` when the facets count every matching order (always from
    /// Elasticsearch; from Postgres up to 1,000 matches, and always for an
    /// admin's or a vendor's search without filters). `false` when the
    /// Postgres fallback found more than 1,000 matches, more than it groups
    /// per request: the facets then count the newest 1,000 (the first
    /// 1,000 in the sort), and `total` is a lower bound.
    pub exact: bool,
    /// When `exact` is `false`: the `placed_at` of the oldest order
    /// counted. Every matching order placed after it is counted, so the
    /// sales buckets of the days after its day are complete.
    pub counted_since: Option<DateTime<Utc>>,
}

/// Orders in one status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StatusCount {
    /// The status.
    pub status: String,
    /// How many.
    pub count: u64,
}

/// One vendor's sales on one day in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SalesBucket {
    /// The vendor.
    pub vendor_id: String,
    /// UTC day of checkout.
    pub day: NaiveDate,
    /// ISO-4217 code of the amounts.
    pub currency: String,
    /// Vendor orders counted.
    pub orders: u64,
    /// Sum of their subtotals, minor units.
    pub gross: i64,
    /// Sum refunded on them, minor units.
    pub refunded: i64,
}

/// One stock as a search shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StockHit {
    /// `sku@warehouse`.
    pub stock_id: String,
    /// The SKU.
    pub sku: String,
    /// The warehouse.
    pub warehouse_id: String,
    /// The vendor owning the stock.
    pub vendor_id: Option<String>,
    /// Reservable units on the date of `as_of`.
    pub available: u64,
    /// When `available` was computed for.
    pub as_of: DateTime<Utc>,
    /// Earliest expiry among batches with free units.
    pub next_expiry: Option<NaiveDate>,
    /// Units on hand; not shown to buyers.
    pub on_hand: Option<u64>,
    /// Units reserved; not shown to buyers.
    pub reserved: Option<u64>,
    /// The batches that hold units (on hand or reserved), by id; not shown
    /// to buyers. `on_hand` and `reserved` count every batch.
    pub batches: Option<Vec<BatchDoc>>,
}

/// One page of stock, by stock id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StockPage {
    /// The stocks of the page.
    pub hits: Vec<StockHit>,
    /// Matching stocks over all pages.
    pub total: Total,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// Who answered.
    pub backend: Backend,
}
