//! `/v1/escrows`: funds held until the buyer has what it paid for — B2B
//! deals and sales of whole businesses, with milestones, inspection and
//! disputes. (Checkout escrows are opened by the checkout saga.)
//!
//! Who may do what:
//! - the buyer party (a buyer token whose `sub` is the escrow's buyer)
//!   creates escrows for itself, accepts or rejects delivered milestones
//!   and opens disputes;
//! - the seller party (a vendor token whose `vendor_id` is the escrow's
//!   seller) marks milestones delivered, opens disputes and refunds;
//! - admins (the escrow agent) do all of it and what only an agent may:
//!   funding (the payment webhook), lapsing inspections, resolving
//!   disputes, releasing by hand and cancelling;
//! - auditors read. Anyone else gets 404.

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

mod access;
mod bodies;
mod commands;
mod queries;

pub use bodies::*;
pub use queries::{EscrowDetail, EscrowMilestoneRow, EscrowRow};

/// The escrow routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(commands::create, queries::list))
        .routes(routes!(queries::get))
        .routes(routes!(commands::fund))
        .routes(routes!(commands::mark_delivered))
        .routes(routes!(commands::accept))
        .routes(routes!(commands::reject))
        .routes(routes!(commands::lapse))
        .routes(routes!(commands::open_dispute))
        .routes(routes!(commands::resolve_dispute))
        .routes(routes!(commands::release))
        .routes(routes!(commands::partial_release))
        .routes(routes!(commands::refund))
        .routes(routes!(commands::cancel))
}
