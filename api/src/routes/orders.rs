//! `/v1/orders`: checkout and the life of an order and its vendor orders.
//!
//! Who may do what:
//! - buyers place orders for themselves, cancel them, confirm delivery and
//!   ask for returns, and read only their own orders;
//! - vendors pack, ship, cancel their part and receive returns, only in
//!   their own vendor orders, and read them under `/v1/vendors/{id}/orders`;
//! - admins (and the payment provider's webhook, which acts as admin)
//!   confirm payments and run the timer commands by hand;
//! - auditors read everything and write nothing.
//!
//! An order a caller may not see answers 404, as if it did not exist.

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

mod access;
mod bodies;
mod commands;
mod queries;

pub use bodies::*;
pub use queries::{OrderDetail, OrderLineRow, OrderRow, VendorOrderDetail, VendorOrderRow};

/// The order routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(commands::place, queries::list))
        .routes(routes!(queries::get))
        .routes(routes!(commands::confirm_payment))
        .routes(routes!(commands::expire_payment))
        .routes(routes!(commands::cancel))
        .routes(routes!(commands::cancel_vendor_order))
        .routes(routes!(commands::pack))
        .routes(routes!(commands::ship))
        .routes(routes!(commands::confirm_delivery))
        .routes(routes!(commands::auto_confirm_delivery))
        .routes(routes!(commands::request_return))
        .routes(routes!(commands::receive_return))
        .routes(routes!(commands::complete))
        .routes(routes!(queries::vendor_list))
        .routes(routes!(queries::vendor_get))
}
