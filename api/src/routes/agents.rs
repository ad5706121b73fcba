//! `/v1/agents/{agent_id}/…`: what an agent earns on the escrow sales it
//! brokered, over the `commissions` read model (`read.agent_escrows`,
//! `read.agent_commission_entries`; see docs/read-models/commissions.md).
//! All amounts are minor units of the row's currency.
//!
//! Who may read: that agent (an `agent` token whose `agent_id` is the
//! path's), admins and auditors; anyone else gets 404, so an agent cannot
//! learn which other agents exist.

use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::auth::Principal;
use crate::http::extract::ApiQuery;
use crate::http::problem::Problem;
use crate::read::{self, decode_cursor, Page};
use crate::routes::responses::QueryFailures;
use crate::state::AppState;

const MODEL: &[&str] = &["commissions"];

/// The agent routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(commissions))
        .routes(routes!(monthly))
}

/// An agent's commission on one escrow sale. `earned` is the commission on
/// funded money not refunded (zero before funding) and equals `paid +
/// pending`; `forfeited` went with refunds; `released = paid +
/// seller_proceeds + platform_fee`.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct AgentEscrowRow {
    pub escrow_id: String,
    pub agent_id: String,
    pub buyer_party: String,
    pub seller_party: String,
    pub currency: String,
    pub amount: i64,
    /// The commission rate, when it is one.
    pub commission_bps: Option<i32>,
    /// The fixed commission, when it is one.
    pub commission_fixed: Option<i64>,
    pub status: String,
    pub agreed: i64,
    pub earned: i64,
    pub paid: i64,
    pub pending: i64,
    pub forfeited: i64,
    pub released: i64,
    pub seller_proceeds: i64,
    pub platform_fee: i64,
    pub created_at: DateTime<Utc>,
    pub funded_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// An agent's commission in one calendar month (UTC) and currency:
/// `earned` on sales funded that month, `paid` with that month's releases,
/// `forfeited` with that month's refunds.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct AgentMonthRow {
    pub agent_id: String,
    /// `YYYY-MM`.
    pub month: String,
    pub currency: String,
    pub earned: i64,
    pub paid: i64,
    pub forfeited: i64,
}

/// Filters and paging of an agent's escrows.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct CommissionFilter {
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

/// A range of months.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct MonthRange {
    /// From this instant on (default: the beginning).
    pub from: Option<DateTime<Utc>>,
    /// Before this instant (default: no end).
    pub to: Option<DateTime<Utc>>,
    /// Wait until the read model has applied this command position.
    #[param(pattern = "^[0-9]{1,18}-[0-9]{1,18}$")]
    pub min_position: Option<String>,
}

/// The columns of [`AgentEscrowRow`].
pub(crate) const AGENT_COLUMNS: &str =
    "escrow_id, agent_id, buyer_party, seller_party, currency, amount, \
    commission_bps, commission_fixed, status, agreed, earned, paid, pending, forfeited, released, \
    seller_proceeds, platform_fee, created_at, funded_at, updated_at";

/// The agent's commission per escrow, newest first (that agent, admins,
/// auditors).
#[utoipa::path(get, path = "/agents/{agent_id}/commissions", tag = "agents",
    params(("agent_id" = String, Path), CommissionFilter),
    responses((status = 200, body = Page<AgentEscrowRow>), QueryFailures), security(("bearer" = [])))]
pub(super) async fn commissions(
    State(state): State<AppState>,
    principal: Principal,
    Path(agent): Path<String>,
    ApiQuery(filter): ApiQuery<CommissionFilter>,
) -> Result<Json<Page<AgentEscrowRow>>, Problem> {
    let db = state.read_pool();
    principal.require_agent(&agent)?;
    let limit = read::limit(filter.limit)?;
    let after: Option<(DateTime<Utc>, String)> =
        filter.cursor.as_deref().map(decode_cursor).transpose()?;
    let wait = filter.min_position.as_deref();
    read::wait_for(&db, MODEL, wait, state.read_wait).await?;
    let rows: Vec<AgentEscrowRow> = sqlx::query_as(&format!(
        "select {AGENT_COLUMNS} from read.agent_escrows \
          where agent_id = $1 and ($2::text is null or status = $2) \
            and ($3::timestamptz is null or (created_at, escrow_id) < ($3, $4)) \
          order by created_at desc, escrow_id desc limit $5"
    ))
    .bind(&agent)
    .bind(&filter.status)
    .bind(after.as_ref().map(|a| a.0))
    .bind(after.as_ref().map(|a| a.1.clone()))
    .bind(i64::from(limit) + 1)
    .fetch_all(&db.pool)
    .await?;
    Ok(Json(Page::from_rows(rows, limit, |r| {
        (r.created_at, r.escrow_id.clone())
    })))
}

/// The agent's commission per calendar month (UTC) and currency, oldest
/// first (that agent, admins, auditors).
#[utoipa::path(get, path = "/agents/{agent_id}/commissions/monthly", tag = "agents",
    params(("agent_id" = String, Path), MonthRange),
    responses((status = 200, body = Vec<AgentMonthRow>), QueryFailures), security(("bearer" = [])))]
pub(super) async fn monthly(
    State(state): State<AppState>,
    principal: Principal,
    Path(agent): Path<String>,
    ApiQuery(range): ApiQuery<MonthRange>,
) -> Result<Json<Vec<AgentMonthRow>>, Problem> {
    let db = state.read_pool();
    principal.require_agent(&agent)?;
    let wait = range.min_position.as_deref();
    read::wait_for(&db, MODEL, wait, state.read_wait).await?;
    let rows = sqlx::query_as(
        "select agent_id, to_char(date_trunc('month', at at time zone 'UTC'), 'YYYY-MM') as month, \
                currency, \
                coalesce(sum(amount) filter (where kind = 'earned'), 0)::int8 as earned, \
                coalesce(sum(amount) filter (where kind = 'paid'), 0)::int8 as paid, \
                coalesce(sum(amount) filter (where kind = 'forfeited'), 0)::int8 as forfeited \
           from read.agent_commission_entries \
          where agent_id = $1 and ($2::timestamptz is null or at >= $2) \
            and ($3::timestamptz is null or at < $3) \
          group by 1, 2, 3 order by 2, 3",
    )
    .bind(&agent)
    .bind(range.from)
    .bind(range.to)
    .fetch_all(&db.pool)
    .await?;
    Ok(Json(rows))
}
