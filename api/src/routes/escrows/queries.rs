//! The escrow queries, over the `escrows` read model (`read.escrows`,
//! `read.escrow_milestones`; see docs/read-models/escrows.md) and the
//! agent rows of the `commissions` one. The statements are the read
//! model's (`bazaar_projections::read_models::escrows::queries`); these
//! handlers check who may read what, page, wait for `min_position` and
//! answer.

use axum::extract::{Path, State};
use axum::Json;
use bazaar_projections::read_models::escrows::queries as escrows;
use serde::Deserialize;
use utoipa::IntoParams;

use super::access::{self, is_buyer, is_seller};
use crate::http::auth::{Principal, Role};
use crate::http::extract::ApiQuery;
use crate::http::problem::Problem;
use crate::read::{self, Page, Paging};
use crate::routes::common::Consistency;
use crate::routes::responses::QueryFailures;
use crate::routes::schemas::Id;
use crate::state::AppState;

pub use escrows::{EscrowDetail, EscrowMilestoneRow, EscrowRow};

const MODEL: &[&str] = &["escrows", "commissions"];

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
    let paging = Paging {
        limit: filter.limit,
        cursor: filter.cursor.as_deref(),
        min_position: filter.min_position.as_deref(),
    };
    let wanted = escrows::EscrowFilter {
        buyer_party: buyer,
        seller_party: seller,
        agent_id: agent,
        status: filter.status,
    };
    let page = read::list(
        &db,
        (MODEL, state.read_wait),
        paging,
        |after, limit| escrows::list(&db.pool, &wanted, after, limit),
        |r| (r.created_at, r.escrow_id.clone()),
    )
    .await?;
    Ok(Json(page))
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
    let detail = escrows::detail(&db.pool, escrow.as_ref()).await?;
    let visible = detail.filter(|detail| {
        principal.sees_everything()
            || is_buyer(&principal, &detail.escrow.buyer_party)
            || is_seller(&principal, &detail.escrow.seller_party)
            || detail
                .agent
                .as_ref()
                .is_some_and(|a| principal.is_agent(&a.agent_id))
    });
    visible
        .map(Json)
        .ok_or_else(|| Problem::not_found(format!("no escrow {escrow}")))
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
