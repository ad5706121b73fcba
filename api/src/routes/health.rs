//! Liveness and readiness, for load balancers and orchestrators.
//!
//! Live means the process answers. Ready means it can do its work: the
//! database answers and its schema is at the version this build expects.
//! Later parts (projections, relay) add their checks here.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::state::AppState;

/// The health routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
}

/// The readiness report.
#[derive(Debug, Serialize)]
pub struct Readiness {
    /// `ready` or `unavailable`.
    pub status: &'static str,
    /// Database check: `ok` or what failed.
    pub database: String,
}

async fn live() -> StatusCode {
    StatusCode::OK
}

async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let database = match schema_version(&state).await {
        Ok(Some(version)) if version >= latest_migration() => "ok".to_owned(),
        Ok(_) => "schema not migrated".to_owned(),
        Err(error) => {
            tracing::warn!(%error, "readiness: database check failed");
            "unreachable".to_owned()
        }
    };
    let ok = database == "ok";
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let report = Readiness {
        status: if ok { "ready" } else { "unavailable" },
        database,
    };
    (status, Json(report))
}

async fn schema_version(state: &AppState) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("select max(version) from _sqlx_migrations where success")
        .fetch_one(&state.pool)
        .await
}

fn latest_migration() -> i64 {
    bazaar_event_store::MIGRATOR
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or_default()
}
