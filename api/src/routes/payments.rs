//! `/v1/payments/{order_id}`: the split of an order's captured payment
//! between its vendors and the platform, refunds, chargebacks and
//! payouts; and the money read models (balances, ledger, platform fees).
//!
//! Money movements are recorded by finance operations and the payment
//! provider's webhooks, which act as admins: every command here is
//! admin-only (the checkout saga and the scheduler issue most of them).
//! Vendors read their own balances and ledger under `/v1/vendors/{id}`;
//! admins and auditors read everything.

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

mod bodies;
mod commands;
mod queries;

pub use bodies::*;
pub use queries::{
    LedgerEntryRow, PaymentDetail, PlatformFeeRow, VendorBalanceRow, VendorOrderBalanceRow,
};

/// The payment and balance routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(commands::compute_split))
        .routes(routes!(commands::schedule_payout))
        .routes(routes!(commands::release_payout))
        .routes(routes!(commands::payout_failed))
        .routes(routes!(commands::refund))
        .routes(routes!(commands::chargeback))
        .routes(routes!(queries::get))
        .routes(routes!(queries::platform_fees))
        .routes(routes!(queries::balances))
        .routes(routes!(queries::ledger))
        .routes(routes!(queries::order_balances))
}
