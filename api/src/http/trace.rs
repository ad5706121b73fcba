//! One tracing span per request, carrying a request id (the caller's
//! `X-Request-Id` or a new one, echoed back) and the correlation id, so
//! every log line of a request — including the command's — can be found
//! together and joined with the events it wrote.

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;
use uuid::Uuid;

/// The request id header.
pub const REQUEST_ID: &str = "x-request-id";

/// Middleware: wraps the request in its span and echoes the request id.
pub async fn span(request: Request, next: Next) -> Response {
    let headers = request.headers();
    let request_id = header(headers, REQUEST_ID).unwrap_or_else(|| Uuid::now_v7().to_string());
    let correlation_id = header(headers, crate::write::CORRELATION_HEADER).unwrap_or_default();
    let route = request.extensions().get::<MatchedPath>().map_or_else(
        || request.uri().path().to_owned(),
        |p| p.as_str().to_owned(),
    );
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        route = %route,
        request_id = %request_id,
        correlation_id = %correlation_id,
        actor = tracing::field::Empty,
        status = tracing::field::Empty,
    );
    let mut response = next.run(request).instrument(span.clone()).await;
    span.record("status", response.status().as_u16());
    if response.status().is_server_error() {
        span.in_scope(|| tracing::warn!("request failed"));
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

fn header(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128)
        .map(str::to_owned)
}
