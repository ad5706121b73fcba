//! The money queries, over the `balances` read model
//! (`read.platform_fees`, `read.vendor_order_balances`,
//! `read.vendor_balances`, `read.payout_ledger`; see
//! docs/read-models/balances.md). All amounts are minor units. The
//! statements are the read model's
//! (`bazaar_projections::read_models::balances::queries`); these handlers
//! check who may read what, page, wait for `min_position` and answer.

use axum::extract::{Path, State};
use axum::Json;
use bazaar_projections::read_models::balances::queries as balances;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::http::auth::Principal;
use crate::http::extract::ApiQuery;
use crate::http::problem::Problem;
use crate::read::{self, Page, Paging};
use crate::routes::common::Consistency;
use crate::routes::responses::QueryFailures;
use crate::routes::schemas::Id;
use crate::state::AppState;

pub use balances::{
    LedgerEntryRow, PaymentDetail, PlatformFeeRow, VendorBalanceRow, VendorOrderBalanceRow,
};

const MODEL: &[&str] = &["balances"];

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
    balances::payment(&db.pool, &order)
        .await?
        .map(Json)
        .ok_or_else(|| Problem::not_found(format!("no payment of order {order}")))
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

impl RangePage {
    fn paging(&self) -> Paging<'_> {
        Paging {
            limit: self.limit,
            cursor: self.cursor.as_deref(),
            min_position: self.min_position.as_deref(),
        }
    }

    fn range(&self) -> balances::Range {
        balances::Range {
            from: self.from,
            to: self.to,
        }
    }
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
    let range = page.range();
    let page = read::list(
        &db,
        (MODEL, state.read_wait),
        page.paging(),
        |after, limit| balances::platform_fees(&db.pool, range, after, limit),
        |r| (r.split_at, r.order_id.clone()),
    )
    .await?;
    Ok(Json(page))
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
    Ok(Json(balances::vendor_balances(&db.pool, &vendor).await?))
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
    let (range, kind) = (page.range(), page.kind.as_deref());
    let page = read::list(
        &db,
        (MODEL, state.read_wait),
        page.paging(),
        |after, limit| balances::ledger(&db.pool, (&vendor, kind), range, after, limit),
        |r| (r.position, r.entry_id),
    )
    .await?;
    Ok(Json(page))
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
    let paging = Paging {
        limit: page.limit,
        cursor: page.cursor.as_deref(),
        min_position: page.min_position.as_deref(),
    };
    let page = read::list(
        &db,
        (MODEL, state.read_wait),
        paging,
        |after, limit| balances::order_balances(&db.pool, &vendor, after, limit),
        |r| r.order_id.clone(),
    )
    .await?;
    Ok(Json(page))
}
