//! The documents each `PaymentSplit` event issues:
//!
//! - `SplitComputed` of the payment that paid the order: per vendor, in the
//!   event's order, the vendor's invoice to the buyer (the vendor order's
//!   lines, plus one adjustment line if an order-level amount moved the
//!   vendor's allocated amount off its subtotal), then the platform's fee
//!   invoice to the vendor (if the fee is not zero).
//! - `RefundRecorded` and `ChargebackRecorded`: per vendor part, a credit
//!   note of the vendor to the buyer against the vendor's invoice (for a
//!   refund caused by a cancellation or a return, the lines given back;
//!   otherwise one line for the amount), then the platform's credit note
//!   to the vendor for the fee given back (if any).
//!
//! A split of a payment that did not pay the order (a payment after the
//! order closed, booked and refunded at once) issues nothing, and neither
//! do its refunds: nothing was sold.

use bazaar_domain::payment_split::{PaymentSplitEvent as E, VendorReturn, VendorSplit};
use bazaar_event_store::RecordedEvent;
use uuid::Uuid;

use super::document::{issue, source, source_of, Draft, Line, PLATFORM};
use super::rows::{Issued, OrderRow, Rows};
use crate::projection::ApplyError;

/// What took money back: a refund or a chargeback, by its id.
#[derive(Debug, Clone, Copy)]
enum TakenBack<'a> {
    Refund(&'a str),
    Chargeback(&'a str),
}

impl TakenBack<'_> {
    fn name(self) -> &'static str {
        match self {
            Self::Refund(_) => "refund",
            Self::Chargeback(_) => "chargeback",
        }
    }
}

/// Folds one `PaymentSplit` event into `rows`.
pub(super) fn apply(rows: &mut Rows, payload: &E, event: &RecordedEvent) -> Result<(), ApplyError> {
    let issues = matches!(
        payload,
        E::SplitComputed { .. } | E::RefundRecorded { .. } | E::ChargebackRecorded { .. }
    );
    let Some(order) = rows.orders.get(&event.aggregate_id).cloned() else {
        return Ok(());
    };
    if !issues || order.split_sequence >= event.sequence {
        return Ok(());
    }
    if let Some(row) = rows.orders.get_mut(&event.aggregate_id) {
        row.split_sequence = event.sequence;
        row.updated_at = event.recorded_at;
    }
    match payload {
        E::SplitComputed {
            payment_id,
            vendors,
            ..
        } if order.payment_id.as_deref() == Some(payment_id.as_ref()) => {
            for split in vendors {
                sale_invoice(rows, &order, split, event)?;
                fee_invoice(rows, &order, split, event)?;
            }
            Ok(())
        }
        E::RefundRecorded {
            refund_id, vendors, ..
        } => credit_all(
            rows,
            &order,
            vendors,
            TakenBack::Refund(refund_id.as_ref()),
            event,
        ),
        E::ChargebackRecorded {
            chargeback_id,
            vendors,
            ..
        } => {
            let taken = TakenBack::Chargeback(chargeback_id.as_ref());
            credit_all(rows, &order, vendors, taken, event)
        }
        _ => Ok(()),
    }
}

fn credit_all(
    rows: &mut Rows,
    order: &OrderRow,
    vendors: &[VendorReturn],
    taken: TakenBack<'_>,
    event: &RecordedEvent,
) -> Result<(), ApplyError> {
    for part in vendors {
        sale_credit(rows, order, part, taken, event)?;
        fee_credit(rows, order, part, taken, event)?;
    }
    Ok(())
}

/// The vendor's invoice to the buyer for its vendor order.
fn sale_invoice(
    rows: &mut Rows,
    order: &OrderRow,
    split: &VendorSplit,
    event: &RecordedEvent,
) -> Result<(), ApplyError> {
    let vendor = split.vendor.to_string();
    let allocated = split.balance.allocated.amount();
    let mut lines = order_lines(rows, &order.order_id, &vendor)?;
    let subtotal: i64 = lines.iter().map(|l| l.amount).sum();
    if subtotal != allocated {
        let adjustment = allocated - subtotal;
        lines.push(Line::single(
            "order-level adjustment".to_owned(),
            adjustment,
        ));
    }
    let sources = vec![
        source(
            order.placed_event_id,
            order.placed_position,
            "Order",
            "OrderPlaced",
        ),
        source(
            order.paid_event_id.unwrap_or_default(),
            order.paid_position.unwrap_or_default(),
            "Order",
            "PaymentConfirmed",
        ),
        source_of(event),
    ];
    let draft = Draft {
        kind: "invoice",
        subject: "sale",
        issuer: ("vendor", vendor.clone()),
        recipient: ("buyer", order.buyer_id.clone()),
        vendor_id: vendor.clone(),
        total: allocated,
        fee: split.balance.fee.amount(),
        credits: None,
        reason: "sale",
        reference: order.payment_id.clone().unwrap_or_default(),
        lines,
        sources,
        name: format!("sale-invoice/{vendor}"),
    };
    issue(rows, order, draft, event).map(drop)
}

/// The vendor order's lines, as placed, in line order.
fn order_lines(rows: &Rows, order_id: &str, vendor: &str) -> Result<Vec<Line>, ApplyError> {
    let start = (order_id.to_owned(), i32::MIN);
    rows.order_lines
        .from(&start)
        .take_while(|((order, _), _)| order == order_id)
        .filter(|(_, line)| line.vendor_id == vendor)
        .map(|(_, line)| {
            let amount = line
                .quantity
                .checked_mul(line.unit_price)
                .ok_or_else(|| ApplyError::poison("line total overflows"))?;
            Ok(Line {
                description: line.title.clone(),
                product: Some(line.product.clone()),
                sku: Some(line.sku.clone()),
                order_line_no: Some(line.line_no),
                quantity: line.quantity,
                unit_price: line.unit_price,
                amount,
            })
        })
        .collect()
}

/// The platform's invoice to the vendor for the fee on its vendor order.
fn fee_invoice(
    rows: &mut Rows,
    order: &OrderRow,
    split: &VendorSplit,
    event: &RecordedEvent,
) -> Result<(), ApplyError> {
    let fee = split.balance.fee.amount();
    if fee == 0 {
        return Ok(());
    }
    let vendor = split.vendor.to_string();
    let bps = order.fee_rate_bps;
    let description = format!(
        "platform fee on order {}: {}.{:02} % of {} (minor units)",
        order.order_id,
        bps / 100,
        bps % 100,
        split.balance.allocated.amount()
    );
    let draft = Draft {
        kind: "invoice",
        subject: "platform_fee",
        issuer: (PLATFORM.0, PLATFORM.1.to_owned()),
        recipient: ("vendor", vendor.clone()),
        vendor_id: vendor.clone(),
        total: fee,
        fee,
        credits: None,
        reason: "sale",
        reference: order.payment_id.clone().unwrap_or_default(),
        lines: vec![Line::single(description, fee)],
        sources: vec![source_of(event)],
        name: format!("fee-invoice/{vendor}"),
    };
    issue(rows, order, draft, event).map(drop)
}

/// The vendor's credit note to the buyer for its part of a refund or
/// chargeback; nothing if the vendor order was never invoiced.
fn sale_credit(
    rows: &mut Rows,
    order: &OrderRow,
    part: &VendorReturn,
    taken: TakenBack<'_>,
    event: &RecordedEvent,
) -> Result<(), ApplyError> {
    let vendor = part.vendor.to_string();
    let amount = part.amount.amount();
    let key = (order.order_id.clone(), vendor.clone(), "sale");
    let Some(invoice) = rows.invoices.get(&key).copied() else {
        return Ok(());
    };
    if amount == 0 {
        return Ok(());
    }
    let (lines, reason, mut sources) = match (taken, given_back(rows, order, &vendor, event)) {
        (TakenBack::Refund(_), Some(cause)) if cause.total == amount => {
            (cause.lines, cause.reason, vec![cause.source])
        }
        _ => {
            let line = Line::single(format!("{} {}", taken.name(), taken_id(taken)), amount);
            (vec![line], taken.name(), Vec::new())
        }
    };
    sources.push(source_of(event));
    let draft = credit_draft(
        ("sale", ("vendor", vendor.clone())),
        ("buyer", order.buyer_id.clone()),
        (&vendor, amount, part.fee_part.amount()),
        (invoice, reason, taken),
        (lines, sources),
    );
    issue(rows, order, draft, event).map(drop)
}

/// The platform's credit note to the vendor for the fee it gives back.
fn fee_credit(
    rows: &mut Rows,
    order: &OrderRow,
    part: &VendorReturn,
    taken: TakenBack<'_>,
    event: &RecordedEvent,
) -> Result<(), ApplyError> {
    let vendor = part.vendor.to_string();
    let fee = part.fee_part.amount();
    let key = (order.order_id.clone(), vendor.clone(), "platform_fee");
    let Some(invoice) = rows.invoices.get(&key).copied() else {
        return Ok(());
    };
    if fee == 0 {
        return Ok(());
    }
    let description = format!(
        "platform fee given back on {} {} of order {}",
        taken.name(),
        taken_id(taken),
        order.order_id
    );
    let draft = credit_draft(
        ("platform_fee", (PLATFORM.0, PLATFORM.1.to_owned())),
        ("vendor", vendor.clone()),
        (&vendor, fee, fee),
        (invoice, taken.name(), taken),
        (vec![Line::single(description, fee)], vec![source_of(event)]),
    );
    issue(rows, order, draft, event).map(drop)
}

type Subject = (&'static str, (&'static str, String));

fn credit_draft(
    (subject, issuer): Subject,
    recipient: (&'static str, String),
    (vendor, total, fee): (&str, i64, i64),
    (invoice, reason, taken): (Issued, &'static str, TakenBack<'_>),
    (lines, sources): (Vec<Line>, Vec<serde_json::Value>),
) -> Draft {
    let prefix = if subject == "sale" { "sale" } else { "fee" };
    Draft {
        kind: "credit_note",
        subject,
        issuer,
        recipient,
        vendor_id: vendor.to_owned(),
        total,
        fee,
        credits: Some(invoice),
        reason,
        reference: taken_id(taken).to_owned(),
        lines,
        sources,
        name: format!("{prefix}-credit-note/{vendor}"),
    }
}

fn taken_id(taken: TakenBack<'_>) -> &str {
    match taken {
        TakenBack::Refund(id) | TakenBack::Chargeback(id) => id,
    }
}

/// The paid lines an order event gave back, when that event caused this
/// refund (the saga records a cancellation's or a return's refund with
/// the order event as its cause).
struct GivenBack {
    lines: Vec<Line>,
    total: i64,
    reason: &'static str,
    source: serde_json::Value,
}

fn given_back(
    rows: &Rows,
    order: &OrderRow,
    vendor: &str,
    event: &RecordedEvent,
) -> Option<GivenBack> {
    let cause: Uuid = event.provenance().causation_id?.parse().ok()?;
    let start = (cause, vendor.to_owned(), i32::MIN);
    let causes: Vec<_> = rows
        .causes
        .from(&start)
        .take_while(|((id, v, _), _)| *id == cause && v == vendor)
        .map(|(_, row)| row)
        .collect();
    let first = causes.first()?;
    let reason = if first.reason == "return" {
        "return"
    } else {
        "cancellation"
    };
    let mut lines = Vec::new();
    for row in &causes {
        let placed = rows
            .order_lines
            .get(&(order.order_id.clone(), row.line_no))?;
        if row.quantity.checked_mul(placed.unit_price) != Some(row.amount) {
            return None;
        }
        let label = if reason == "return" {
            "returned"
        } else {
            "cancelled"
        };
        lines.push(Line {
            description: format!("{label}: {}", placed.title),
            product: Some(placed.product.clone()),
            sku: Some(placed.sku.clone()),
            order_line_no: Some(row.line_no),
            quantity: row.quantity,
            unit_price: placed.unit_price,
            amount: row.amount,
        });
    }
    let total = lines.iter().map(|l| l.amount).sum();
    let source = source(first.event_id, first.position, "Order", &first.event_type);
    Some(GivenBack {
        lines,
        total,
        reason,
        source,
    })
}
