//! `/v1/search`: full-text search over orders and stock with filters,
//! facets and cursor pages (`docs/search.md`). Answered by Elasticsearch
//! when `ELASTICSEARCH_URL` is set, by Postgres otherwise, in the same
//! shape. The scope comes from the token, never from the request: buyers
//! search their own orders, vendors their own vendor orders and stock,
//! admins and auditors everything. Searches are POSTs because their
//! filters are JSON (several statuses, ranges); they change nothing.
//! From Postgres they read the request's read replica, if any
//! (`AppState::read_pool`).

use axum::extract::State;
use axum::Json;
use bazaar_projections::search::{
    OrderPage, OrderQuery, OrderSearch, Scope, SearchError, StockPage, StockQuery, StockSearch,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::auth::{Principal, Role};
use crate::http::extract::ApiJson;
use crate::http::problem::Problem;
use crate::routes::responses::{BodyFailures, SearchFailures};
use crate::state::AppState;

/// The search routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(orders))
        .routes(routes!(stock))
}

fn scope(principal: &Principal) -> Result<Scope, Problem> {
    Ok(match principal.role {
        Role::Admin | Role::Auditor => Scope::All,
        Role::Agent => {
            return Err(Problem::forbidden(
                "agents see only their escrows and commissions",
            ))
        }
        Role::Buyer => Scope::Buyer(principal.sub.clone()),
        Role::Vendor => Scope::Vendor(
            principal
                .vendor
                .as_ref()
                .map(|v| v.as_ref().to_owned())
                .ok_or_else(|| Problem::unauthorized("a vendor token needs vendor_id"))?,
        ),
    })
}

fn problem(error: SearchError) -> Problem {
    match error {
        SearchError::Invalid(detail) => Problem::bad_request("invalid-search", detail),
        SearchError::Elasticsearch(detail) => Problem::unavailable("search-unavailable", detail),
        other => Problem::failed(&other),
    }
}

/// Orders: text, status, vendor, buyer, date and amount filters; facets
/// (counts by status, sales by vendor per day) on the first page.
#[utoipa::path(post, path = "/search/orders", tag = "search",
    request_body = OrderQuery,
    responses((status = 200, body = OrderPage), SearchFailures, BodyFailures),
    security(("bearer" = [])))]
async fn orders(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(query): ApiJson<OrderQuery>,
) -> Result<Json<OrderPage>, Problem> {
    let search = OrderSearch {
        scope: scope(&principal)?,
        query,
    };
    state
        .search
        .reading(state.read_pool().pool)
        .orders(&search)
        .await
        .map(Json)
        .map_err(problem)
}

/// Product availability per SKU and warehouse (batches for their vendor).
#[utoipa::path(post, path = "/search/stock", tag = "search",
    request_body = StockQuery,
    responses((status = 200, body = StockPage), SearchFailures, BodyFailures),
    security(("bearer" = [])))]
async fn stock(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(query): ApiJson<StockQuery>,
) -> Result<Json<StockPage>, Problem> {
    let search = StockSearch {
        scope: scope(&principal)?,
        query,
    };
    state
        .search
        .reading(state.read_pool().pool)
        .stock(&search)
        .await
        .map(Json)
        .map_err(problem)
}
