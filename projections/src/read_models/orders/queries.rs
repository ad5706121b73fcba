//! What readers ask the orders read model (`read.orders`,
//! `read.order_lines`, `read.vendor_orders`; docs/read-models/orders.md),
//! as typed functions over any pool: the API's handlers call them on the
//! pool their read-your-writes wait ran on, and keep who may see what.
//!
//! The statements live here, next to the tables they read, because the
//! module that writes a table owns its statements
//! (docs/adr/0002-runtime-checked-sql.md): a change of a table and of its
//! readers is one change in one place. Each query is one statement; a
//! detail brings its child rows as JSON arrays (`line_rows`,
//! `vendor_order_rows`), decoded into typed rows.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::PgPool;
use utoipa::ToSchema;

/// An order as the read model shows it. Money: minor units of `currency`.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct OrderRow {
    pub order_id: String,
    pub buyer_id: String,
    pub currency: String,
    pub total: i64,
    /// Derived from the vendor orders: `AWAITING_PAYMENT`, `PAID`,
    /// `PARTIALLY_SHIPPED`, `SHIPPED`, `PARTIALLY_DELIVERED`, `DELIVERED`,
    /// `COMPLETED`, `CANCELLED` or `PAYMENT_EXPIRED`.
    pub status: String,
    pub fee_rate_bps: i32,
    pub placed_at: DateTime<Utc>,
    pub payment_due_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub payment_id: Option<String>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub refunded_total: i64,
    pub vendor_count: i32,
    pub updated_at: DateTime<Utc>,
}

/// One order line.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct OrderLineRow {
    pub order_id: String,
    pub line_no: i32,
    pub vendor_id: String,
    pub product_id: String,
    pub sku: String,
    pub warehouse_id: String,
    pub title: String,
    pub quantity: i32,
    pub unit_price: i64,
    pub line_total: i64,
    pub shipped_quantity: i32,
    pub return_requested_quantity: i32,
    pub returned_quantity: i32,
    pub damaged_quantity: i32,
    pub refunded_amount: i64,
    pub currency: String,
}

/// One vendor's part of an order.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct VendorOrderRow {
    pub order_id: String,
    pub vendor_id: String,
    pub buyer_id: String,
    /// `CREATED`, `PAID`, `PACKED`, `PARTIALLY_SHIPPED`, `SHIPPED`, `DELIVERED`,
    /// `COMPLETED` or `CANCELLED`.
    pub status: String,
    pub subtotal: i64,
    pub refunded: i64,
    pub currency: String,
    pub tracking: Option<String>,
    pub packed_at: Option<DateTime<Utc>>,
    pub shipped_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub delivery_confirmed_by: Option<String>,
    pub auto_confirm_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub placed_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An order with its lines and vendor orders.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderDetail {
    pub order: OrderRow,
    pub lines: Vec<OrderLineRow>,
    pub vendor_orders: Vec<VendorOrderRow>,
}

/// A vendor order with its lines.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VendorOrderDetail {
    pub vendor_order: VendorOrderRow,
    pub lines: Vec<OrderLineRow>,
}

/// Where a row sits in the newest-first lists: `(placed_at, order_id)`.
pub type PlacedKey = (DateTime<Utc>, String);

/// The filters of [`list`]; `None` filters nothing.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    /// Only this buyer's orders.
    pub buyer_id: Option<String>,
    /// Only orders in this status.
    pub status: Option<String>,
    /// Placed at or after.
    pub placed_from: Option<DateTime<Utc>>,
    /// Placed before.
    pub placed_to: Option<DateTime<Utc>>,
}

const ORDER_COLUMNS: &str = "order_id, buyer_id, currency, total, status, fee_rate_bps, placed_at, \
    payment_due_at, paid_at, payment_id, cancelled_at, cancel_reason, refunded_total, vendor_count, updated_at";
const LINE_COLUMNS: &str = "order_id, line_no, vendor_id, product_id, sku, warehouse_id, title, \
    quantity, unit_price, line_total, shipped_quantity, return_requested_quantity, returned_quantity, \
    damaged_quantity, refunded_amount, currency";
const VENDOR_ORDER_COLUMNS: &str = "order_id, vendor_id, buyer_id, status, subtotal, refunded, currency, \
    tracking, packed_at, shipped_at, delivered_at, delivery_confirmed_by, auto_confirm_at, completed_at, \
    cancelled_at, placed_at, updated_at";

/// Orders matching `filter`, newest first, after `after`; at most `limit`.
pub async fn list(
    db: &PgPool,
    filter: &OrderFilter,
    after: Option<PlacedKey>,
    limit: i64,
) -> sqlx::Result<Vec<OrderRow>> {
    let (at, id) = after.unzip();
    sqlx::query_as(&format!(
        "select {ORDER_COLUMNS} from read.orders \
          where ($1::text is null or buyer_id = $1) and ($2::text is null or status = $2) \
            and ($3::timestamptz is null or placed_at >= $3) and ($4::timestamptz is null or placed_at < $4) \
            and ($5::timestamptz is null or (placed_at, order_id) < ($5, $6)) \
          order by placed_at desc, order_id desc limit $7"
    ))
    .bind(&filter.buyer_id)
    .bind(&filter.status)
    .bind(filter.placed_from)
    .bind(filter.placed_to)
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// An order row with its child rows as JSON arrays.
#[derive(sqlx::FromRow)]
struct DetailRow {
    #[sqlx(flatten)]
    order: OrderRow,
    line_rows: Json<Vec<OrderLineRow>>,
    vendor_order_rows: Json<Vec<VendorOrderRow>>,
}

/// One order with its lines (by line number) and vendor orders (by
/// vendor), in one statement.
pub async fn detail(db: &PgPool, order_id: &str) -> sqlx::Result<Option<OrderDetail>> {
    let row: Option<DetailRow> = sqlx::query_as(&format!(
        "select {ORDER_COLUMNS}, \
                coalesce((select json_agg(l order by l.line_no) from \
                          (select {LINE_COLUMNS} from read.order_lines where order_id = $1) l), \
                         '[]') as line_rows, \
                coalesce((select json_agg(v order by v.vendor_id) from \
                          (select {VENDOR_ORDER_COLUMNS} from read.vendor_orders where order_id = $1) v), \
                         '[]') as vendor_order_rows \
           from read.orders where order_id = $1"
    ))
    .bind(order_id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| OrderDetail {
        order: row.order,
        lines: row.line_rows.0,
        vendor_orders: row.vendor_order_rows.0,
    }))
}

/// A vendor's orders, optionally in one status, newest first, after
/// `after`; at most `limit`.
pub async fn vendor_list(
    db: &PgPool,
    vendor_id: &str,
    status: Option<&str>,
    after: Option<PlacedKey>,
    limit: i64,
) -> sqlx::Result<Vec<VendorOrderRow>> {
    let (at, id) = after.unzip();
    sqlx::query_as(&format!(
        "select {VENDOR_ORDER_COLUMNS} from read.vendor_orders \
          where vendor_id = $1 and ($2::text is null or status = $2) \
            and ($3::timestamptz is null or (placed_at, order_id) < ($3, $4)) \
          order by placed_at desc, order_id desc limit $5"
    ))
    .bind(vendor_id)
    .bind(status)
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// A vendor order row with its lines as a JSON array.
#[derive(sqlx::FromRow)]
struct VendorDetailRow {
    #[sqlx(flatten)]
    vendor_order: VendorOrderRow,
    line_rows: Json<Vec<OrderLineRow>>,
}

/// One vendor's part of an order with its lines (by line number), in one
/// statement.
pub async fn vendor_detail(
    db: &PgPool,
    order_id: &str,
    vendor_id: &str,
) -> sqlx::Result<Option<VendorOrderDetail>> {
    let row: Option<VendorDetailRow> = sqlx::query_as(&format!(
        "select {VENDOR_ORDER_COLUMNS}, \
                coalesce((select json_agg(l order by l.line_no) from \
                          (select {LINE_COLUMNS} from read.order_lines \
                            where order_id = $1 and vendor_id = $2) l), \
                         '[]') as line_rows \
           from read.vendor_orders where order_id = $1 and vendor_id = $2"
    ))
    .bind(order_id)
    .bind(vendor_id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| VendorOrderDetail {
        vendor_order: row.vendor_order,
        lines: row.line_rows.0,
    }))
}

/// Which of `order_ids` the read model holds (in no particular order).
pub async fn present(db: &PgPool, order_ids: &[&str]) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("select order_id from read.orders where order_id = any($1)")
        .bind(order_ids)
        .fetch_all(db)
        .await
}
