//! What readers ask the invoices read model (`read.invoices`,
//! `read.invoice_lines`; docs/read-models/invoices.md), as typed functions
//! over any pool: the API's handlers call them on the pool their
//! read-your-writes wait ran on.
//!
//! The statements live here, next to the tables they read, because the
//! module that writes a table owns its statements
//! (docs/adr/0002-runtime-checked-sql.md). Who reads which documents is a
//! [`Scope`] every reader's query applies in SQL, so that a page is cut
//! after the filter. Each query is one statement: documents come with
//! their lines as a JSON array (`line_rows`), decoded into typed rows.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgArguments;
use sqlx::query::QueryAs;
use sqlx::types::Json;
use sqlx::{PgPool, Postgres};
use utoipa::ToSchema;
use uuid::Uuid;

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

/// The documents a reader reads: all of them, those addressed to a buyer,
/// or those a vendor issued or received.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Admins and auditors.
    pub all: bool,
    /// A buyer's id: documents whose recipient it is.
    pub buyer: Option<String>,
    /// A vendor's id: documents it issued or received.
    pub vendor: Option<String>,
}

impl Scope {
    /// Whether the reader reads nothing at all.
    pub fn is_empty(&self) -> bool {
        !self.all && self.buyer.is_none() && self.vendor.is_none()
    }
}

/// The filters of [`list`]; `None` filters nothing.
#[derive(Debug, Clone, Default)]
pub struct InvoiceFilter {
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
}

/// One issuer's documents of a period (an export).
#[derive(Debug, Clone)]
pub struct Issued {
    /// `vendor` or `platform`.
    pub issuer_kind: String,
    /// The vendor's id, or `platform`.
    pub issuer_id: String,
    /// Issued on or after this date (UTC).
    pub from: Option<NaiveDate>,
    /// Issued before this date (UTC).
    pub to: Option<NaiveDate>,
}

/// Where a document sits in the newest-first list: `(position, document_id)`.
pub type IssuedKey = (i64, Uuid);

/// The columns of [`InvoiceRow`].
const COLUMNS: &str = "document_id, kind, subject, issuer_kind, issuer_id, number, \
    recipient_kind, recipient_id, order_id, vendor_id, buyer_id, currency, total, fee, \
    fee_rate_bps, credits_document_id, credits_number, reason, reference, issued_at, issue_date, \
    position, sources";

/// The document's lines by line number, as the JSON column `line_rows` of
/// a select over `read.invoices d`.
const LINE_ROWS: &str = "coalesce((select json_agg(l order by l.line_no) from \
    (select x.line_no, x.description, x.product, x.sku, x.order_line_no, x.quantity, \
            x.unit_price, x.amount \
       from read.invoice_lines x where x.document_id = d.document_id) l), '[]') as line_rows";

/// The condition on `invoices` rows, over binds `$1` (all), `$2` (buyer)
/// and `$3` (vendor); queries number their own binds from `$4`.
const VISIBLE: &str = "($1::bool \
    or (recipient_kind = 'buyer' and recipient_id = $2::text) \
    or (issuer_kind = 'vendor' and issuer_id = $3::text) \
    or (recipient_kind = 'vendor' and recipient_id = $3::text))";

/// Binds `scope` as `$1`, `$2`, `$3` of [`VISIBLE`].
fn scoped<'q, O>(
    query: QueryAs<'q, Postgres, O, PgArguments>,
    scope: &Scope,
) -> QueryAs<'q, Postgres, O, PgArguments> {
    query
        .bind(scope.all)
        .bind(scope.buyer.clone())
        .bind(scope.vendor.clone())
}

/// A document row with its lines as a JSON array.
#[derive(sqlx::FromRow)]
struct DetailRow {
    #[sqlx(flatten)]
    document: InvoiceRow,
    line_rows: Json<Vec<InvoiceLineRow>>,
}

impl From<DetailRow> for InvoiceDetail {
    fn from(row: DetailRow) -> Self {
        Self {
            document: row.document,
            lines: row.line_rows.0,
        }
    }
}

/// The documents `scope` reads that match `filter`, newest first, after
/// `after`; at most `limit`.
pub async fn list(
    db: &PgPool,
    scope: &Scope,
    filter: &InvoiceFilter,
    after: Option<IssuedKey>,
    limit: i64,
) -> sqlx::Result<Vec<InvoiceRow>> {
    let (position, document) = after.unzip();
    let sql = format!(
        "select {COLUMNS} from read.invoices where {VISIBLE} \
            and ($4::text is null or order_id = $4) and ($5::text is null or kind = $5) \
            and ($6::text is null or subject = $6) and ($7::text is null or vendor_id = $7) \
            and ($8::date is null or issue_date >= $8) and ($9::date is null or issue_date < $9) \
            and ($10::int8 is null or (position, document_id) < ($10, $11)) \
          order by position desc, document_id desc limit $12"
    );
    scoped(sqlx::query_as(&sql), scope)
        .bind(&filter.order_id)
        .bind(&filter.kind)
        .bind(&filter.subject)
        .bind(&filter.vendor_id)
        .bind(filter.from)
        .bind(filter.to)
        .bind(position)
        .bind(document)
        .bind(limit)
        .fetch_all(db)
        .await
}

/// One document `scope` reads, with its lines, in one statement.
pub async fn detail(
    db: &PgPool,
    scope: &Scope,
    document_id: Uuid,
) -> sqlx::Result<Option<InvoiceDetail>> {
    let sql = format!(
        "select {COLUMNS}, {LINE_ROWS} from read.invoices d where {VISIBLE} and document_id = $4"
    );
    let row: Option<DetailRow> = scoped(sqlx::query_as(&sql), scope)
        .bind(document_id)
        .fetch_optional(db)
        .await?;
    Ok(row.map(InvoiceDetail::from))
}

/// The documents of one order `scope` reads, with their lines, in the
/// order issued, in one statement.
pub async fn of_order(
    db: &PgPool,
    scope: &Scope,
    order_id: &str,
) -> sqlx::Result<Vec<InvoiceDetail>> {
    let sql = format!(
        "select {COLUMNS}, {LINE_ROWS} from read.invoices d where {VISIBLE} and order_id = $4 \
          order by position, issuer_kind desc, issuer_id, number"
    );
    let rows: Vec<DetailRow> = scoped(sqlx::query_as(&sql), scope)
        .bind(order_id)
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(InvoiceDetail::from).collect())
}

/// One issuer's documents of a period with their lines, by number, after
/// number `after`; at most `limit`, in one statement.
pub async fn issued(
    db: &PgPool,
    issued: &Issued,
    after: i64,
    limit: i64,
) -> sqlx::Result<Vec<InvoiceDetail>> {
    let rows: Vec<DetailRow> = sqlx::query_as(&format!(
        "select {COLUMNS}, {LINE_ROWS} from read.invoices d \
          where issuer_kind = $1 and issuer_id = $2 and number > $3 \
            and ($4::date is null or issue_date >= $4) and ($5::date is null or issue_date < $5) \
          order by number limit $6"
    ))
    .bind(&issued.issuer_kind)
    .bind(&issued.issuer_id)
    .bind(after)
    .bind(issued.from)
    .bind(issued.to)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(InvoiceDetail::from).collect())
}
