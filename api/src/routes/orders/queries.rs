//! The order queries, over the `orders` read model (`read.orders`,
//! `read.order_lines`, `read.vendor_orders`; see docs/read-models/orders.md).

use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::{IntoParams, ToSchema};

use super::access;
use crate::http::auth::{Principal, Role};
use crate::http::extract::ApiQuery;
use crate::http::problem::Problem;
use crate::read::{self, decode_cursor, Page};
use crate::routes::common::Consistency;
use crate::routes::responses::QueryFailures;
use crate::routes::schemas::Id;
use crate::state::AppState;

/// The read model these queries read.
const MODEL: &[&str] = &["orders"];

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

/// Filters and paging of order lists.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct OrderFilter {
    /// Only orders in this status.
    pub status: Option<String>,
    /// Only this buyer's orders (admins and auditors; buyers see their own).
    pub buyer_id: Option<String>,
    /// Placed at or after.
    pub placed_from: Option<DateTime<Utc>>,
    /// Placed before.
    pub placed_to: Option<DateTime<Utc>>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Wait until the read model has applied this command position.
    #[param(pattern = "^[0-9]{1,18}-[0-9]{1,18}$")]
    pub min_position: Option<String>,
}

const ORDER_COLUMNS: &str = "order_id, buyer_id, currency, total, status, fee_rate_bps, placed_at, \
    payment_due_at, paid_at, payment_id, cancelled_at, cancel_reason, refunded_total, vendor_count, updated_at";
const VENDOR_ORDER_COLUMNS: &str = "order_id, vendor_id, buyer_id, status, subtotal, refunded, currency, \
    tracking, packed_at, shipped_at, delivered_at, delivery_confirmed_by, auto_confirm_at, completed_at, \
    cancelled_at, placed_at, updated_at";

/// Orders, newest first. Buyers see their own; vendors use
/// `/v1/vendors/{vendor_id}/orders`.
#[utoipa::path(get, path = "/orders", tag = "orders", params(OrderFilter),
    responses((status = 200, body = Page<OrderRow>), QueryFailures), security(("bearer" = [])))]
pub(super) async fn list(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(filter): ApiQuery<OrderFilter>,
) -> Result<Json<Page<OrderRow>>, Problem> {
    let db = state.read_pool();
    let buyer = match principal.role {
        Role::Buyer => Some(principal.sub.clone()),
        Role::Vendor => {
            return Err(Problem::forbidden(
                "vendors list their orders under /v1/vendors/{vendor_id}/orders",
            ))
        }
        Role::Agent => {
            return Err(Problem::forbidden(
                "agents see only their escrows and commissions",
            ))
        }
        Role::Admin | Role::Auditor => filter.buyer_id.clone(),
    };
    let limit = read::limit(filter.limit)?;
    let after: Option<(DateTime<Utc>, String)> =
        filter.cursor.as_deref().map(decode_cursor).transpose()?;
    read::wait_for(&db, MODEL, filter.min_position.as_deref(), state.read_wait).await?;
    let rows: Vec<OrderRow> = sqlx::query_as(&format!(
        "select {ORDER_COLUMNS} from read.orders \
          where ($1::text is null or buyer_id = $1) and ($2::text is null or status = $2) \
            and ($3::timestamptz is null or placed_at >= $3) and ($4::timestamptz is null or placed_at < $4) \
            and ($5::timestamptz is null or (placed_at, order_id) < ($5, $6)) \
          order by placed_at desc, order_id desc limit $7"
    ))
    .bind(buyer)
    .bind(&filter.status)
    .bind(filter.placed_from)
    .bind(filter.placed_to)
    .bind(after.as_ref().map(|a| a.0))
    .bind(after.as_ref().map(|a| a.1.clone()))
    .bind(i64::from(limit) + 1)
    .fetch_all(&db.pool)
    .await?;
    Ok(Json(Page::from_rows(rows, limit, |r| {
        (r.placed_at, r.order_id.clone())
    })))
}

/// One order with its lines and vendor orders (its buyer, admins, auditors).
#[utoipa::path(get, path = "/orders/{order_id}", tag = "orders",
    params(("order_id" = Id, Path), Consistency),
    responses((status = 200, body = OrderDetail), QueryFailures), security(("bearer" = [])))]
pub(super) async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(order): Path<String>,
    ApiQuery(consistency): ApiQuery<Consistency>,
) -> Result<Json<OrderDetail>, Problem> {
    let db = state.read_pool();
    let order = access::order_id(&order)?;
    read::wait_for(
        &db,
        MODEL,
        consistency.min_position.as_deref(),
        state.read_wait,
    )
    .await?;
    let row: Option<OrderRow> = sqlx::query_as(&format!(
        "select {ORDER_COLUMNS} from read.orders where order_id = $1"
    ))
    .bind(order.as_ref())
    .fetch_optional(&db.pool)
    .await?;
    let visible = row.filter(|row| {
        principal.sees_everything()
            || (principal.role == Role::Buyer && row.buyer_id == principal.sub)
    });
    let Some(row) = visible else {
        return Err(Problem::not_found(format!("no order {order}")));
    };
    Ok(Json(OrderDetail {
        lines: lines(&db.pool, order.as_ref(), None).await?,
        vendor_orders: vendor_orders(&db.pool, order.as_ref(), None).await?,
        order: row,
    }))
}

async fn lines(
    db: &PgPool,
    order: &str,
    vendor: Option<&str>,
) -> Result<Vec<OrderLineRow>, Problem> {
    Ok(sqlx::query_as(
        "select order_id, line_no, vendor_id, product_id, sku, warehouse_id, title, quantity, unit_price, \
                line_total, shipped_quantity, return_requested_quantity, returned_quantity, \
                damaged_quantity, refunded_amount, currency \
           from read.order_lines where order_id = $1 and ($2::text is null or vendor_id = $2) \
          order by line_no",
    )
    .bind(order)
    .bind(vendor)
    .fetch_all(db)
    .await?)
}

async fn vendor_orders(
    db: &PgPool,
    order: &str,
    vendor: Option<&str>,
) -> Result<Vec<VendorOrderRow>, Problem> {
    Ok(sqlx::query_as(&format!(
        "select {VENDOR_ORDER_COLUMNS} from read.vendor_orders \
          where order_id = $1 and ($2::text is null or vendor_id = $2) order by vendor_id"
    ))
    .bind(order)
    .bind(vendor)
    .fetch_all(db)
    .await?)
}

/// Filters and paging of a vendor's orders.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct VendorOrderFilter {
    /// Only vendor orders in this status.
    pub status: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Wait until the read model has applied this command position.
    #[param(pattern = "^[0-9]{1,18}-[0-9]{1,18}$")]
    pub min_position: Option<String>,
}

/// A vendor's orders, newest first (that vendor, admins, auditors).
#[utoipa::path(get, path = "/vendors/{vendor_id}/orders", tag = "vendors",
    params(("vendor_id" = Id, Path), VendorOrderFilter),
    responses((status = 200, body = Page<VendorOrderRow>), QueryFailures), security(("bearer" = [])))]
pub(super) async fn vendor_list(
    State(state): State<AppState>,
    principal: Principal,
    Path(vendor): Path<String>,
    ApiQuery(filter): ApiQuery<VendorOrderFilter>,
) -> Result<Json<Page<VendorOrderRow>>, Problem> {
    let db = state.read_pool();
    principal.require_vendor(&vendor)?;
    let limit = read::limit(filter.limit)?;
    let after: Option<(DateTime<Utc>, String)> =
        filter.cursor.as_deref().map(decode_cursor).transpose()?;
    read::wait_for(&db, MODEL, filter.min_position.as_deref(), state.read_wait).await?;
    let rows: Vec<VendorOrderRow> = sqlx::query_as(&format!(
        "select {VENDOR_ORDER_COLUMNS} from read.vendor_orders \
          where vendor_id = $1 and ($2::text is null or status = $2) \
            and ($3::timestamptz is null or (placed_at, order_id) < ($3, $4)) \
          order by placed_at desc, order_id desc limit $5"
    ))
    .bind(&vendor)
    .bind(&filter.status)
    .bind(after.as_ref().map(|a| a.0))
    .bind(after.as_ref().map(|a| a.1.clone()))
    .bind(i64::from(limit) + 1)
    .fetch_all(&db.pool)
    .await?;
    Ok(Json(Page::from_rows(rows, limit, |r| {
        (r.placed_at, r.order_id.clone())
    })))
}

/// One vendor order with its lines (that vendor, admins, auditors).
#[utoipa::path(get, path = "/vendors/{vendor_id}/orders/{order_id}", tag = "vendors",
    params(("vendor_id" = Id, Path), ("order_id" = Id, Path), Consistency),
    responses((status = 200, body = VendorOrderDetail), QueryFailures), security(("bearer" = [])))]
pub(super) async fn vendor_get(
    State(state): State<AppState>,
    principal: Principal,
    Path((vendor, order)): Path<(String, String)>,
    ApiQuery(consistency): ApiQuery<Consistency>,
) -> Result<Json<VendorOrderDetail>, Problem> {
    let db = state.read_pool();
    principal.require_vendor(&vendor)?;
    read::wait_for(
        &db,
        MODEL,
        consistency.min_position.as_deref(),
        state.read_wait,
    )
    .await?;
    let Some(vendor_order) = vendor_orders(&db.pool, &order, Some(&vendor)).await?.pop() else {
        return Err(Problem::not_found(format!(
            "no order {order} of vendor {vendor}"
        )));
    };
    Ok(Json(VendorOrderDetail {
        lines: lines(&db.pool, &order, Some(&vendor)).await?,
        vendor_order,
    }))
}
