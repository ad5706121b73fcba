//! Issuing one document: the next number of its issuer's series, its row
//! and its lines. A document whose lines do not add up to its total is
//! never written (the event poisons the model instead).

use serde_json::{json, Value};
use uuid::Uuid;

use bazaar_event_store::RecordedEvent;

use super::rows::{DocumentRow, Issued, LineRow, OrderRow, Rows, SeriesRow};
use crate::projection::ApplyError;

/// The platform as an issuer: its `issuer_kind` and `issuer_id`.
pub(super) const PLATFORM: (&str, &str) = ("platform", "platform");

/// One line of a document being issued.
#[derive(Debug, Clone)]
pub(super) struct Line {
    pub(super) description: String,
    pub(super) product: Option<String>,
    pub(super) sku: Option<String>,
    pub(super) order_line_no: Option<i32>,
    pub(super) quantity: i64,
    pub(super) unit_price: i64,
    pub(super) amount: i64,
}

impl Line {
    /// A line of one unit at `amount`, for what has no order line.
    pub(super) fn single(description: String, amount: i64) -> Self {
        Self {
            description,
            product: None,
            sku: None,
            order_line_no: None,
            quantity: 1,
            unit_price: amount,
            amount,
        }
    }
}

/// A document before it has a number.
#[derive(Debug, Clone)]
pub(super) struct Draft {
    /// `invoice` or `credit_note`.
    pub(super) kind: &'static str,
    /// `sale` or `platform_fee`.
    pub(super) subject: &'static str,
    /// (`vendor`, vendor id) or [`PLATFORM`].
    pub(super) issuer: (&'static str, String),
    /// (`buyer`, buyer id) or (`vendor`, vendor id).
    pub(super) recipient: (&'static str, String),
    /// The vendor order's vendor.
    pub(super) vendor_id: String,
    pub(super) total: i64,
    pub(super) fee: i64,
    /// The invoice a credit note corrects.
    pub(super) credits: Option<Issued>,
    pub(super) reason: &'static str,
    pub(super) reference: String,
    pub(super) lines: Vec<Line>,
    /// The events it is built from, oldest first ([`source`]).
    pub(super) sources: Vec<Value>,
    /// Names the document among those its event issues: with the event's
    /// id it derives the document id, so a rebuild gives the same ids.
    pub(super) name: String,
}

/// One entry of a document's `sources`.
pub(super) fn source(
    event_id: Uuid,
    position: i64,
    aggregate_type: &str,
    event_type: &str,
) -> Value {
    json!({
        "event_id": event_id,
        "position": position,
        "aggregate_type": aggregate_type,
        "event_type": event_type,
    })
}

/// The entry of `event` itself.
pub(super) fn source_of(event: &RecordedEvent) -> Value {
    source(
        event.event_id,
        event.position.global_position,
        &event.aggregate_type,
        &event.event_type,
    )
}

/// Numbers `draft` in its issuer's series and adds it, with its lines, to
/// the batch's documents. Invoices become creditable.
pub(super) fn issue(
    rows: &mut Rows,
    order: &OrderRow,
    draft: Draft,
    event: &RecordedEvent,
) -> Result<Issued, ApplyError> {
    let sum = draft
        .lines
        .iter()
        .try_fold(0_i64, |sum, line| sum.checked_add(line.amount));
    if sum != Some(draft.total) || draft.total <= 0 {
        return Err(ApplyError::poison(format!(
            "{} {} of order {}: lines add up to {sum:?}, total {}",
            draft.subject, draft.kind, order.order_id, draft.total
        )));
    }
    let number = next_number(rows, &draft.issuer, event);
    let issued = Issued {
        document_id: Uuid::new_v5(&event.event_id, draft.name.as_bytes()),
        number,
    };
    for (index, line) in draft.lines.iter().enumerate() {
        rows.lines.push(line_row(issued.document_id, index, line)?);
    }
    if draft.kind == "invoice" {
        let key = (
            order.order_id.clone(),
            draft.vendor_id.clone(),
            draft.subject,
        );
        rows.invoices.insert(key, issued);
    }
    rows.documents
        .push(document_row(order, draft, issued, event, number));
    Ok(issued)
}

/// The issuer's next number: one more than the last, from 1.
fn next_number(rows: &mut Rows, issuer: &(&'static str, String), event: &RecordedEvent) -> i64 {
    let key = (issuer.0.to_owned(), issuer.1.clone());
    if let Some(series) = rows.series.get_mut(&key) {
        series.last_number += 1;
        series.updated_at = event.recorded_at;
        return series.last_number;
    }
    let series = SeriesRow {
        issuer_kind: key.0.clone(),
        issuer_id: key.1.clone(),
        last_number: 1,
        updated_at: event.recorded_at,
    };
    rows.series.insert(key, series);
    1
}

fn line_row(document_id: Uuid, index: usize, line: &Line) -> Result<LineRow, ApplyError> {
    Ok(LineRow {
        document_id,
        line_no: i32::try_from(index + 1).map_err(ApplyError::poison)?,
        description: line.description.clone(),
        product: line.product.clone(),
        sku: line.sku.clone(),
        order_line_no: line.order_line_no,
        quantity: line.quantity,
        unit_price: line.unit_price,
        amount: line.amount,
    })
}

fn document_row(
    order: &OrderRow,
    draft: Draft,
    issued: Issued,
    event: &RecordedEvent,
    number: i64,
) -> DocumentRow {
    DocumentRow {
        document_id: issued.document_id,
        kind: draft.kind,
        subject: draft.subject,
        issuer_kind: draft.issuer.0,
        issuer_id: draft.issuer.1,
        number,
        recipient_kind: draft.recipient.0,
        recipient_id: draft.recipient.1,
        order_id: order.order_id.clone(),
        vendor_id: draft.vendor_id,
        buyer_id: order.buyer_id.clone(),
        currency: order.currency.clone(),
        total: draft.total,
        fee: draft.fee,
        fee_rate_bps: order.fee_rate_bps,
        credits_document_id: draft.credits.map(|c| c.document_id),
        credits_number: draft.credits.map(|c| c.number),
        reason: draft.reason,
        reference: draft.reference,
        issued_at: event.recorded_at,
        issue_date: event.recorded_at.date_naive(),
        position: event.position.global_position,
        sources: Value::Array(draft.sources),
    }
}
