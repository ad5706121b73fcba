//! The money queries, over the `balances` read model
//! (`read.platform_fees`, `read.vendor_order_balances`,
//! `read.vendor_balances`, `read.payout_ledger`; see
//! docs/read-models/balances.md). All amounts are minor units.

use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::auth::Principal;
use crate::http::extract::ApiQuery;
use crate::http::problem::Problem;
use crate::read::{self, decode_cursor, Page};
use crate::routes::common::Consistency;
use crate::routes::responses::QueryFailures;
use crate::routes::schemas::Id;
use crate::state::AppState;

const MODEL: &[&str] = &["balances"];

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

const FEE_COLUMNS: &str = "order_id, payment_id, currency, fee_rate_bps, captured, platform_fee, \
    platform_fee_refunded, refunded, charged_back, remaining, split_at, updated_at";
const SHARE_COLUMNS: &str = "order_id, vendor_id, currency, allocated, fee, net, fee_refunded, \
    net_refunded, held, available, paid_out, debt, hold_state, hold_until, held_in_escrow, updated_at";

fn require_reader(principal: &Principal) -> Result<(), Problem> {
    if principal.sees_everything() {
        Ok(())
    } else {
        Err(Problem::forbidden(
            "payments are read by admins and auditors; vendors read their balances",
        ))
    }
}

/// One order's payment split (admins, auditors).
#[utoipa::path(get, path = "/payments/{order_id}", tag = "payments",
    params(("order_id" = Id, Path), Consistency),
    responses((status = 200, body = PaymentDetail), QueryFailures), security(("bearer" = [])))]
pub(super) async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(order): Path<String>,
    ApiQuery(consistency): ApiQuery<Consistency>,
) -> Result<Json<PaymentDetail>, Problem> {
    let db = state.read_pool();
    require_reader(&principal)?;
    read::wait_for(
        &db,
        MODEL,
        consistency.min_position.as_deref(),
        state.read_wait,
    )
    .await?;
    let platform: Option<PlatformFeeRow> = sqlx::query_as(&format!(
        "select {FEE_COLUMNS} from read.platform_fees where order_id = $1"
    ))
    .bind(&order)
    .fetch_optional(&db.pool)
    .await?;
    let platform =
        platform.ok_or_else(|| Problem::not_found(format!("no payment of order {order}")))?;
    let vendors = sqlx::query_as(&format!(
        "select {SHARE_COLUMNS} from read.vendor_order_balances where order_id = $1 order by vendor_id"
    ))
    .bind(&order)
    .fetch_all(&db.pool)
    .await?;
    Ok(Json(PaymentDetail { platform, vendors }))
}

/// Paging and a time range.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct RangePage {
    /// At or after.
    pub from: Option<DateTime<Utc>>,
    /// Before.
    pub to: Option<DateTime<Utc>>,
    /// Only this kind (ledger only).
    pub kind: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Wait until the read model has applied this command position.
    #[param(pattern = "^[0-9]{1,18}-[0-9]{1,18}$")]
    pub min_position: Option<String>,
}

/// The platform's fees, by time of split (admins, auditors).
#[utoipa::path(get, path = "/platform/fees", tag = "payments", params(RangePage),
    responses((status = 200, body = Page<PlatformFeeRow>), QueryFailures), security(("bearer" = [])))]
pub(super) async fn platform_fees(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(page): ApiQuery<RangePage>,
) -> Result<Json<Page<PlatformFeeRow>>, Problem> {
    let db = state.read_pool();
    require_reader(&principal)?;
    let limit = read::limit(page.limit)?;
    let after: Option<(DateTime<Utc>, String)> =
        page.cursor.as_deref().map(decode_cursor).transpose()?;
    read::wait_for(&db, MODEL, page.min_position.as_deref(), state.read_wait).await?;
    let rows: Vec<PlatformFeeRow> = sqlx::query_as(&format!(
        "select {FEE_COLUMNS} from read.platform_fees \
          where ($1::timestamptz is null or split_at >= $1) and ($2::timestamptz is null or split_at < $2) \
            and ($3::timestamptz is null or (split_at, order_id) > ($3, $4)) \
          order by split_at, order_id limit $5"
    ))
    .bind(page.from)
    .bind(page.to)
    .bind(after.as_ref().map(|a| a.0))
    .bind(after.as_ref().map(|a| a.1.clone()))
    .bind(i64::from(limit) + 1)
    .fetch_all(&db.pool)
    .await?;
    Ok(Json(Page::from_rows(rows, limit, |r| {
        (r.split_at, r.order_id.clone())
    })))
}

/// A vendor's balances, one per currency (that vendor, admins, auditors).
#[utoipa::path(get, path = "/vendors/{vendor_id}/balances", tag = "vendors",
    params(("vendor_id" = Id, Path), Consistency),
    responses((status = 200, body = Vec<VendorBalanceRow>), QueryFailures), security(("bearer" = [])))]
pub(super) async fn balances(
    State(state): State<AppState>,
    principal: Principal,
    Path(vendor): Path<String>,
    ApiQuery(consistency): ApiQuery<Consistency>,
) -> Result<Json<Vec<VendorBalanceRow>>, Problem> {
    let db = state.read_pool();
    principal.require_vendor(&vendor)?;
    read::wait_for(
        &db,
        MODEL,
        consistency.min_position.as_deref(),
        state.read_wait,
    )
    .await?;
    Ok(Json(
        sqlx::query_as(
            "select vendor_id, currency, earned, held, held_in_escrow, available, paid_out, debt, orders, \
                    updated_at from read.vendor_balances where vendor_id = $1 order by currency",
        )
        .bind(&vendor)
        .fetch_all(&db.pool)
        .await?,
    ))
}

/// A vendor's payout ledger, oldest first (that vendor, admins, auditors).
#[utoipa::path(get, path = "/vendors/{vendor_id}/ledger", tag = "vendors",
    params(("vendor_id" = Id, Path), RangePage),
    responses((status = 200, body = Page<LedgerEntryRow>), QueryFailures), security(("bearer" = [])))]
pub(super) async fn ledger(
    State(state): State<AppState>,
    principal: Principal,
    Path(vendor): Path<String>,
    ApiQuery(page): ApiQuery<RangePage>,
) -> Result<Json<Page<LedgerEntryRow>>, Problem> {
    let db = state.read_pool();
    principal.require_vendor(&vendor)?;
    let limit = read::limit(page.limit)?;
    let after: Option<(i64, Uuid)> = page.cursor.as_deref().map(decode_cursor).transpose()?;
    read::wait_for(&db, MODEL, page.min_position.as_deref(), state.read_wait).await?;
    let rows: Vec<LedgerEntryRow> = sqlx::query_as(
        "select entry_id, vendor_id, order_id, currency, kind, amount, in_balance, reference, detail, \
                occurred_at, event_id, position from read.payout_ledger \
          where vendor_id = $1 and ($2::text is null or kind = $2) \
            and ($3::timestamptz is null or occurred_at >= $3) and ($4::timestamptz is null or occurred_at < $4) \
            and ($5::bigint is null or (position, entry_id) > ($5, $6)) \
          order by position, entry_id limit $7",
    )
    .bind(&vendor)
    .bind(&page.kind)
    .bind(page.from)
    .bind(page.to)
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(i64::from(limit) + 1)
    .fetch_all(&db.pool)
    .await?;
    Ok(Json(Page::from_rows(rows, limit, |r| {
        (r.position, r.entry_id)
    })))
}

/// Paging of a vendor's order shares.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct SharePage {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Wait until the read model has applied this command position.
    #[param(pattern = "^[0-9]{1,18}-[0-9]{1,18}$")]
    pub min_position: Option<String>,
}

/// A vendor's share of each paid order (that vendor, admins, auditors).
#[utoipa::path(get, path = "/vendors/{vendor_id}/order-balances", tag = "vendors",
    params(("vendor_id" = Id, Path), SharePage),
    responses((status = 200, body = Page<VendorOrderBalanceRow>), QueryFailures), security(("bearer" = [])))]
pub(super) async fn order_balances(
    State(state): State<AppState>,
    principal: Principal,
    Path(vendor): Path<String>,
    ApiQuery(page): ApiQuery<SharePage>,
) -> Result<Json<Page<VendorOrderBalanceRow>>, Problem> {
    let db = state.read_pool();
    principal.require_vendor(&vendor)?;
    let limit = read::limit(page.limit)?;
    let after: Option<String> = page.cursor.as_deref().map(decode_cursor).transpose()?;
    read::wait_for(&db, MODEL, page.min_position.as_deref(), state.read_wait).await?;
    let rows: Vec<VendorOrderBalanceRow> = sqlx::query_as(&format!(
        "select {SHARE_COLUMNS} from read.vendor_order_balances \
          where vendor_id = $1 and ($2::text is null or order_id > $2) order by order_id limit $3"
    ))
    .bind(&vendor)
    .bind(after)
    .bind(i64::from(limit) + 1)
    .fetch_all(&db.pool)
    .await?;
    Ok(Json(Page::from_rows(rows, limit, |r| r.order_id.clone())))
}
