//! Liveness and readiness, for load balancers and orchestrators.
//!
//! Live means the process answers. Ready means it can do its work: the
//! database answers and its schema is at the version this build expects,
//! and the Kafka relay, if this process runs it, reaches Kafka. A relay
//! that is `off` (no `KAFKA_BROKERS`) or `lagging` does not make the
//! process unready; one that is `down` does, so an orchestrator notices a
//! Kafka outage. Commands are accepted meanwhile (the event store is the
//! outbox); to keep API replicas in rotation during a Kafka outage, run
//! the relay apart with `bazaar relay` — a `serve` process that stands by
//! reports only the shared lag.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use bazaar_projections::relay::RelayCheck;
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
    /// Kafka relay check: `ok`, `lagging`, `down` or `off`, with its lag.
    pub relay: RelayCheck,
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
    // without the database the relay's lag is unknown: do not wait twice
    let relay = if database == "ok" {
        state.relay.check(&state.pool).await
    } else {
        state.relay.verdict(None)
    };
    let ok = database == "ok" && relay.is_ready();
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let report = Readiness {
        status: if ok { "ready" } else { "unavailable" },
        database,
        relay,
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
