//! The escrow queries, over the `escrows` read model (`read.escrows`,
//! `read.escrow_milestones`; see docs/read-models/escrows.md).

use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::access::{self, is_buyer, is_seller};
use crate::http::auth::{Principal, Role};
use crate::http::extract::ApiQuery;
use crate::http::problem::Problem;
use crate::read::{self, decode_cursor, Page};
use crate::routes::agents::{AgentEscrowRow, AGENT_COLUMNS};
use crate::routes::common::Consistency;
use crate::routes::responses::QueryFailures;
use crate::routes::schemas::Id;
use crate::state::AppState;

const MODEL: &[&str] = &["escrows", "commissions"];

/// An escrow. Money: minor units of `currency`.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct EscrowRow {
    pub escrow_id: String,
    pub buyer_party: String,
    pub seller_party: String,
    pub currency: String,
    pub amount: i64,
    pub status: String,
    pub funded: i64,
    pub released: i64,
    pub refunded: i64,
    pub held: i64,
    pub inspection_period_days: i32,
    pub dispute_window_hours: i32,
    pub payment_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub funded_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// One milestone of an escrow.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct EscrowMilestoneRow {
    pub milestone_id: String,
    pub description: String,
    pub currency: String,
    pub amount: i64,
    pub status: String,
    pub funded: i64,
    pub released: i64,
    pub refunded: i64,
    pub remaining: i64,
    pub delivered_at: Option<DateTime<Utc>>,
    pub inspection_ends_at: Option<DateTime<Utc>>,
    pub dispute_window_ends_at: Option<DateTime<Utc>>,
    pub dispute_open: bool,
    pub dispute_reason: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// An escrow with its milestones, and its agent's commission when an agent
/// brokered it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EscrowDetail {
    pub escrow: EscrowRow,
    pub milestones: Vec<EscrowMilestoneRow>,
    pub agent: Option<AgentEscrowRow>,
}

/// Filters and paging of escrow lists.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct EscrowFilter {
    /// Only escrows in this status.
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

const ESCROW_COLUMNS: &str = "escrow_id, buyer_party, seller_party, currency, amount, status, funded, \
    released, refunded, held, inspection_period_days, dispute_window_hours, payment_id, created_at, \
    funded_at, closed_at, cancelled_at, cancel_reason, updated_at";

/// Escrows, newest first: the caller's own (as buyer, seller or agent); all
/// for admins and auditors.
#[utoipa::path(get, path = "/escrows", tag = "escrows", params(EscrowFilter),
    responses((status = 200, body = Page<EscrowRow>), QueryFailures), security(("bearer" = [])))]
pub(super) async fn list(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(filter): ApiQuery<EscrowFilter>,
) -> Result<Json<Page<EscrowRow>>, Problem> {
    let db = state.read_pool();
    let (buyer, seller, agent) = scope(&principal);
    let limit = read::limit(filter.limit)?;
    let after: Option<(DateTime<Utc>, String)> =
        filter.cursor.as_deref().map(decode_cursor).transpose()?;
    read::wait_for(&db, MODEL, filter.min_position.as_deref(), state.read_wait).await?;
    let rows: Vec<EscrowRow> = sqlx::query_as(&format!(
        "select {ESCROW_COLUMNS} from read.escrows \
          where ($1::text is null or buyer_party = $1) and ($2::text is null or seller_party = $2) \
            and ($3::text is null or status = $3) \
            and ($4::timestamptz is null or (created_at, escrow_id) < ($4, $5)) \
            and ($7::text is null or escrow_id in \
                 (select escrow_id from read.agent_escrows where agent_id = $7)) \
          order by created_at desc, escrow_id desc limit $6"
    ))
    .bind(buyer)
    .bind(seller)
    .bind(&filter.status)
    .bind(after.as_ref().map(|a| a.0))
    .bind(after.as_ref().map(|a| a.1.clone()))
    .bind(i64::from(limit) + 1)
    .bind(agent)
    .fetch_all(&db.pool)
    .await?;
    Ok(Json(Page::from_rows(rows, limit, |r| {
        (r.created_at, r.escrow_id.clone())
    })))
}

/// One escrow with its milestones (its parties, admins, auditors).
#[utoipa::path(get, path = "/escrows/{escrow_id}", tag = "escrows",
    params(("escrow_id" = Id, Path), Consistency),
    responses((status = 200, body = EscrowDetail), QueryFailures), security(("bearer" = [])))]
pub(super) async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(escrow): Path<String>,
    ApiQuery(consistency): ApiQuery<Consistency>,
) -> Result<Json<EscrowDetail>, Problem> {
    let db = state.read_pool();
    let escrow = access::escrow_id(&escrow)?;
    read::wait_for(
        &db,
        MODEL,
        consistency.min_position.as_deref(),
        state.read_wait,
    )
    .await?;
    let row: Option<EscrowRow> = sqlx::query_as(&format!(
        "select {ESCROW_COLUMNS} from read.escrows where escrow_id = $1"
    ))
    .bind(escrow.as_ref())
    .fetch_optional(&db.pool)
    .await?;
    let agent: Option<AgentEscrowRow> = sqlx::query_as(&format!(
        "select {AGENT_COLUMNS} from read.agent_escrows where escrow_id = $1"
    ))
    .bind(escrow.as_ref())
    .fetch_optional(&db.pool)
    .await?;
    let visible = row.filter(|row| {
        principal.sees_everything()
            || is_buyer(&principal, &row.buyer_party)
            || is_seller(&principal, &row.seller_party)
            || agent
                .as_ref()
                .is_some_and(|a| principal.is_agent(&a.agent_id))
    });
    let Some(row) = visible else {
        return Err(Problem::not_found(format!("no escrow {escrow}")));
    };
    let milestones = sqlx::query_as(
        "select milestone_id, description, currency, amount, status, funded, released, refunded, remaining, \
                delivered_at, inspection_ends_at, dispute_window_ends_at, dispute_open, dispute_reason, \
                updated_at from read.escrow_milestones where escrow_id = $1 order by milestone_id",
    )
    .bind(escrow.as_ref())
    .fetch_all(&db.pool)
    .await?;
    Ok(Json(EscrowDetail {
        escrow: row,
        milestones,
        agent,
    }))
}

/// Whose escrows a list shows: (buyer, seller, agent); all `None` for
/// admins and auditors.
fn scope(principal: &Principal) -> (Option<String>, Option<String>, Option<String>) {
    let own = |id: Option<&str>| Some(id.unwrap_or_default().to_owned());
    match principal.role {
        Role::Buyer => (Some(principal.sub.clone()), None, None),
        Role::Vendor => (
            None,
            own(principal.vendor.as_ref().map(AsRef::as_ref)),
            None,
        ),
        Role::Agent => (None, None, own(principal.agent.as_ref().map(AsRef::as_ref))),
        Role::Admin | Role::Auditor => (None, None, None),
    }
}
