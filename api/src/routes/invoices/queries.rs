//! The invoice queries, over `read.invoices` and `read.invoice_lines`.
//! The statements are the read model's
//! (`bazaar_projections::read_models::invoices::queries`); these handlers
//! decide whose documents the caller reads, page, wait for `min_position`
//! and answer.

use axum::extract::{Path, State};
use axum::Json;
use bazaar_projections::read_models::invoices::queries as invoices;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::scope;
use crate::http::auth::Principal;
use crate::http::extract::ApiQuery;
use crate::http::problem::Problem;
use crate::read::{self, Page, Paging};
use crate::routes::common::Consistency;
use crate::routes::responses::QueryFailures;
use crate::state::AppState;

pub use invoices::{InvoiceDetail, InvoiceLineRow, InvoiceRow, OrderInvoices};

/// The read models these queries read.
pub(super) const MODEL: &[&str] = &["invoices"];

/// Filters and paging of the invoice list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct InvoiceFilter {
    /// Only the documents of this order.
    pub order_id: Option<String>,
    /// `invoice` or `credit_note`.
    pub kind: Option<String>,
    /// `sale` or `platform_fee`.
    pub subject: Option<String>,
    /// Only the documents about this vendor's vendor orders.
    pub vendor_id: Option<String>,
    /// Issued on or after this date (UTC).
    pub from: Option<NaiveDate>,
    /// Issued before this date (UTC).
    pub to: Option<NaiveDate>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Wait until the read model has applied this command position.
    #[param(pattern = "^[0-9]{1,18}-[0-9]{1,18}$")]
    pub min_position: Option<String>,
}

/// Invoices and credit notes the caller reads, newest first (the buyer's
/// own, the vendor's issued and received, all for admins and auditors).
#[utoipa::path(get, path = "/invoices", tag = "invoices", params(InvoiceFilter),
    responses((status = 200, body = Page<InvoiceRow>), QueryFailures), security(("bearer" = [])))]
pub(super) async fn list(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(filter): ApiQuery<InvoiceFilter>,
) -> Result<Json<Page<InvoiceRow>>, Problem> {
    let db = state.read_pool();
    let scope = scope::of(&principal);
    if scope.is_empty() {
        return Err(Problem::forbidden("your role reads no invoices"));
    }
    let paging = Paging {
        limit: filter.limit,
        cursor: filter.cursor.as_deref(),
        min_position: filter.min_position.as_deref(),
    };
    let wanted = invoices::InvoiceFilter {
        order_id: filter.order_id,
        kind: filter.kind,
        subject: filter.subject,
        vendor_id: filter.vendor_id,
        from: filter.from,
        to: filter.to,
    };
    let page = read::list(
        &db,
        (MODEL, state.read_wait),
        paging,
        |after, limit| invoices::list(&db.pool, &scope, &wanted, after, limit),
        |r| (r.position, r.document_id),
    )
    .await?;
    Ok(Json(page))
}

/// One invoice or credit note with its lines (its recipient buyer, its
/// issuing or receiving vendor, admins, auditors).
#[utoipa::path(get, path = "/invoices/{document_id}", tag = "invoices",
    params(("document_id" = String, Path), Consistency),
    responses((status = 200, body = InvoiceDetail), QueryFailures), security(("bearer" = [])))]
pub(super) async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(document): Path<String>,
    ApiQuery(consistency): ApiQuery<Consistency>,
) -> Result<Json<InvoiceDetail>, Problem> {
    let db = state.read_pool();
    let missing = || Problem::not_found(format!("no invoice {document}"));
    let id: Uuid = document.parse().map_err(|_| missing())?;
    let scope = scope::of(&principal);
    read::wait_for(
        &db,
        MODEL,
        consistency.min_position.as_deref(),
        state.read_wait,
    )
    .await?;
    invoices::detail(&db.pool, &scope, id)
        .await?
        .map(Json)
        .ok_or_else(missing)
}

/// The invoices and credit notes of one order the caller reads, in the
/// order they were issued; 404 if there is none (an order not yet paid,
/// or not the caller's).
#[utoipa::path(get, path = "/orders/{order_id}/invoice", tag = "invoices",
    params(("order_id" = String, Path), Consistency),
    responses((status = 200, body = OrderInvoices), QueryFailures), security(("bearer" = [])))]
pub(super) async fn of_order(
    State(state): State<AppState>,
    principal: Principal,
    Path(order): Path<String>,
    ApiQuery(consistency): ApiQuery<Consistency>,
) -> Result<Json<OrderInvoices>, Problem> {
    let db = state.read_pool();
    let scope = scope::of(&principal);
    read::wait_for(
        &db,
        MODEL,
        consistency.min_position.as_deref(),
        state.read_wait,
    )
    .await?;
    let documents = invoices::of_order(&db.pool, &scope, &order).await?;
    if documents.is_empty() {
        return Err(Problem::not_found(format!("no invoice of order {order}")));
    }
    Ok(Json(OrderInvoices {
        order_id: order,
        documents,
    }))
}
