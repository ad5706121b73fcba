//! The order queries, over the `orders` read model (`read.orders`,
//! `read.order_lines`, `read.vendor_orders`; see docs/read-models/orders.md).
//! The statements are the read model's
//! (`bazaar_projections::read_models::orders::queries`); these handlers
//! check who may read what, page, wait for `min_position` and answer.

use axum::extract::{Path, State};
use axum::Json;
use bazaar_projections::read_models::orders::queries as orders;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use super::access;
use crate::http::auth::{Principal, Role};
use crate::http::extract::ApiQuery;
use crate::http::problem::Problem;
use crate::read::{self, Page, Paging};
use crate::routes::common::Consistency;
use crate::routes::responses::QueryFailures;
use crate::routes::schemas::Id;
use crate::state::AppState;

pub use orders::{OrderDetail, OrderLineRow, OrderRow, VendorOrderDetail, VendorOrderRow};

/// The read model these queries read.
const MODEL: &[&str] = &["orders"];

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
    let paging = Paging {
        limit: filter.limit,
        cursor: filter.cursor.as_deref(),
        min_position: filter.min_position.as_deref(),
    };
    let wanted = orders::OrderFilter {
        buyer_id: buyer,
        status: filter.status,
        placed_from: filter.placed_from,
        placed_to: filter.placed_to,
    };
    let page = read::list(
        &db,
        (MODEL, state.read_wait),
        paging,
        |after, limit| orders::list(&db.pool, &wanted, after, limit),
        |r| (r.placed_at, r.order_id.clone()),
    )
    .await?;
    Ok(Json(page))
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
    let detail = orders::detail(&db.pool, order.as_ref()).await?;
    let visible = detail.filter(|detail| {
        principal.sees_everything()
            || (principal.role == Role::Buyer && detail.order.buyer_id == principal.sub)
    });
    visible
        .map(Json)
        .ok_or_else(|| Problem::not_found(format!("no order {order}")))
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
    let paging = Paging {
        limit: filter.limit,
        cursor: filter.cursor.as_deref(),
        min_position: filter.min_position.as_deref(),
    };
    let status = filter.status.as_deref();
    let page = read::list(
        &db,
        (MODEL, state.read_wait),
        paging,
        |after, limit| orders::vendor_list(&db.pool, &vendor, status, after, limit),
        |r| (r.placed_at, r.order_id.clone()),
    )
    .await?;
    Ok(Json(page))
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
    orders::vendor_detail(&db.pool, &order, &vendor)
        .await?
        .map(Json)
        .ok_or_else(|| Problem::not_found(format!("no order {order} of vendor {vendor}")))
}
