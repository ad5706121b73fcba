//! `/v1/invoices` and `/v1/orders/{order_id}/invoice`: the invoices and
//! credit notes of the `invoices` read model (see
//! docs/read-models/invoices.md), and their export for accounting.
//!
//! Who reads what:
//! - a buyer, the documents addressed to it: the vendors' invoices and
//!   credit notes of its own orders;
//! - a vendor, the documents it issued (to buyers) and those it received
//!   (the platform's fee invoices and credit notes), and the export of the
//!   ones it issued;
//! - admins and auditors, every document and every issuer's export.
//!
//! A document the caller may not read answers 404, as if it did not exist.

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

mod export;
mod queries;
mod scope;

pub use queries::{InvoiceDetail, InvoiceLineRow, InvoiceRow, OrderInvoices};

/// The invoice routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(queries::list))
        .routes(routes!(export::export))
        .routes(routes!(queries::get))
        .routes(routes!(queries::of_order))
}
