//! The API's own description: `/openapi.json` (OpenAPI 3.1, generated
//! from the handlers and their types, so it cannot drift from the code),
//! a browsable page at `/docs`, and `/metrics` for Prometheus.

use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use bazaar_projections::search::es::status::{indexer_status, IndexerStatus};
use bazaar_projections::status::statuses;
use utoipa::openapi::OpenApi;

use crate::http::metrics::{label_text, metrics};
use crate::state::AppState;

/// The documentation and metrics routes.
pub fn router(openapi: OpenApi) -> Router<AppState> {
    Router::new()
        .route(
            "/openapi.json",
            get(move || async move { Json(openapi.clone()) }),
        )
        .route("/docs", get(page))
        .route("/metrics", get(scrape))
}

/// A page that renders `/openapi.json` with Scalar (loaded by the browser).
async fn page() -> Html<&'static str> {
    Html(
        r#"<!doctype html>
<html><head><meta charset="utf-8"><title>Bazaar API</title></head>
<body><script id="api-reference" data-url="/openapi.json"></script>
<script src="https://cdn.jsdelivr.net/npm/@scalar/api-reference"></script></body></html>"#,
    )
}

/// Counters of this process plus, measured now, projection and relay lag.
async fn scrape(State(state): State<AppState>) -> impl IntoResponse {
    let mut text = metrics().render();
    match statuses(&state.pool).await {
        Ok(projections) => {
            text.push_str("# TYPE bazaar_projection_lag_events gauge\n");
            for p in &projections {
                let labels = label_text(&projection_labels(p), None);
                text.push_str(&format!(
                    "bazaar_projection_lag_events{labels} {}\n",
                    p.lag_events
                ));
            }
            text.push_str("# TYPE bazaar_projection_lag_seconds gauge\n");
            for p in &projections {
                let labels = label_text(&projection_labels(p), None);
                text.push_str(&format!(
                    "bazaar_projection_lag_seconds{labels} {}\n",
                    p.lag_seconds
                ));
            }
        }
        Err(error) => tracing::warn!(%error, "metrics: projection status unavailable"),
    }
    match indexer_status(&state.pool).await {
        Ok(Some(search)) => text.push_str(&search_gauges(&search)),
        Ok(None) => {}
        Err(error) => tracing::warn!(%error, "metrics: search indexer status unavailable"),
    }
    let relay = state.relay.check(&state.pool).await;
    if let Some(lag) = relay.lag_seconds {
        text.push_str("# TYPE bazaar_relay_lag_seconds gauge\n");
        text.push_str(&format!("bazaar_relay_lag_seconds {lag}\n"));
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}

/// The Elasticsearch indexer's gauges (labelled with the live generation).
fn search_gauges(search: &IndexerStatus) -> String {
    let labels = label_text(&[("generation", search.generation.to_string())], None);
    let gauges: [(&str, String); 4] = [
        (
            "bazaar_search_indexer_position",
            search.position.to_string(),
        ),
        (
            "bazaar_search_indexer_lag_events",
            search.lag_events.to_string(),
        ),
        (
            "bazaar_search_indexer_lag_seconds",
            search.lag_seconds.to_string(),
        ),
        ("bazaar_search_parked_documents", search.parked.to_string()),
    ];
    gauges
        .iter()
        .map(|(name, value)| format!("# TYPE {name} gauge\n{name}{labels} {value}\n"))
        .collect()
}

fn projection_labels(p: &bazaar_projections::status::Status) -> Vec<(&'static str, String)> {
    vec![
        ("projection", p.projection_name.clone()),
        ("generation", p.generation.to_string()),
        ("state", p.status.clone()),
    ]
}
