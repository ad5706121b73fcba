//! The HTTP routes, one module per resource.

use axum::Router;

use crate::state::AppState;

pub mod health;

/// Every route of the API.
pub fn router(state: AppState) -> Router {
    Router::new().merge(health::router()).with_state(state)
}
