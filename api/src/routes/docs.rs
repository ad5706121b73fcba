//! The API's own description: `/openapi.json` (OpenAPI 3.1, generated
//! from the handlers and their types, so it cannot drift from the code),
//! a browsable page at `/docs`, and `/metrics` for Prometheus.

use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::OpenApi;

use crate::http::metrics;
use crate::state::{AppState, Probe};

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

/// This process's metrics plus, read now, the figures kept in Postgres.
pub(crate) async fn scrape(State(probe): State<Probe>) -> impl IntoResponse {
    let text = metrics::scrape(&probe.pool, &probe.relay).await;
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}
