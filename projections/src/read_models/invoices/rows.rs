//! The rows of the invoices read model as plain data, loaded for the
//! orders and issuers a batch touches.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::read_models::table::{by_key, rows_of, Table};

type Time = DateTime<Utc>;

/// One row of the internal `invoice_orders`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(super) struct OrderRow {
    pub(super) order_id: String,
    pub(super) buyer_id: String,
    pub(super) currency: String,
    pub(super) fee_rate_bps: i32,
    pub(super) placed_event_id: Uuid,
    pub(super) placed_position: i64,
    pub(super) payment_id: Option<String>,
    pub(super) paid_event_id: Option<Uuid>,
    pub(super) paid_position: Option<i64>,
    pub(super) order_sequence: i64,
    pub(super) split_sequence: i64,
    pub(super) updated_at: Time,
}

/// One row of the internal `invoice_order_lines`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(super) struct OrderLineRow {
    pub(super) order_id: String,
    pub(super) line_no: i32,
    pub(super) vendor_id: String,
    pub(super) product: String,
    pub(super) sku: String,
    pub(super) title: String,
    pub(super) quantity: i64,
    pub(super) unit_price: i64,
}

/// One row of the internal `invoice_refund_causes`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(super) struct CauseRow {
    pub(super) event_id: Uuid,
    pub(super) vendor_id: String,
    pub(super) line_no: i32,
    pub(super) order_id: String,
    pub(super) reason: String,
    pub(super) event_type: String,
    pub(super) position: i64,
    pub(super) quantity: i64,
    pub(super) amount: i64,
}

/// One `invoice_series` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(super) struct SeriesRow {
    pub(super) issuer_kind: String,
    pub(super) issuer_id: String,
    pub(super) last_number: i64,
    pub(super) updated_at: Time,
}

/// One `invoices` row.
#[derive(Debug, Clone)]
pub(super) struct DocumentRow {
    pub(super) document_id: Uuid,
    pub(super) kind: &'static str,
    pub(super) subject: &'static str,
    pub(super) issuer_kind: &'static str,
    pub(super) issuer_id: String,
    pub(super) number: i64,
    pub(super) recipient_kind: &'static str,
    pub(super) recipient_id: String,
    pub(super) order_id: String,
    pub(super) vendor_id: String,
    pub(super) buyer_id: String,
    pub(super) currency: String,
    pub(super) total: i64,
    pub(super) fee: i64,
    pub(super) fee_rate_bps: i32,
    pub(super) credits_document_id: Option<Uuid>,
    pub(super) credits_number: Option<i64>,
    pub(super) reason: &'static str,
    pub(super) reference: String,
    pub(super) issued_at: Time,
    pub(super) issue_date: NaiveDate,
    pub(super) position: i64,
    pub(super) sources: Value,
}

/// One `invoice_lines` row.
#[derive(Debug, Clone)]
pub(super) struct LineRow {
    pub(super) document_id: Uuid,
    pub(super) line_no: i32,
    pub(super) description: String,
    pub(super) product: Option<String>,
    pub(super) sku: Option<String>,
    pub(super) order_line_no: Option<i32>,
    pub(super) quantity: i64,
    pub(super) unit_price: i64,
    pub(super) amount: i64,
}

/// An invoice a credit note can point at.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub(super) struct Issued {
    pub(super) document_id: Uuid,
    pub(super) number: i64,
}

/// Which invoice: (order, vendor, subject).
pub(super) type InvoiceKey = (String, String, &'static str);

/// The rows of a batch's orders and issuers, and the documents it issues.
#[derive(Debug, Default)]
pub(super) struct Rows {
    pub(super) orders: Table<String, OrderRow>,
    pub(super) order_lines: Table<(String, i32), OrderLineRow>,
    pub(super) causes: Table<(Uuid, String, i32), CauseRow>,
    pub(super) series: Table<(String, String), SeriesRow>,
    /// The invoices of the batch's orders, loaded and new.
    pub(super) invoices: BTreeMap<InvoiceKey, Issued>,
    /// Documents issued by this batch, in the order they were numbered.
    pub(super) documents: Vec<DocumentRow>,
    /// Their lines.
    pub(super) lines: Vec<LineRow>,
}

/// Loads the rows of `order_ids` and the series of `issuers` (kind, id).
/// No row locks: one batch of a generation runs at a time.
pub(super) async fn load(
    conn: &mut PgConnection,
    order_ids: &[&str],
    issuers: &[(String, String)],
) -> sqlx::Result<Rows> {
    let orders: Vec<OrderRow> =
        rows_of(&mut *conn, "invoice_orders", "order_id", order_ids).await?;
    let lines: Vec<OrderLineRow> =
        rows_of(&mut *conn, "invoice_order_lines", "order_id", order_ids).await?;
    let causes: Vec<CauseRow> =
        rows_of(&mut *conn, "invoice_refund_causes", "order_id", order_ids).await?;
    let series = load_series(conn, issuers).await?;
    let invoices = load_invoices(conn, order_ids).await?;
    Ok(Rows {
        orders: Table::loaded(orders.into_iter().map(|r| (r.order_id.clone(), r))),
        order_lines: Table::loaded(
            lines
                .into_iter()
                .map(|r| ((r.order_id.clone(), r.line_no), r)),
        ),
        causes: Table::loaded(
            causes
                .into_iter()
                .map(|r| ((r.event_id, r.vendor_id.clone(), r.line_no), r)),
        ),
        series: Table::loaded(
            series
                .into_iter()
                .map(|r| ((r.issuer_kind.clone(), r.issuer_id.clone()), r)),
        ),
        invoices,
        ..Rows::default()
    })
}

async fn load_series(
    conn: &mut PgConnection,
    issuers: &[(String, String)],
) -> sqlx::Result<Vec<SeriesRow>> {
    sqlx::query_as(
        "select s.* from invoice_series s \
           join unnest($1::text[], $2::text[]) as i (kind, id) \
             on s.issuer_kind = i.kind and s.issuer_id = i.id",
    )
    .bind(issuers.iter().map(|i| i.0.as_str()).collect::<Vec<_>>())
    .bind(issuers.iter().map(|i| i.1.as_str()).collect::<Vec<_>>())
    .fetch_all(conn)
    .await
}

async fn load_invoices(
    conn: &mut PgConnection,
    order_ids: &[&str],
) -> sqlx::Result<BTreeMap<InvoiceKey, Issued>> {
    #[derive(sqlx::FromRow)]
    struct Found {
        order_id: String,
        vendor_id: String,
        subject: String,
        document_id: Uuid,
        number: i64,
        kind: String,
    }
    let columns = "order_id, vendor_id, subject, document_id, number, kind";
    let found: Vec<Found> = sqlx::query_as(&by_key(columns, "invoices", "order_id"))
        .bind(order_ids)
        .fetch_all(conn)
        .await?;
    // the orders' credit notes come along; only their invoices are wanted
    Ok(found
        .into_iter()
        .filter(|f| f.kind == "invoice")
        .map(|f| {
            let subject = super::subject_of(&f.subject);
            let issued = Issued {
                document_id: f.document_id,
                number: f.number,
            };
            ((f.order_id, f.vendor_id, subject), issued)
        })
        .collect())
}
