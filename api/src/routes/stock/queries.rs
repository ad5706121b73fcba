//! The stock queries, over the `stock` read model (`read.stock_levels`,
//! `read.stock_batches`, `read.stock_reservations`, `read.stock_movements`;
//! see docs/read-models/stock.md). The statements are the read model's
//! (`bazaar_projections::read_models::stock::queries`); these handlers
//! check who may read what, page, wait for `min_position` and answer.

use axum::extract::{Path, State};
use axum::Json;
use bazaar_projections::read_models::stock::queries as stock;
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

pub use stock::{StockBatchRow, StockDetail, StockLevelRow, StockMovementRow, StockReservationRow};

const MODEL: &[&str] = &["stock"];

/// Filters and paging of stock lists.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct StockFilter {
    /// Only this SKU.
    pub sku: Option<String>,
    /// Only this warehouse.
    pub warehouse_id: Option<String>,
    /// Only this vendor's stock (admins, auditors; vendors see their own).
    pub vendor_id: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Wait until the read model has applied this command position.
    #[param(pattern = "^[0-9]{1,18}-[0-9]{1,18}$")]
    pub min_position: Option<String>,
}

fn reader(principal: &Principal, asked: Option<String>) -> Result<Option<String>, Problem> {
    match principal.role {
        Role::Vendor => Ok(principal.vendor.as_ref().map(|v| v.as_ref().to_owned())),
        Role::Admin | Role::Auditor => Ok(asked),
        Role::Buyer => Err(Problem::forbidden("buyers see availability through search")),
        Role::Agent => Err(Problem::forbidden(
            "agents see only their escrows and commissions",
        )),
    }
}

/// Stock levels by SKU and warehouse (vendors: their own).
#[utoipa::path(get, path = "/stock", tag = "stock", params(StockFilter),
    responses((status = 200, body = Page<StockLevelRow>), QueryFailures), security(("bearer" = [])))]
pub(super) async fn list(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(filter): ApiQuery<StockFilter>,
) -> Result<Json<Page<StockLevelRow>>, Problem> {
    let db = state.read_pool();
    let vendor = reader(&principal, filter.vendor_id.clone())?;
    let paging = Paging {
        limit: filter.limit,
        cursor: filter.cursor.as_deref(),
        min_position: filter.min_position.as_deref(),
    };
    let wanted = stock::LevelFilter {
        vendor_id: vendor,
        sku: filter.sku,
        warehouse_id: filter.warehouse_id,
    };
    let page = read::list(
        &db,
        (MODEL, state.read_wait),
        paging,
        |after, limit| stock::list(&db.pool, &wanted, after, limit),
        |r| (r.sku.clone(), r.warehouse_id.clone()),
    )
    .await?;
    Ok(Json(page))
}

/// Whether a [`reader`] sees a stock of `owner`: a vendor its own, admins
/// and auditors (no vendor) any.
fn sees(reader: &Option<String>, owner: &Option<String>) -> bool {
    reader.is_none() || owner == reader
}

/// One stock with its batches and active holds.
#[utoipa::path(get, path = "/stock/{sku}/{warehouse}", tag = "stock",
    params(("sku" = Id, Path), ("warehouse" = Id, Path), Consistency),
    responses((status = 200, body = StockDetail), QueryFailures), security(("bearer" = [])))]
pub(super) async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path((sku, warehouse)): Path<(String, String)>,
    ApiQuery(consistency): ApiQuery<Consistency>,
) -> Result<Json<StockDetail>, Problem> {
    let db = state.read_pool();
    read::wait_for(
        &db,
        MODEL,
        consistency.min_position.as_deref(),
        state.read_wait,
    )
    .await?;
    let (sku, warehouse, id) = access::stock(&sku, &warehouse)?;
    let vendor = reader(&principal, None)?;
    let detail = stock::detail(&db.pool, sku.as_ref(), warehouse.as_ref()).await?;
    match detail {
        Some(detail) if sees(&vendor, &detail.level.vendor_id) => Ok(Json(detail)),
        _ => Err(Problem::not_found(format!("no stock {id}"))),
    }
}

/// Paging of movements.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct MovementPage {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Wait until the read model has applied this command position.
    #[param(pattern = "^[0-9]{1,18}-[0-9]{1,18}$")]
    pub min_position: Option<String>,
}

/// Every change of the stock's batches, oldest first.
#[utoipa::path(get, path = "/stock/{sku}/{warehouse}/movements", tag = "stock",
    params(("sku" = Id, Path), ("warehouse" = Id, Path), MovementPage),
    responses((status = 200, body = Page<StockMovementRow>), QueryFailures), security(("bearer" = [])))]
pub(super) async fn movements(
    State(state): State<AppState>,
    principal: Principal,
    Path((sku, warehouse)): Path<(String, String)>,
    ApiQuery(page): ApiQuery<MovementPage>,
) -> Result<Json<Page<StockMovementRow>>, Problem> {
    let db = state.read_pool();
    let paging = Paging {
        limit: page.limit,
        cursor: page.cursor.as_deref(),
        min_position: page.min_position.as_deref(),
    };
    let pool = &db.pool;
    let fetch = |after, limit| async move {
        let (sku, warehouse, id) = access::stock(&sku, &warehouse)?;
        let vendor = reader(&principal, None)?;
        let stock = (sku.as_ref(), warehouse.as_ref());
        match stock::movements(pool, stock, after, limit).await? {
            Some(found) if sees(&vendor, &found.vendor_id) => Ok(found.rows.0),
            _ => Err(Problem::not_found(format!("no stock {id}"))),
        }
    };
    let page = read::list(&db, (MODEL, state.read_wait), paging, fetch, |r| {
        (r.position, r.batch_id.clone())
    })
    .await?;
    Ok(Json(page))
}
