//! The invoice queries, over `read.invoices` and `read.invoice_lines`.

use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgArguments;
use sqlx::query::QueryAs;
use sqlx::{PgPool, Postgres};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::scope::{Scope, VISIBLE};
use crate::http::auth::Principal;
use crate::http::extract::ApiQuery;
use crate::http::problem::Problem;
use crate::read::{self, decode_cursor, Page};
use crate::routes::common::Consistency;
use crate::routes::responses::QueryFailures;
use crate::state::AppState;

/// The read models these queries read.
pub(super) const MODEL: &[&str] = &["invoices"];

/// An invoice or credit note. Money: minor units of `currency`; every
/// amount is positive, a credit note's `kind` says it gives money back.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct InvoiceRow {
    pub document_id: Uuid,
    /// `invoice` or `credit_note`.
    pub kind: String,
    /// `sale` (vendor to buyer) or `platform_fee` (platform to vendor).
    pub subject: String,
    /// `vendor` or `platform`.
    pub issuer_kind: String,
    /// The vendor's id, or `platform`.
    pub issuer_id: String,
    /// The document's number in its issuer's series: 1, 2, 3, … without gaps.
    pub number: i64,
    /// `buyer` or `vendor`.
    pub recipient_kind: String,
    pub recipient_id: String,
    pub order_id: String,
    /// The vendor of the vendor order the document is about.
    pub vendor_id: String,
    pub buyer_id: String,
    pub currency: String,
    /// Sum of the lines.
    pub total: i64,
    /// The platform fee in `total` (a sale) or given back (a credit note).
    pub fee: i64,
    pub fee_rate_bps: i32,
    /// A credit note's invoice.
    pub credits_document_id: Option<Uuid>,
    pub credits_number: Option<i64>,
    /// `sale`, `cancellation`, `return`, `refund` or `chargeback`.
    pub reason: String,
    /// The payment, refund or chargeback id.
    pub reference: String,
    /// When the issuing event was recorded.
    pub issued_at: DateTime<Utc>,
    pub issue_date: NaiveDate,
    /// Global position of the issuing event.
    pub position: i64,
    /// The events the document was built from: `event_id`, `position`,
    /// `aggregate_type`, `event_type`, oldest first.
    #[schema(value_type = Vec<Object>)]
    pub sources: serde_json::Value,
}

/// One line of a document: `quantity × unit_price = amount`.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct InvoiceLineRow {
    pub line_no: i32,
    pub description: String,
    pub product: Option<String>,
    pub sku: Option<String>,
    /// The order line it bills or credits.
    pub order_line_no: Option<i32>,
    pub quantity: i64,
    pub unit_price: i64,
    pub amount: i64,
}

/// A document with its lines.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InvoiceDetail {
    pub document: InvoiceRow,
    pub lines: Vec<InvoiceLineRow>,
}

/// The documents of one order the caller reads, in the order issued.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderInvoices {
    pub order_id: String,
    pub documents: Vec<InvoiceDetail>,
}

/// The columns of `InvoiceRow`.
pub(super) const COLUMNS: &str = "document_id, kind, subject, issuer_kind, issuer_id, number, \
    recipient_kind, recipient_id, order_id, vendor_id, buyer_id, currency, total, fee, \
    fee_rate_bps, credits_document_id, credits_number, reason, reference, issued_at, issue_date, \
    position, sources";

/// Binds the scope as `$1`, `$2`, `$3` of [`VISIBLE`].
pub(super) fn scoped<'q, O>(
    query: QueryAs<'q, Postgres, O, PgArguments>,
    scope: &Scope,
) -> QueryAs<'q, Postgres, O, PgArguments> {
    query
        .bind(scope.all)
        .bind(scope.buyer.clone())
        .bind(scope.vendor.clone())
}

/// The lines of `documents`, grouped per document in their order.
pub(super) async fn with_lines(
    pool: &PgPool,
    documents: Vec<InvoiceRow>,
) -> sqlx::Result<Vec<InvoiceDetail>> {
    #[derive(sqlx::FromRow)]
    struct Line {
        document_id: Uuid,
        #[sqlx(flatten)]
        line: InvoiceLineRow,
    }
    let ids: Vec<Uuid> = documents.iter().map(|d| d.document_id).collect();
    let lines: Vec<Line> = sqlx::query_as(
        "select document_id, line_no, description, product, sku, order_line_no, quantity, \
                unit_price, amount from read.invoice_lines \
          where document_id = any($1) order by document_id, line_no",
    )
    .bind(&ids)
    .fetch_all(pool)
    .await?;
    Ok(documents
        .into_iter()
        .map(|document| {
            let lines = lines
                .iter()
                .filter(|l| l.document_id == document.document_id)
                .map(|l| l.line.clone())
                .collect();
            InvoiceDetail { document, lines }
        })
        .collect())
}

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
    let scope = Scope::of(&principal);
    if scope.is_empty() {
        return Err(Problem::forbidden("your role reads no invoices"));
    }
    let limit = read::limit(filter.limit)?;
    let after: Option<(i64, Uuid)> = filter.cursor.as_deref().map(decode_cursor).transpose()?;
    read::wait_for(&db, MODEL, filter.min_position.as_deref(), state.read_wait).await?;
    let sql = format!(
        "select {COLUMNS} from read.invoices where {VISIBLE} \
            and ($4::text is null or order_id = $4) and ($5::text is null or kind = $5) \
            and ($6::text is null or subject = $6) and ($7::text is null or vendor_id = $7) \
            and ($8::date is null or issue_date >= $8) and ($9::date is null or issue_date < $9) \
            and ($10::int8 is null or (position, document_id) < ($10, $11)) \
          order by position desc, document_id desc limit $12"
    );
    let rows: Vec<InvoiceRow> = scoped(sqlx::query_as(&sql), &scope)
        .bind(&filter.order_id)
        .bind(&filter.kind)
        .bind(&filter.subject)
        .bind(&filter.vendor_id)
        .bind(filter.from)
        .bind(filter.to)
        .bind(after.map(|a| a.0))
        .bind(after.map(|a| a.1))
        .bind(i64::from(limit) + 1)
        .fetch_all(&db.pool)
        .await?;
    Ok(Json(Page::from_rows(rows, limit, |r| {
        (r.position, r.document_id)
    })))
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
    let scope = Scope::of(&principal);
    read::wait_for(
        &db,
        MODEL,
        consistency.min_position.as_deref(),
        state.read_wait,
    )
    .await?;
    let sql = format!("select {COLUMNS} from read.invoices where {VISIBLE} and document_id = $4");
    let row: Option<InvoiceRow> = scoped(sqlx::query_as(&sql), &scope)
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    let row = row.ok_or_else(missing)?;
    let mut detail = with_lines(&db.pool, vec![row]).await?;
    detail.pop().map(Json).ok_or_else(missing)
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
    let scope = Scope::of(&principal);
    read::wait_for(
        &db,
        MODEL,
        consistency.min_position.as_deref(),
        state.read_wait,
    )
    .await?;
    let sql = format!(
        "select {COLUMNS} from read.invoices where {VISIBLE} and order_id = $4 \
          order by position, issuer_kind desc, issuer_id, number"
    );
    let rows: Vec<InvoiceRow> = scoped(sqlx::query_as(&sql), &scope)
        .bind(&order)
        .fetch_all(&db.pool)
        .await?;
    if rows.is_empty() {
        return Err(Problem::not_found(format!("no invoice of order {order}")));
    }
    let documents = with_lines(&db.pool, rows).await?;
    Ok(Json(OrderInvoices {
        order_id: order,
        documents,
    }))
}
