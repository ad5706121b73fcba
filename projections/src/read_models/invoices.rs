//! The `invoices` read model: the invoices and credit notes a sale makes,
//! numbered without gaps per issuer, for buyers, vendors and the
//! platform's and vendors' accounting.
//!
//! - When a vendor order is paid (the order's payment is split), the vendor
//!   invoices the buyer for it and the platform invoices the vendor for its
//!   fee on it.
//! - Every refund (a cancellation, a return, a dispute, by hand) and every
//!   chargeback credits, per vendor it falls on, the vendor's invoice with
//!   a credit note of the vendor's part, and the platform's fee invoice
//!   with a credit note of the fee it gives back.
//!
//! `docs/read-models/invoices.md` has the policy (what issues what, partial
//! refunds, why the fee is invoiced per vendor order) and every column.
//!
//! # Numbering
//! Each issuer (every vendor, and the platform) has one series: its
//! invoices and credit notes are numbered 1, 2, 3, … in the order the
//! events that issue them were committed (the log's commit order, in which
//! every generation applies them), and within one event in the order the
//! event lists the vendors, the vendor's document before the platform's.
//! The series' last number is written in the same transaction as the
//! documents and the checkpoint, so a number is never skipped or given
//! twice, and a rebuild gives every document the same number, id
//! (derived from the issuing event's id) and issue date (the event's
//! `recorded_at`).
//!
//! # Replays
//! `invoice_orders` keeps the sequence of the last applied `Order` event
//! and of the last applied `PaymentSplit` event that issues documents;
//! events at or below them are skipped, so a replay numbers nothing.
//!
//! # Batches
//! The rows of a batch's orders and the series of its issuers are loaded
//! with one statement per table, the events folded into them in order, and
//! what changed written with one `unnest` statement per table.
//!
//! # Layout
//! - `invoices/tables.sql`: the tables and indexes of one generation.
//! - `orders`: what the model keeps of `Order` events.
//! - `issue`: the documents each `PaymentSplit` event issues.
//! - `document`: numbering a document and turning it into rows.
//! - `rows`: the rows as data, and loading them; `store`: writing them.
//! - [`queries`]: the statements that read the tables, for the API.

mod document;
mod issue;
mod orders;
pub mod queries;
mod rows;
mod store;

use bazaar_domain::order::OrderEvent;
use bazaar_domain::payment_split::PaymentSplitEvent;
use bazaar_event_store::RecordedEvent;
use serde::de::DeserializeOwned;
use sqlx::PgConnection;

use crate::projection::{apply_one, ApplyError, BatchError, Projection};
use crate::read_models::table::distinct;

/// The persisted aggregate type of orders.
const ORDER: &str = "Order";
/// The persisted aggregate type of payment splits (id = the order's id).
const PAYMENT_SPLIT: &str = "PaymentSplit";

/// The invoices read model (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct Invoices;

/// An event this model reads, decoded.
enum Payload {
    Order(OrderEvent),
    Split(PaymentSplitEvent),
}

impl Projection for Invoices {
    const NAME: &'static str = "invoices";
    const CODE_VERSION: i32 = 1;
    const AGGREGATE_TYPES: &'static [&'static str] = &[ORDER, PAYMENT_SPLIT];

    fn tables(&self) -> &'static str {
        include_str!("invoices/tables.sql")
    }

    fn exposed(&self) -> &'static [&'static str] {
        &["invoices", "invoice_lines", "invoice_series"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: &RecordedEvent,
    ) -> Result<(), ApplyError> {
        apply_one(self, conn, event).await
    }

    async fn apply_batch(
        &self,
        conn: &mut PgConnection,
        events: &[RecordedEvent],
    ) -> Result<(), BatchError> {
        let mut mine = Vec::new();
        for (index, event) in events.iter().enumerate() {
            let payload = match event.aggregate_type.as_str() {
                ORDER => Payload::Order(parse(event).map_err(|e| BatchError::at(index, e))?),
                PAYMENT_SPLIT => {
                    Payload::Split(parse(event).map_err(|e| BatchError::at(index, e))?)
                }
                _ => continue,
            };
            mine.push((index, event, payload));
        }
        if mine.is_empty() {
            return Ok(());
        }
        let orders = distinct(
            mine.iter()
                .map(|(_, e, _)| e.aggregate_id.as_str())
                .collect(),
        );
        let issuers = issuers(&mine);
        let mut rows = rows::load(conn, &orders, &issuers)
            .await
            .map_err(BatchError::whole)?;
        for (index, event, payload) in &mine {
            let folded = match payload {
                Payload::Order(order) => orders::apply(&mut rows, order, event),
                Payload::Split(split) => issue::apply(&mut rows, split, event),
            };
            folded.map_err(|e| BatchError::at(*index, e))?;
        }
        store::write(conn, &rows).await.map_err(BatchError::whole)
    }
}

/// Every issuer a batch may number a document of: the platform and each
/// vendor its split events name.
fn issuers(mine: &[(usize, &RecordedEvent, Payload)]) -> Vec<(String, String)> {
    let mut issuers = vec![(
        document::PLATFORM.0.to_owned(),
        document::PLATFORM.1.to_owned(),
    )];
    for (_, _, payload) in mine {
        let vendors: Vec<String> = match payload {
            Payload::Split(PaymentSplitEvent::SplitComputed { vendors, .. }) => {
                vendors.iter().map(|v| v.vendor.to_string()).collect()
            }
            Payload::Split(
                PaymentSplitEvent::RefundRecorded { vendors, .. }
                | PaymentSplitEvent::ChargebackRecorded { vendors, .. },
            ) => vendors.iter().map(|v| v.vendor.to_string()).collect(),
            _ => continue,
        };
        issuers.extend(vendors.into_iter().map(|v| ("vendor".to_owned(), v)));
    }
    distinct(issuers)
}

/// The `subject` column's value as the static string the rows hold.
fn subject_of(subject: &str) -> &'static str {
    if subject == "sale" {
        "sale"
    } else {
        "platform_fee"
    }
}

fn parse<T: DeserializeOwned>(event: &RecordedEvent) -> Result<T, ApplyError> {
    event.payload.decode().map_err(|e| {
        ApplyError::poison(format!(
            "unreadable {} {} payload: {e}",
            event.aggregate_type, event.event_type
        ))
    })
}
