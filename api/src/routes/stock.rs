//! `/v1/stock/{sku}/{warehouse}`: the stock of one SKU in one warehouse,
//! its batches and the holds on it.
//!
//! A stock belongs to the vendor who received its first batch. That
//! vendor receives, adjusts, writes off and restocks it and reads it;
//! other vendors get 404. Holds (reserve, extend, commit, release,
//! expire) are the checkout saga's and the scheduler's: by hand, admins
//! only. Buyers see availability through search, not here. Auditors read.

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

mod access;
mod bodies;
mod commands;
mod queries;

pub use bodies::*;
pub use queries::{
    StockBatchRow, StockDetail, StockLevelRow, StockMovementRow, StockReservationRow,
};

/// The stock routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(queries::list))
        .routes(routes!(queries::get))
        .routes(routes!(queries::movements))
        .routes(routes!(commands::receive_batch))
        .routes(routes!(commands::adjust))
        .routes(routes!(commands::write_off))
        .routes(routes!(commands::restock))
        .routes(routes!(commands::reserve))
        .routes(routes!(commands::extend))
        .routes(routes!(commands::commit))
        .routes(routes!(commands::release))
        .routes(routes!(commands::expire))
}
