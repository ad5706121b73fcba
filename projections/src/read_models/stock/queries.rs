//! What readers ask the stock read model (`read.stock_levels`,
//! `read.stock_batches`, `read.stock_reservations`, `read.stock_movements`;
//! docs/read-models/stock.md), as typed functions over any pool: the API's
//! handlers call them on the pool their read-your-writes wait ran on, and
//! keep who may see what.
//!
//! The statements live here, next to the tables they read, because the
//! module that writes a table owns its statements
//! (docs/adr/0002-runtime-checked-sql.md). Each query is one statement: a
//! detail brings its batches and holds as JSON arrays, named `batch_rows`
//! and `reservation_rows` so they cannot clash with the level's own
//! `batches` column, and decoded into typed rows.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

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

/// The filters of [`list`]; `None` filters nothing.
#[derive(Debug, Clone, Default)]
pub struct LevelFilter {
    /// Only this vendor's stock.
    pub vendor_id: Option<String>,
    /// Only this SKU.
    pub sku: Option<String>,
    /// Only this warehouse.
    pub warehouse_id: Option<String>,
}

/// Where a level sits in the list: `(sku, warehouse_id)`.
pub type LevelKey = (String, String);
/// Where a movement sits in a stock's movements: `(position, batch_id)`.
pub type MovementKey = (i64, String);

const LEVEL_COLUMNS: &str =
    "sku, warehouse_id, stock_id, vendor_id, available, on_hand, reserved, batches, as_of, updated_at";
const BATCH_COLUMNS: &str = "batch_id, expires_on, on_hand, reserved, free, written_off, \
    written_off_on, received_at, updated_at";
const RESERVATION_COLUMNS: &str = "reservation_id, quantity, status, expires_at, ship_on, \
    min_shelf_life_days, allocations, release_reason, reserved_at, ended_at";
const MOVEMENT_COLUMNS: &str = "event_id, batch_id, kind, reservation_id, on_hand_delta, \
    reserved_delta, on_hand_after, reserved_after, occurred_at, position";

/// Stock levels matching `filter` by SKU and warehouse, after `after`; at
/// most `limit`.
pub async fn list(
    db: &PgPool,
    filter: &LevelFilter,
    after: Option<LevelKey>,
    limit: i64,
) -> sqlx::Result<Vec<StockLevelRow>> {
    let (sku, warehouse) = after.unzip();
    sqlx::query_as(&format!(
        "select {LEVEL_COLUMNS} from read.stock_levels \
          where ($1::text is null or vendor_id = $1) and ($2::text is null or sku = $2) \
            and ($3::text is null or warehouse_id = $3) \
            and ($4::text is null or (sku, warehouse_id) > ($4, $5)) \
          order by sku, warehouse_id limit $6"
    ))
    .bind(&filter.vendor_id)
    .bind(&filter.sku)
    .bind(&filter.warehouse_id)
    .bind(sku)
    .bind(warehouse)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// A level row with its child rows as JSON arrays.
#[derive(sqlx::FromRow)]
struct DetailRow {
    #[sqlx(flatten)]
    level: StockLevelRow,
    batch_rows: Json<Vec<StockBatchRow>>,
    reservation_rows: Json<Vec<StockReservationRow>>,
}

/// One stock with its batches (first expiry first) and active holds
/// (first to expire first), in one statement.
pub async fn detail(
    db: &PgPool,
    sku: &str,
    warehouse_id: &str,
) -> sqlx::Result<Option<StockDetail>> {
    let row: Option<DetailRow> = sqlx::query_as(&format!(
        "select {LEVEL_COLUMNS}, \
                coalesce((select json_agg(b order by b.expires_on nulls last, b.batch_id) from \
                          (select {BATCH_COLUMNS} from read.stock_batches \
                            where sku = $1 and warehouse_id = $2) b), \
                         '[]') as batch_rows, \
                coalesce((select json_agg(r order by r.expires_at, r.reservation_id) from \
                          (select {RESERVATION_COLUMNS} from read.stock_reservations \
                            where sku = $1 and warehouse_id = $2 and status = 'active') r), \
                         '[]') as reservation_rows \
           from read.stock_levels where sku = $1 and warehouse_id = $2"
    ))
    .bind(sku)
    .bind(warehouse_id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| StockDetail {
        level: row.level,
        batches: row.batch_rows.0,
        active_reservations: row.reservation_rows.0,
    }))
}

/// A page of one stock's movements, with the stock's vendor so that the
/// caller can decide who sees it.
#[derive(Debug, sqlx::FromRow)]
pub struct Movements {
    /// The stock's vendor (`read.stock_levels.vendor_id`).
    pub vendor_id: Option<String>,
    /// The movements, oldest first.
    #[sqlx(rename = "movement_rows")]
    pub rows: Json<Vec<StockMovementRow>>,
}

/// The stock's movements oldest first (by position, then batch), after
/// `after`; at most `limit`. `None` when there is no such stock. One
/// statement.
pub async fn movements(
    db: &PgPool,
    (sku, warehouse_id): (&str, &str),
    after: Option<MovementKey>,
    limit: i64,
) -> sqlx::Result<Option<Movements>> {
    let (position, batch) = after.unzip();
    sqlx::query_as(&format!(
        "select vendor_id, \
                coalesce((select json_agg(m order by m.position, m.batch_id) from \
                          (select {MOVEMENT_COLUMNS} from read.stock_movements \
                            where sku = $1 and warehouse_id = $2 \
                              and ($3::bigint is null or (position, batch_id) > ($3, $4)) \
                            order by position, batch_id limit $5) m), \
                         '[]') as movement_rows \
           from read.stock_levels where sku = $1 and warehouse_id = $2"
    ))
    .bind(sku)
    .bind(warehouse_id)
    .bind(position)
    .bind(batch)
    .bind(limit)
    .fetch_optional(db)
    .await
}
