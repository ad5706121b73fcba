//! `/v1/agents/{agent_id}/…`: what an agent earns on the escrow sales it
//! brokered, over the `commissions` read model (`read.agent_escrows`,
//! `read.agent_commission_entries`; see docs/read-models/commissions.md).
//! All amounts are minor units of the row's currency.
//!
//! The statements are the read model's
//! (`bazaar_projections::read_models::commissions::queries`); these
//! handlers check who may read, page, wait for `min_position` and answer.
//!
//! Who may read: that agent (an `agent` token whose `agent_id` is the
//! path's), admins and auditors; anyone else gets 404, so an agent cannot
//! learn which other agents exist.

use axum::extract::{Path, State};
use axum::Json;
use bazaar_projections::read_models::commissions::queries as commissions;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::auth::Principal;
use crate::http::extract::ApiQuery;
use crate::http::problem::Problem;
use crate::read::{self, Page, Paging};
use crate::routes::responses::QueryFailures;
use crate::state::AppState;

pub use commissions::{AgentEscrowRow, AgentMonthRow};

const MODEL: &[&str] = &["commissions"];

/// The agent routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(commissions))
        .routes(routes!(monthly))
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
        |after, limit| commissions::escrows(&db.pool, &agent, status, after, limit),
        |r| (r.created_at, r.escrow_id.clone()),
    )
    .await?;
    Ok(Json(page))
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
    let rows = commissions::monthly(&db.pool, &agent, range.from, range.to).await?;
    Ok(Json(rows))
}
