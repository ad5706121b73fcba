//! `GET /v1/invoices/export`: one issuer's documents of a period for
//! accounting, streamed in number order as NDJSON (one document with its
//! lines per line) or CSV (one row per document line, the document's
//! columns repeated).
//!
//! The format is the `format` parameter (`ndjson`, `csv`), else the
//! `Accept` header (`text/csv` gives CSV), else NDJSON. Documents are read
//! in pages of [`PAGE`] by number, so an export of any size holds one page
//! in memory; a page and its lines are one statement of the read model
//! (`bazaar_projections::read_models::invoices::queries::issued`).

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use bazaar_projections::read_models::invoices::queries::{self as invoices, Issued};
use chrono::NaiveDate;
use futures::StreamExt;
use serde::Deserialize;
use sqlx::PgPool;
use utoipa::IntoParams;

use super::queries::{InvoiceDetail, MODEL};
use crate::http::auth::Principal;
use crate::http::extract::ApiQuery;
use crate::http::problem::Problem;
use crate::read;
use crate::routes::responses::QueryFailures;
use crate::state::AppState;

/// Documents per page read from the database.
const PAGE: i64 = 500;

/// Whose documents, which period, which format.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ExportQuery {
    /// `vendor` or `platform`; a vendor's token defaults to itself.
    pub issuer_kind: Option<String>,
    /// The vendor, for `issuer_kind=vendor`.
    pub issuer_id: Option<String>,
    /// Issued on or after this date (UTC); default: from the first.
    pub from: Option<NaiveDate>,
    /// Issued before this date (UTC); default: to the last.
    pub to: Option<NaiveDate>,
    /// `ndjson` or `csv`; default: by `Accept`, else NDJSON.
    pub format: Option<String>,
    /// Wait until the read model has applied this command position.
    #[param(pattern = "^[0-9]{1,18}-[0-9]{1,18}$")]
    pub min_position: Option<String>,
}

/// The export's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Ndjson,
    Csv,
}

/// One issuer's invoices and credit notes of a period, in number order,
/// as NDJSON or CSV (a vendor its own; admins and auditors any issuer's,
/// `issuer_kind=platform` for the platform's fee documents).
#[utoipa::path(get, path = "/invoices/export", tag = "invoices", params(ExportQuery),
    responses(
        (status = 200, description = "one document per line, or one CSV row per document line",
         content((String = "application/x-ndjson"), (String = "text/csv"))),
        QueryFailures),
    security(("bearer" = [])))]
pub(super) async fn export(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Response, Problem> {
    let db = state.read_pool();
    let format = format(query.format.as_deref(), &headers)?;
    let issuer = issuer(&principal, &query)?;
    if let (Some(from), Some(to)) = (query.from, query.to) {
        if from >= to {
            return Err(Problem::bad_request(
                "invalid-query",
                "from must be before to",
            ));
        }
    }
    read::wait_for(&db, MODEL, query.min_position.as_deref(), state.read_wait).await?;
    let selection = Issued {
        issuer_kind: issuer.0,
        issuer_id: issuer.1,
        from: query.from,
        to: query.to,
    };
    let chunks = pages(db.pool.clone(), selection).map(move |page| {
        page.map(|(first, docs)| Bytes::from(render(format, first, &docs)))
            .map_err(|error| {
                tracing::error!(%error, "invoice export failed mid-stream");
                std::io::Error::other(error.to_string())
            })
    });
    let content_type = match format {
        Format::Ndjson => "application/x-ndjson",
        Format::Csv => "text/csv; charset=utf-8",
    };
    Ok((
        [(header::CONTENT_TYPE, content_type)],
        Body::from_stream(chunks),
    )
        .into_response())
}

fn format(asked: Option<&str>, headers: &HeaderMap) -> Result<Format, Problem> {
    match asked {
        Some("ndjson") => Ok(Format::Ndjson),
        Some("csv") => Ok(Format::Csv),
        Some(other) => Err(Problem::bad_request(
            "invalid-query",
            format!("format {other:?} is not ndjson or csv"),
        )),
        None => {
            let accept = headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            Ok(if accept.contains("text/csv") {
                Format::Csv
            } else {
                Format::Ndjson
            })
        }
    }
}

/// The issuer whose documents `principal` exports: (kind, id).
fn issuer(principal: &Principal, query: &ExportQuery) -> Result<(String, String), Problem> {
    let kind = query.issuer_kind.as_deref();
    if let Some(own) = principal
        .vendor
        .as_ref()
        .filter(|_| !principal.sees_everything())
    {
        if kind.is_some_and(|k| k != "vendor") {
            return Err(Problem::forbidden(
                "vendors export the documents they issued",
            ));
        }
        let id = query.issuer_id.clone().unwrap_or_else(|| own.to_string());
        principal.require_vendor(&id)?;
        return Ok(("vendor".to_owned(), id));
    }
    if !principal.sees_everything() {
        return Err(Problem::forbidden(
            "invoice exports are for the issuing vendor, admins and auditors",
        ));
    }
    match (kind, &query.issuer_id) {
        (Some("platform"), None) => Ok(("platform".to_owned(), "platform".to_owned())),
        (Some("vendor"), Some(id)) => Ok(("vendor".to_owned(), id.clone())),
        _ => Err(Problem::bad_request(
            "invalid-query",
            "name the issuer: issuer_kind=platform, or issuer_kind=vendor with issuer_id",
        )),
    }
}

/// The selection's documents with their lines, a page at a time; each
/// page says whether it is the first.
fn pages(
    pool: PgPool,
    selection: Issued,
) -> impl futures::Stream<Item = sqlx::Result<(bool, Vec<InvoiceDetail>)>> + Send + 'static {
    futures::stream::try_unfold(Some(0_i64), move |after| {
        let (pool, selection) = (pool.clone(), selection.clone());
        async move {
            let Some(after) = after else {
                return Ok(None);
            };
            let docs = invoices::issued(&pool, &selection, after, PAGE).await?;
            let next = match docs.last() {
                Some(last) if docs.len() as i64 == PAGE => Some(last.document.number),
                _ => None,
            };
            if docs.is_empty() && after > 0 {
                return Ok(None);
            }
            Ok(Some(((after == 0, docs), next)))
        }
    })
}

/// One page as text: the CSV header before the first page's rows.
fn render(format: Format, first: bool, docs: &[InvoiceDetail]) -> String {
    match format {
        Format::Ndjson => docs.iter().map(ndjson_line).collect(),
        Format::Csv => {
            let mut out = if first { csv::header() } else { String::new() };
            for doc in docs {
                out.push_str(&csv::rows(doc));
            }
            out
        }
    }
}

fn ndjson_line(doc: &InvoiceDetail) -> String {
    let mut value = serde_json::to_value(&doc.document).unwrap_or_default();
    value["lines"] = serde_json::to_value(&doc.lines).unwrap_or_default();
    format!("{value}\n")
}

mod csv {
    //! CSV as RFC 4180 has it: CRLF line ends, fields with a comma, quote or
    //! line break quoted and quotes doubled. Text a spreadsheet would run
    //! as a formula (starting with `=`, `+`, `-`, `@`) gets a leading `'`.

    use super::InvoiceDetail;

    const COLUMNS: &[&str] = &[
        "document_id",
        "kind",
        "subject",
        "issuer_kind",
        "issuer_id",
        "number",
        "issue_date",
        "issued_at",
        "recipient_kind",
        "recipient_id",
        "order_id",
        "vendor_id",
        "buyer_id",
        "currency",
        "total",
        "fee",
        "fee_rate_bps",
        "credits_document_id",
        "credits_number",
        "reason",
        "reference",
        "line_no",
        "description",
        "product",
        "sku",
        "order_line_no",
        "quantity",
        "unit_price",
        "amount",
    ];

    pub(super) fn header() -> String {
        format!("{}\r\n", COLUMNS.join(","))
    }

    /// One row per line of `doc`.
    pub(super) fn rows(doc: &InvoiceDetail) -> String {
        let d = &doc.document;
        let head = [
            d.document_id.to_string(),
            d.kind.clone(),
            d.subject.clone(),
            d.issuer_kind.clone(),
            text(&d.issuer_id),
            d.number.to_string(),
            d.issue_date.to_string(),
            d.issued_at.to_rfc3339(),
            d.recipient_kind.clone(),
            text(&d.recipient_id),
            text(&d.order_id),
            text(&d.vendor_id),
            text(&d.buyer_id),
            d.currency.clone(),
            d.total.to_string(),
            d.fee.to_string(),
            d.fee_rate_bps.to_string(),
            d.credits_document_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            d.credits_number.map(|n| n.to_string()).unwrap_or_default(),
            d.reason.clone(),
            text(&d.reference),
        ];
        let mut out = String::new();
        for line in &doc.lines {
            let tail = [
                line.line_no.to_string(),
                text(&line.description),
                line.product.as_deref().map(text).unwrap_or_default(),
                line.sku.as_deref().map(text).unwrap_or_default(),
                line.order_line_no
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
                line.quantity.to_string(),
                line.unit_price.to_string(),
                line.amount.to_string(),
            ];
            let fields: Vec<String> = head.iter().chain(tail.iter()).map(|f| quote(f)).collect();
            out.push_str(&fields.join(","));
            out.push_str("\r\n");
        }
        out
    }

    /// Text from outside (titles, ids): never a formula.
    fn text(value: &str) -> String {
        if value.starts_with(['=', '+', '-', '@']) {
            format!("'{value}")
        } else {
            value.to_owned()
        }
    }

    fn quote(field: &str) -> String {
        if field.contains([',', '"', '\r', '\n']) {
            format!("\"{}\"", field.replace('"', "\"\""))
        } else {
            field.to_owned()
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn fields_with_separators_are_quoted_and_formulas_defused() {
            assert_eq!(quote("a,b"), "\"a,b\"");
            assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
            assert_eq!(quote("plain"), "plain");
            assert_eq!(text("=SUM(A1)"), "'=SUM(A1)");
            assert_eq!(text("-5 apples"), "'-5 apples");
            assert_eq!(text("apples"), "apples");
        }
    }
}
