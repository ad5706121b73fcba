//! One tracing span per request, carrying a request id (the caller's
//! `X-Request-Id` or a new one, echoed back) and the correlation id, so
//! every log line of a request — including the command's — can be found
//! together and joined with the events it wrote.
//!
//! The span is tower-http's [`TraceLayer`] with our fields; the id is
//! tower-http's request-id pair ([`SetRequestIdLayer`] makes one when the
//! caller sent none, [`PropagateRequestIdLayer`] echoes it). At `debug`
//! level the request's headers are logged, with `Authorization`, cookies
//! and `Proxy-Authorization` marked sensitive ([`sensitive_headers`]) so
//! they print as `Sensitive`.
//!
//! The span also continues the caller's W3C trace ([`continue_trace`]): a
//! valid `traceparent` header gives the request its trace id (a new trace
//! starts without one), and the request's own context — the same trace,
//! the request as the parent span — is kept in the request's extensions
//! ([`TraceParent`]) for the events' metadata (see `crate::write`), logged
//! as the span's `trace_id`, and echoed as the response's `traceparent`.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::http::{header, HeaderName, HeaderValue, Response};
use bazaar_event_store::trace_context::{TraceParent, TRACEPARENT};
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;
use tracing::Span;
use uuid::Uuid;

/// The request id header.
pub const REQUEST_ID: &str = "x-request-id";

/// Longest caller-chosen request id kept; a longer one is replaced.
const MAX_REQUEST_ID: usize = 128;

/// The headers whose values never reach the logs.
pub fn sensitive_headers() -> [HeaderName; 4] {
    [
        header::AUTHORIZATION,
        header::PROXY_AUTHORIZATION,
        header::COOKIE,
        header::SET_COOKIE,
    ]
}

/// Makes request ids: UUIDv7, so they sort by time.
#[derive(Debug, Clone, Copy, Default)]
pub struct NewRequestId;

impl MakeRequestId for NewRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&Uuid::now_v7().to_string())
            .ok()
            .map(RequestId::new)
    }
}

/// Sets a new request id when the caller sent none (or an empty or
/// over-long one: see [`drop_unusable_request_id`]).
pub fn set_request_id() -> SetRequestIdLayer<NewRequestId> {
    SetRequestIdLayer::new(HeaderName::from_static(REQUEST_ID), NewRequestId)
}

/// Echoes the request id on the response.
pub fn propagate_request_id() -> PropagateRequestIdLayer {
    PropagateRequestIdLayer::new(HeaderName::from_static(REQUEST_ID))
}

/// Removes a caller's request id that is empty, longer than 128 bytes or
/// not text, so [`set_request_id`] replaces it: ids go into every log line.
pub async fn drop_unusable_request_id(mut request: Request) -> Request {
    let usable = request.headers().get(REQUEST_ID).map(|value| {
        value
            .to_str()
            .is_ok_and(|v| !v.is_empty() && v.len() <= MAX_REQUEST_ID)
    });
    if usable == Some(false) {
        request.headers_mut().remove(REQUEST_ID);
    }
    request
}

/// The request span layer.
pub type SpanLayer = TraceLayer<
    SharedClassifier<ServerErrorsAsFailures>,
    fn(&Request) -> Span,
    fn(&Request, &Span),
    fn(&Response<Body>, Duration, &Span),
    (),
    (),
    (),
>;

/// The request span: opened with the request, closed with its response.
pub fn span_layer() -> SpanLayer {
    TraceLayer::new_for_http()
        .make_span_with(request_span as fn(&Request) -> Span)
        .on_request(log_headers as fn(&Request, &Span))
        .on_response(record_status as fn(&Response<Body>, Duration, &Span))
        .on_body_chunk(())
        .on_eos(())
        .on_failure(())
}

/// The span of `request`: method, route template, request and correlation ids.
fn request_span(request: &Request) -> Span {
    let headers = request.headers();
    let request_id = text(headers, REQUEST_ID).unwrap_or_default();
    let correlation_id = text(headers, crate::write::CORRELATION_HEADER).unwrap_or_default();
    let route = request.extensions().get::<MatchedPath>().map_or_else(
        || request.uri().path().to_owned(),
        |p| p.as_str().to_owned(),
    );
    let trace_id = request
        .extensions()
        .get::<TraceParent>()
        .map(TraceParent::trace_id_hex)
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        method = %request.method(),
        route = %route,
        request_id = %request_id,
        correlation_id = %correlation_id,
        trace_id = %trace_id,
        actor = tracing::field::Empty,
        status = tracing::field::Empty,
    )
}

/// At debug level, the request's headers (sensitive ones print as `Sensitive`).
fn log_headers(request: &Request, _: &Span) {
    tracing::debug!(headers = ?request.headers(), "request received");
}

fn record_status(response: &Response<Body>, _: Duration, span: &Span) {
    span.record("status", response.status().as_u16());
    if response.status().is_server_error() {
        span.in_scope(|| tracing::warn!("request failed"));
    }
}

fn text(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= MAX_REQUEST_ID)
        .map(str::to_owned)
}

/// Middleware, outside the request span: the request's trace context, from
/// the caller's `traceparent` (or a new trace), into the request's
/// extensions and back on the response.
pub async fn continue_trace(
    mut request: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let context = request
        .headers()
        .get(TRACEPARENT)
        .and_then(|v| v.to_str().ok())
        .and_then(TraceParent::parse)
        .map_or_else(TraceParent::new_root, |parent| parent.child());
    request.extensions_mut().insert(context);
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&context.to_string()) {
        response.headers_mut().insert(TRACEPARENT, value);
    }
    response
}
