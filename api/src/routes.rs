//! The HTTP routes, one module per resource, and the layers around them.
//!
//! Every route runs inside the stack of [`layers`] (request id and span,
//! metrics, panics caught, timeout, body limit; unknown routes and methods
//! answer problems too). `/v1/...` needs a bearer token; every request
//! there then passes the client address's rate limit (before the token is
//! checked), authentication, the principal's rate limit and, for POST, the
//! idempotency key. Health, metrics and the OpenAPI
//! document are open (put `/metrics` behind the network's own access
//! control).

use axum::middleware::from_fn_with_state;
use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::http::problem::ProblemBody;
use crate::http::{auth, idempotency, layers, rate_limit};
use crate::state::AppState;
use crate::write::Accepted;

pub mod agents;
pub mod audit;
pub mod common;
pub mod docs;
pub mod escrows;
pub mod health;
pub mod invoices;
pub mod orders;
pub mod payments;
pub mod responses;
pub mod schemas;
pub mod search;
pub mod stock;

/// The OpenAPI document's fixed parts; paths come from the handlers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Bazaar",
        description = "Event-sourced multi-vendor marketplace: commands and queries. \
            Errors are RFC 9457 problem details; POSTs accept `Idempotency-Key`; \
            queries accept `min_position` (a command's `position`) to read your writes.",
    ),
    modifiers(&BearerAuth),
    components(schemas(Accepted, ProblemBody, common::MoneyDoc, schemas::Id, schemas::AggregateType, schemas::IdempotencyKey)),
    tags(
        (name = "orders", description = "Checkout and the life of orders"),
        (name = "vendors", description = "A vendor's orders, balances and ledger"),
        (name = "audit", description = "Event history, state as of a moment, the log, exports, chain verification (auditors, admins)"),
        (name = "agents", description = "Agents' commissions on the escrow sales they brokered"),
        (name = "escrows", description = "Escrows with milestones, inspection and disputes"),
        (name = "invoices", description = "Invoices and credit notes, numbered per issuer, and their export for accounting"),
        (name = "payments", description = "Payment splits, refunds, chargebacks, payouts, platform fees"),
        (name = "search", description = "Full-text search over orders and stock, with facets"),
        (name = "stock", description = "Stock per SKU and warehouse, batches and holds"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The `/v1` routes and their OpenAPI description.
pub fn v1() -> OpenApiRouter<AppState> {
    let resources = OpenApiRouter::new()
        .merge(orders::router())
        .merge(stock::router())
        .merge(payments::router())
        .merge(escrows::router())
        .merge(agents::router())
        .merge(invoices::router())
        .merge(audit::router())
        .merge(search::router());
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest("/v1", resources)
}

/// Every route of the API.
pub fn router(state: AppState) -> Router {
    let (v1, mut openapi) = v1().split_for_parts();
    schemas::query_parameters_without_null(&mut openapi);
    let v1 = v1
        .layer(from_fn_with_state(state.clone(), idempotency::idempotent))
        .layer(from_fn_with_state(state.clone(), rate_limit::limit))
        .layer(from_fn_with_state(state.clone(), auth::authenticate))
        .layer(from_fn_with_state(state.clone(), rate_limit::limit_client));
    let routes = Router::new()
        .merge(v1)
        .merge(health::router())
        .merge(docs::router(openapi));
    layers::around(routes, state.request_timeout, state.idempotency.body_limit).with_state(state)
}
