//! What readers ask the balances read model (`read.platform_fees`,
//! `read.vendor_order_balances`, `read.vendor_balances`,
//! `read.payout_ledger`; docs/read-models/balances.md), as typed functions
//! over any pool: the API's handlers call them on the pool their
//! read-your-writes wait ran on, and keep who may see what. All amounts
//! are minor units.
//!
//! The statements live here, next to the tables they read, because the
//! module that writes a table owns its statements
//! (docs/adr/0002-runtime-checked-sql.md). Each query is one statement: a
//! payment brings its vendor shares as a JSON array (`vendor_rows`),
//! decoded into typed rows.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

/// The platform's side of one order's payment.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct PlatformFeeRow {
    pub order_id: String,
    pub payment_id: String,
    pub currency: String,
    pub fee_rate_bps: i32,
    pub captured: i64,
    pub platform_fee: i64,
    pub platform_fee_refunded: i64,
    pub refunded: i64,
    pub charged_back: i64,
    pub remaining: i64,
    pub split_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One vendor's share of one order's payment.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct VendorOrderBalanceRow {
    pub order_id: String,
    pub vendor_id: String,
    pub currency: String,
    pub allocated: i64,
    pub fee: i64,
    pub net: i64,
    pub fee_refunded: i64,
    pub net_refunded: i64,
    pub held: i64,
    pub available: i64,
    pub paid_out: i64,
    pub debt: i64,
    pub hold_state: String,
    pub hold_until: Option<DateTime<Utc>>,
    pub held_in_escrow: i64,
    pub updated_at: DateTime<Utc>,
}

/// A vendor's balance in one currency.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct VendorBalanceRow {
    pub vendor_id: String,
    pub currency: String,
    pub earned: i64,
    pub held: i64,
    pub held_in_escrow: i64,
    pub available: i64,
    pub paid_out: i64,
    pub debt: i64,
    pub orders: i64,
    pub updated_at: DateTime<Utc>,
}

/// One entry of a vendor's payout ledger.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct LedgerEntryRow {
    pub entry_id: Uuid,
    pub vendor_id: String,
    pub order_id: String,
    pub currency: String,
    /// `earned`, `fee`, `refund`, `chargeback`, `payout`, `payout_failed`, …
    pub kind: String,
    pub amount: i64,
    pub in_balance: bool,
    pub reference: Option<String>,
    pub detail: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub event_id: Uuid,
    pub position: i64,
}

/// One order's payment: the platform's side and every vendor's share.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PaymentDetail {
    pub platform: PlatformFeeRow,
    pub vendors: Vec<VendorOrderBalanceRow>,
}

/// A time range, `None` ends open.
#[derive(Debug, Clone, Copy, Default)]
pub struct Range {
    /// At or after.
    pub from: Option<DateTime<Utc>>,
    /// Before.
    pub to: Option<DateTime<Utc>>,
}

/// Where a fee sits in the fee list: `(split_at, order_id)`.
pub type FeeKey = (DateTime<Utc>, String);
/// Where a ledger entry sits in a vendor's ledger: `(position, entry_id)`.
pub type LedgerKey = (i64, Uuid);

const FEE_COLUMNS: &str = "order_id, payment_id, currency, fee_rate_bps, captured, platform_fee, \
    platform_fee_refunded, refunded, charged_back, remaining, split_at, updated_at";
const SHARE_COLUMNS: &str = "order_id, vendor_id, currency, allocated, fee, net, fee_refunded, \
    net_refunded, held, available, paid_out, debt, hold_state, hold_until, held_in_escrow, updated_at";

/// A fee row with the vendor shares as a JSON array.
#[derive(sqlx::FromRow)]
struct PaymentRow {
    #[sqlx(flatten)]
    platform: PlatformFeeRow,
    vendor_rows: Json<Vec<VendorOrderBalanceRow>>,
}

/// One order's payment split with every vendor's share (by vendor), in one
/// statement.
pub async fn payment(db: &PgPool, order_id: &str) -> sqlx::Result<Option<PaymentDetail>> {
    let row: Option<PaymentRow> = sqlx::query_as(&format!(
        "select {FEE_COLUMNS}, \
                coalesce((select json_agg(v order by v.vendor_id) from \
                          (select {SHARE_COLUMNS} from read.vendor_order_balances \
                            where order_id = $1) v), \
                         '[]') as vendor_rows \
           from read.platform_fees where order_id = $1"
    ))
    .bind(order_id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| PaymentDetail {
        platform: row.platform,
        vendors: row.vendor_rows.0,
    }))
}

/// The platform's fees split in `range`, by time of split, after `after`;
/// at most `limit`.
pub async fn platform_fees(
    db: &PgPool,
    range: Range,
    after: Option<FeeKey>,
    limit: i64,
) -> sqlx::Result<Vec<PlatformFeeRow>> {
    let (at, order) = after.unzip();
    sqlx::query_as(&format!(
        "select {FEE_COLUMNS} from read.platform_fees \
          where ($1::timestamptz is null or split_at >= $1) and ($2::timestamptz is null or split_at < $2) \
            and ($3::timestamptz is null or (split_at, order_id) > ($3, $4)) \
          order by split_at, order_id limit $5"
    ))
    .bind(range.from)
    .bind(range.to)
    .bind(at)
    .bind(order)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// A vendor's balances, one per currency, by currency.
pub async fn vendor_balances(db: &PgPool, vendor_id: &str) -> sqlx::Result<Vec<VendorBalanceRow>> {
    sqlx::query_as(
        "select vendor_id, currency, earned, held, held_in_escrow, available, paid_out, debt, orders, \
                updated_at from read.vendor_balances where vendor_id = $1 order by currency",
    )
    .bind(vendor_id)
    .fetch_all(db)
    .await
}

/// A vendor's ledger entries in `range`, optionally of one kind, oldest
/// first, after `after`; at most `limit`.
pub async fn ledger(
    db: &PgPool,
    (vendor_id, kind): (&str, Option<&str>),
    range: Range,
    after: Option<LedgerKey>,
    limit: i64,
) -> sqlx::Result<Vec<LedgerEntryRow>> {
    let (position, entry) = after.unzip();
    sqlx::query_as(
        "select entry_id, vendor_id, order_id, currency, kind, amount, in_balance, reference, detail, \
                occurred_at, event_id, position from read.payout_ledger \
          where vendor_id = $1 and ($2::text is null or kind = $2) \
            and ($3::timestamptz is null or occurred_at >= $3) and ($4::timestamptz is null or occurred_at < $4) \
            and ($5::bigint is null or (position, entry_id) > ($5, $6)) \
          order by position, entry_id limit $7",
    )
    .bind(vendor_id)
    .bind(kind)
    .bind(range.from)
    .bind(range.to)
    .bind(position)
    .bind(entry)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// A vendor's share of each paid order, by order, after `after` (an
/// order id); at most `limit`.
pub async fn order_balances(
    db: &PgPool,
    vendor_id: &str,
    after: Option<String>,
    limit: i64,
) -> sqlx::Result<Vec<VendorOrderBalanceRow>> {
    sqlx::query_as(&format!(
        "select {SHARE_COLUMNS} from read.vendor_order_balances \
          where vendor_id = $1 and ($2::text is null or order_id > $2) order by order_id limit $3"
    ))
    .bind(vendor_id)
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await
}
