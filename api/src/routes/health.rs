//! Liveness and readiness, for load balancers and orchestrators.
//!
//! Live means the process answers. Ready means it can take commands: the
//! database answers and its schema is at the version this build expects,
//! and the Kafka relay, if this process runs it, reaches Kafka. A relay
//! that is `off` (no `KAFKA_BROKERS`) or `lagging` does not make the
//! process unready; one that is `down` does, so an orchestrator notices a
//! Kafka outage. Commands are accepted meanwhile (the event store is the
//! outbox); to keep API replicas in rotation during a Kafka outage, run
//! the relay apart with `bazaar relay` — a `serve` process that stands by
//! reports only the shared lag.
//!
//! Read replicas (`BAZAAR_READ_DATABASE_URL`) are reported with their
//! replay lag, not judged: one that is down is skipped and queries read
//! the primary when none is up, so the process still serves.

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use bazaar_projections::relay::RelayCheck;
use bazaar_projections::search::es::status::{indexer_status, IndexerStatus};
use serde::Serialize;

use crate::read::replicas::ReplicaCheck;
use crate::state::Probe;

/// The health routes, for any state that holds a [`Probe`].
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Probe: FromRef<S>,
{
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
    /// Each read model's state and lag. Reported, not judged: a lagging or
    /// failed projection makes queries stale, not commands impossible, so
    /// it does not take the process out of rotation (alert on it instead).
    pub projections: Vec<ProjectionCheck>,
    /// The Elasticsearch indexer's position, lag and parked documents
    /// (`null` before its first build, or without Elasticsearch).
    /// Reported, not judged, like the projections: a search falls behind,
    /// commands go on.
    pub search: Option<IndexerStatus>,
    /// Each read replica's state and replay lag (empty without
    /// `BAZAAR_READ_DATABASE_URL`). Reported, not judged.
    pub replicas: Vec<ReplicaCheck>,
}

/// One projection's health.
#[derive(Debug, Serialize)]
pub struct ProjectionCheck {
    /// The projection.
    pub name: String,
    /// `ok`, `lagging` (more than 30 s behind), `building` or `failed`.
    pub status: &'static str,
    /// Committed events not applied yet.
    pub lag_events: i64,
    /// Age of the oldest of them, in seconds.
    pub lag_seconds: f64,
}

/// Seconds behind after which a live projection is `lagging`.
const LAGGING_AFTER_SECONDS: f64 = 30.0;

async fn projections(state: &Probe) -> Vec<ProjectionCheck> {
    let statuses = match bazaar_projections::status::statuses(&state.pool).await {
        Ok(statuses) => statuses,
        Err(error) => {
            tracing::warn!(%error, "readiness: projection status unavailable");
            return Vec::new();
        }
    };
    statuses
        .into_iter()
        .filter(|s| s.status == "live" || s.status == "failed")
        .map(|s| ProjectionCheck {
            status: match s.status.as_str() {
                "failed" => "failed",
                _ if s.lag_seconds > LAGGING_AFTER_SECONDS => "lagging",
                _ => "ok",
            },
            name: s.projection_name,
            lag_events: s.lag_events,
            lag_seconds: s.lag_seconds,
        })
        .collect()
}

async fn search(state: &Probe) -> Option<IndexerStatus> {
    indexer_status(&state.pool).await.unwrap_or_else(|error| {
        tracing::warn!(%error, "readiness: search indexer status unavailable");
        None
    })
}

async fn live() -> StatusCode {
    StatusCode::OK
}

async fn ready(State(state): State<Probe>) -> (StatusCode, Json<Readiness>) {
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
    let (projections, search) = if database == "ok" {
        (projections(&state).await, search(&state).await)
    } else {
        (Vec::new(), None)
    };
    let replicas = state.replicas.check().await;
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
        projections,
        search,
        replicas,
    };
    (status, Json(report))
}

/// The latest applied migration; `None` before the first (`bazaar api`
/// waits so for `bazaar migrate`), an error only if the database fails.
async fn schema_version(state: &Probe) -> Result<Option<i64>, sqlx::Error> {
    let version = sqlx::query_scalar("select max(version) from _sqlx_migrations where success")
        .fetch_one(&state.pool)
        .await;
    match version {
        Err(sqlx::Error::Database(error)) if error.code().as_deref() == Some("42P01") => Ok(None),
        version => version,
    }
}

fn latest_migration() -> i64 {
    bazaar_event_store::MIGRATOR
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or_default()
}
