//! The stock queries, over the `stock` read model (`read.stock_levels`,
//! `read.stock_batches`, `read.stock_reservations`, `read.stock_movements`;
//! see docs/read-models/stock.md).

use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::access;
use crate::http::auth::{Principal, Role};
use crate::http::extract::ApiQuery;
use crate::http::problem::Problem;
use crate::read::{self, decode_cursor, Page};
use crate::routes::common::Consistency;
use crate::routes::responses::QueryFailures;
use crate::routes::schemas::Id;
use crate::state::AppState;

const MODEL: &[&str] = &["stock"];

/// Availability of one SKU in one warehouse.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct StockLevelRow {
    pub sku: String,
    pub warehouse_id: String,
    pub stock_id: String,
    pub vendor_id: Option<String>,
    pub available: i64,
    pub on_hand: i64,
    pub reserved: i64,
    pub batches: i32,
    pub as_of: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One batch (lot) of a stock.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct StockBatchRow {
    pub batch_id: String,
    pub expires_on: Option<NaiveDate>,
    pub on_hand: i64,
    pub reserved: i64,
    pub free: Option<i64>,
    pub written_off: bool,
    pub written_off_on: Option<NaiveDate>,
    pub received_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// One hold on a stock.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct StockReservationRow {
    pub reservation_id: String,
    pub quantity: i64,
    /// `active`, `committed`, `released` or `expired`.
    pub status: String,
    pub expires_at: DateTime<Utc>,
    pub ship_on: NaiveDate,
    pub min_shelf_life_days: i32,
    /// Units per batch, first expiry first.
    pub allocations: serde_json::Value,
    pub release_reason: Option<String>,
    pub reserved_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// One change of a batch's units.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct StockMovementRow {
    pub event_id: Uuid,
    pub batch_id: String,
    pub kind: String,
    pub reservation_id: Option<String>,
    pub on_hand_delta: i64,
    pub reserved_delta: i64,
    pub on_hand_after: i64,
    pub reserved_after: i64,
    pub occurred_at: DateTime<Utc>,
    pub position: i64,
}

/// A stock with its batches and active holds.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StockDetail {
    pub level: StockLevelRow,
    pub batches: Vec<StockBatchRow>,
    pub active_reservations: Vec<StockReservationRow>,
}

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

const LEVEL_COLUMNS: &str =
    "sku, warehouse_id, stock_id, vendor_id, available, on_hand, reserved, batches, as_of, updated_at";

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
    let limit = read::limit(filter.limit)?;
    let after: Option<(String, String)> =
        filter.cursor.as_deref().map(decode_cursor).transpose()?;
    read::wait_for(&db, MODEL, filter.min_position.as_deref(), state.read_wait).await?;
    let rows: Vec<StockLevelRow> = sqlx::query_as(&format!(
        "select {LEVEL_COLUMNS} from read.stock_levels \
          where ($1::text is null or vendor_id = $1) and ($2::text is null or sku = $2) \
            and ($3::text is null or warehouse_id = $3) \
            and ($4::text is null or (sku, warehouse_id) > ($4, $5)) \
          order by sku, warehouse_id limit $6"
    ))
    .bind(vendor)
    .bind(&filter.sku)
    .bind(&filter.warehouse_id)
    .bind(after.as_ref().map(|a| a.0.clone()))
    .bind(after.as_ref().map(|a| a.1.clone()))
    .bind(i64::from(limit) + 1)
    .fetch_all(&db.pool)
    .await?;
    Ok(Json(Page::from_rows(rows, limit, |r| {
        (r.sku.clone(), r.warehouse_id.clone())
    })))
}

async fn level(
    db: &PgPool,
    principal: &Principal,
    sku: &str,
    warehouse: &str,
) -> Result<StockLevelRow, Problem> {
    let (sku, warehouse, id) = access::stock(sku, warehouse)?;
    let vendor = reader(principal, None)?;
    let row: Option<StockLevelRow> = sqlx::query_as(&format!(
        "select {LEVEL_COLUMNS} from read.stock_levels where sku = $1 and warehouse_id = $2"
    ))
    .bind(sku.as_ref())
    .bind(warehouse.as_ref())
    .fetch_optional(db)
    .await?;
    row.filter(|row| vendor.is_none() || row.vendor_id == vendor)
        .ok_or_else(|| Problem::not_found(format!("no stock {id}")))
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
    let level = level(&db.pool, &principal, &sku, &warehouse).await?;
    let batches = sqlx::query_as(
        "select batch_id, expires_on, on_hand, reserved, free, written_off, written_off_on, received_at, \
                updated_at from read.stock_batches where sku = $1 and warehouse_id = $2 \
          order by expires_on nulls last, batch_id",
    )
    .bind(&level.sku)
    .bind(&level.warehouse_id)
    .fetch_all(&db.pool)
    .await?;
    let active_reservations = sqlx::query_as(
        "select reservation_id, quantity, status, expires_at, ship_on, min_shelf_life_days, allocations, \
                release_reason, reserved_at, ended_at from read.stock_reservations \
          where sku = $1 and warehouse_id = $2 and status = 'active' order by expires_at, reservation_id",
    )
    .bind(&level.sku)
    .bind(&level.warehouse_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(Json(StockDetail {
        level,
        batches,
        active_reservations,
    }))
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
    let limit = read::limit(page.limit)?;
    let after: Option<(i64, String)> = page.cursor.as_deref().map(decode_cursor).transpose()?;
    read::wait_for(&db, MODEL, page.min_position.as_deref(), state.read_wait).await?;
    let level = level(&db.pool, &principal, &sku, &warehouse).await?;
    let rows: Vec<StockMovementRow> = sqlx::query_as(
        "select event_id, batch_id, kind, reservation_id, on_hand_delta, reserved_delta, on_hand_after, \
                reserved_after, occurred_at, position from read.stock_movements \
          where sku = $1 and warehouse_id = $2 and ($3::bigint is null or (position, batch_id) > ($3, $4)) \
          order by position, batch_id limit $5",
    )
    .bind(&level.sku)
    .bind(&level.warehouse_id)
    .bind(after.as_ref().map(|a| a.0))
    .bind(after.as_ref().map(|a| a.1.clone()))
    .bind(i64::from(limit) + 1)
    .fetch_all(&db.pool)
    .await?;
    Ok(Json(Page::from_rows(rows, limit, |r| {
        (r.position, r.batch_id.clone())
    })))
}
