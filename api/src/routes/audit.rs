//! `/v1/audit`: what auditors need to answer "what happened, who did it,
//! and what did this look like at that moment", and to check that the
//! record was not altered — over HTTP, for auditors and admins only. The
//! same functions back `bazaar audit …` (docs/audit.md), which also signs
//! and checks Ed25519 checkpoints offline: signing keys stay with the
//! auditors' CLI, never in the API process.
//!
//! These read the primary even when queries read hot standbys
//! (`BAZAAR_READ_DATABASE_URL`): they take no `min_position`, so on a
//! replica an auditor could be shown a history without the event a command
//! has just acknowledged, with no way to ask for it.

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use bazaar_commands::audit::{state_as_of, AggregateKind};
use bazaar_event_store::audit::{
    export_ndjson, read_log, stream_history, AggregateState, AuditError, ExportSelection,
    HistoryPage, HistoryRequest, LogFilter, LogPage, PageRequest, StateRequest,
};
use bazaar_event_store::verify::{verify, Scope, Verification};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::auth::Principal;
use crate::http::extract::ApiQuery;
use crate::http::problem::{Problem, ProblemBody};
use crate::routes::responses::QueryFailures;
use crate::routes::schemas::{AggregateType, AGGREGATE_TYPES};
use crate::state::AppState;

/// The audit routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(history))
        .routes(routes!(state))
        .routes(routes!(log))
        .routes(routes!(export))
        .routes(routes!(verify_chains))
}

/// A stream id from the path: one with a control character (a NUL,
/// which Postgres cannot even compare) names no stream.
fn stream_id(id: String) -> Result<String, Problem> {
    if bazaar_domain::text::is_storable(&id) {
        Ok(id)
    } else {
        Err(Problem::not_found("no such stream"))
    }
}

fn require_auditor(principal: &Principal) -> Result<(), Problem> {
    if principal.sees_everything() {
        Ok(())
    } else {
        Err(Problem::forbidden(
            "the audit trail is for auditors and admins",
        ))
    }
}

fn problem(error: impl Into<AuditError>) -> Problem {
    use AuditError as E;
    match error.into() {
        E::InvalidRequest(detail) => Problem::invalid("invalid-audit-request", detail),
        error @ E::StreamNotFound { .. } => Problem::not_found(error.to_string()),
        other => Problem::failed(&other),
    }
}

/// The stored name of an aggregate type given by its stored or short name
/// (one of [`AGGREGATE_TYPES`]).
fn stored(name: &str) -> Result<&'static str, Problem> {
    if !AGGREGATE_TYPES.contains(&name) {
        return Err(Problem::invalid(
            "invalid-audit-request",
            format!(
                "unknown aggregate type {name:?}; use one of {}",
                AGGREGATE_TYPES.join(", ")
            ),
        ));
    }
    AggregateKind::parse(name)
        .map(AggregateKind::stored_name)
        .map_err(problem)
}

/// Paging of a stream's history.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct HistoryPaging {
    /// Events after this sequence (default 0: from the start).
    #[param(minimum = 0)]
    after_sequence: Option<i64>,
    /// Events per page (default 100, at most 1,000).
    #[param(minimum = 1, maximum = 1_000)]
    limit: Option<u32>,
}

/// Every event of one stream with who, when, which command, correlation
/// and causation, and its hash; paged by sequence.
#[utoipa::path(get, path = "/audit/streams/{aggregate_type}/{aggregate_id}/events", tag = "audit",
    params(("aggregate_type" = AggregateType, Path, description = "order, payment_split, inventory (stock) or escrow, or the stored name"),
           ("aggregate_id" = String, Path), HistoryPaging),
    responses((status = 200, body = serde_json::Value, description = "A page: events and next_after_sequence"), QueryFailures,
        (status = 422, description = "Values the audit trail cannot take (`invalid-audit-request`): an unknown aggregate type, a limit outside 1 to 1,000, an empty or inverted range.", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn history(
    State(state): State<AppState>,
    principal: Principal,
    Path((kind, id)): Path<(String, String)>,
    ApiQuery(paging): ApiQuery<HistoryPaging>,
) -> Result<Json<HistoryPage>, Problem> {
    require_auditor(&principal)?;
    let id = stream_id(id)?;
    let request = HistoryRequest {
        aggregate_type: stored(&kind)?.to_owned(),
        aggregate_id: id,
        after_sequence: paging.after_sequence.unwrap_or(0),
        limit: paging.limit,
    };
    stream_history(&state.pool, &request)
        .await
        .map(Json)
        .map_err(problem)
}

/// A point in a stream's life.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AsOf {
    /// Fold events up to and including this sequence.
    #[param(minimum = 0)]
    sequence: Option<i64>,
    /// Fold events recorded at or before this instant.
    at: Option<DateTime<Utc>>,
}

/// The aggregate's state as of a sequence number or an instant (latest
/// without either), folded from its events through the upcasters.
#[utoipa::path(get, path = "/audit/streams/{aggregate_type}/{aggregate_id}/state", tag = "audit",
    params(("aggregate_type" = AggregateType, Path), ("aggregate_id" = String, Path), AsOf),
    responses((status = 200, body = serde_json::Value, description = "The state and the sequence/time it reflects"), QueryFailures,
        (status = 422, description = "Values the audit trail cannot take (`invalid-audit-request`): an unknown aggregate type, a limit outside 1 to 1,000, an empty or inverted range.", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn state(
    State(state): State<AppState>,
    principal: Principal,
    Path((kind, id)): Path<(String, String)>,
    ApiQuery(as_of): ApiQuery<AsOf>,
) -> Result<Json<AggregateState>, Problem> {
    require_auditor(&principal)?;
    let id = stream_id(id)?;
    stored(&kind)?;
    let request = StateRequest {
        aggregate_type: kind,
        aggregate_id: id,
        sequence: as_of.sequence,
        at: as_of.at,
    };
    state_as_of(&state.write_side, &request)
        .await
        .map(Json)
        .map_err(problem)
}

/// Filters of the global log (and of exports).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct LogQuery {
    /// Only this aggregate type (short or stored name).
    #[param(value_type = Option<AggregateType>)]
    aggregate_type: Option<String>,
    /// Only this event type, e.g. `PaymentConfirmed`.
    #[param(min_length = 1)]
    event_type: Option<String>,
    /// Recorded at or after.
    from: Option<DateTime<Utc>>,
    /// Recorded before.
    to: Option<DateTime<Utc>>,
    /// One business flow, e.g. a checkout across all its aggregates.
    correlation_id: Option<uuid::Uuid>,
}

impl LogQuery {
    fn filter(self) -> Result<LogFilter, Problem> {
        Ok(LogFilter {
            aggregate_type: self
                .aggregate_type
                .as_deref()
                .map(stored)
                .transpose()?
                .map(str::to_owned),
            event_type: self.event_type,
            from: self.from,
            to: self.to,
            correlation_id: self.correlation_id,
        })
    }
}

/// Paging of the log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct LogPaging {
    /// The previous page's `next` cursor.
    after: Option<String>,
    /// Events per page (default 100, at most 1,000).
    #[param(minimum = 1, maximum = 1_000)]
    limit: Option<u32>,
}

/// The global log in commit order, filtered, with a cursor that stays
/// valid while others append.
#[utoipa::path(get, path = "/audit/events", tag = "audit", params(LogQuery, LogPaging),
    responses((status = 200, body = serde_json::Value, description = "A page: events, next cursor, more"), QueryFailures,
        (status = 422, description = "Values the audit trail cannot take (`invalid-audit-request`): an unknown aggregate type, a limit outside 1 to 1,000, an empty or inverted range.", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn log(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<LogQuery>,
    ApiQuery(paging): ApiQuery<LogPaging>,
) -> Result<Json<LogPage>, Problem> {
    require_auditor(&principal)?;
    let after = paging
        .after
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(|_| Problem::bad_request("invalid-cursor", "after is not a cursor of this log"))?;
    let page = PageRequest {
        after,
        limit: paging.limit,
    };
    read_log(&state.pool, &query.filter()?, &page)
        .await
        .map(Json)
        .map_err(problem)
}

/// One stream, or the log's events matching the filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ExportQuery {
    /// With `aggregate_id`: export that one stream.
    #[param(value_type = Option<AggregateType>)]
    aggregate_type: Option<String>,
    /// The stream's id.
    #[param(min_length = 1)]
    aggregate_id: Option<String>,
    /// Only this event type.
    #[param(min_length = 1)]
    event_type: Option<String>,
    /// Recorded at or after.
    from: Option<DateTime<Utc>>,
    /// Recorded before.
    to: Option<DateTime<Utc>>,
    /// One business flow.
    correlation_id: Option<uuid::Uuid>,
}

/// NDJSON, one event with its metadata and hash per line, streamed: a
/// stream, a correlation or a time range. `bazaar audit verify-export`
/// checks a saved export offline.
#[utoipa::path(get, path = "/audit/export", tag = "audit", params(ExportQuery),
    responses((status = 200, content_type = "application/x-ndjson", body = String), QueryFailures,
        (status = 422, description = "Values the audit trail cannot take (`invalid-audit-request`): an unknown aggregate type, a limit outside 1 to 1,000, an empty or inverted range.", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn export(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Response, Problem> {
    require_auditor(&principal)?;
    let selection = match (query.aggregate_type, query.aggregate_id) {
        (Some(kind), Some(id)) => {
            // a stream that does not exist is a 404 now, not a broken
            // stream after the 200 has gone out
            let first = HistoryRequest {
                aggregate_type: stored(&kind)?.to_owned(),
                aggregate_id: stream_id(id)?,
                after_sequence: 0,
                limit: Some(1),
            };
            stream_history(&state.pool, &first).await.map_err(problem)?;
            ExportSelection::Stream {
                aggregate_type: first.aggregate_type,
                aggregate_id: first.aggregate_id,
            }
        }
        (kind, None) => {
            let filter = LogQuery {
                aggregate_type: kind,
                event_type: query.event_type,
                from: query.from,
                to: query.to,
                correlation_id: query.correlation_id,
            }
            .filter()?;
            // refused now, not after the 200 has gone out
            filter.check().map_err(problem)?;
            ExportSelection::Log(filter)
        }
        (None, Some(_)) => {
            return Err(Problem::bad_request(
                "invalid-query",
                "aggregate_id needs aggregate_type",
            ))
        }
    };
    let body = export_ndjson(state.pool.clone(), selection).map(|chunk| {
        chunk.map(Bytes::from).map_err(|error| {
            tracing::error!(%error, "export failed mid-stream");
            std::io::Error::other(error.to_string())
        })
    });
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        Body::from_stream(body),
    )
        .into_response())
}

/// Which chains to verify.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct VerifyQuery {
    /// With `aggregate_id`: one stream; neither: the whole store.
    #[param(value_type = Option<AggregateType>)]
    aggregate_type: Option<String>,
    /// The stream's id.
    #[param(min_length = 1)]
    aggregate_id: Option<String>,
}

/// Recomputes the hash chains of one stream or of the whole store and
/// names the first broken link (`broken`), if any. The whole store takes
/// about 15–25 s per million events.
#[utoipa::path(get, path = "/audit/verify", tag = "audit", params(VerifyQuery),
    responses((status = 200, body = serde_json::Value, description = "streams, events, broken"), QueryFailures,
        (status = 422, description = "Values the audit trail cannot take (`invalid-audit-request`): an unknown aggregate type, a limit outside 1 to 1,000, an empty or inverted range.", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn verify_chains(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<VerifyQuery>,
) -> Result<Json<Verification>, Problem> {
    require_auditor(&principal)?;
    let scope = match (query.aggregate_type, query.aggregate_id) {
        (Some(kind), Some(id)) => Scope::stream(stored(&kind)?, &id),
        (None, None) => Scope::default(),
        _ => {
            return Err(Problem::bad_request(
                "invalid-query",
                "give aggregate_type and aggregate_id together",
            ))
        }
    };
    verify(&state.pool, &scope).await.map(Json).map_err(problem)
}
