//! The middleware around every route, outermost first: sensitive headers
//! marked (so no log prints them), the request id set and echoed, the
//! request span, metrics, panics caught, the request timeout and the body
//! limit. Standard tower-http layers where one exists; what is ours is
//! only how their outcomes answer: as RFC 9457 problems, like every other
//! error of the API.
//!
//! - A handler that panics answers 500 `/problems/internal`; the panic's
//!   message is logged at error level in the request's span (with its
//!   request id). The process keeps serving.
//! - A request still unanswered after `BAZAAR_REQUEST_TIMEOUT_SECONDS` is
//!   dropped (its transaction rolls back; an idempotency key it held is
//!   freed when its lease lapses) and answers 503 `/problems/timeout` with
//!   `Retry-After`.
//! - Unknown paths answer 404 `/problems/not-found`; a known path with a
//!   method it does not serve answers 405 `/problems/method-not-allowed`
//!   with `Allow`.

use std::any::Any;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, Method, StatusCode};
use axum::middleware::{from_fn, map_request, map_response};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::TimeoutLayer;

use super::problem::Problem;
use super::{metrics, trace};

/// Wraps every route of `router` (and its fallbacks) in the stack: the
/// longest a request may take is `timeout`, the largest body `body_limit`.
/// Each `layer` call wraps the ones before it, so the last is outermost.
pub fn around<S>(router: Router<S>, timeout: Duration, body_limit: usize) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        .layer(map_response(timed_out_as_problem))
        .layer(CatchPanicLayer::custom(panic_as_problem))
        .layer(from_fn(metrics::track))
        .layer(trace::span_layer())
        .layer(from_fn(trace::continue_trace))
        .layer(trace::propagate_request_id())
        .layer(trace::set_request_id())
        .layer(map_request(trace::drop_unusable_request_id))
        .layer(SetSensitiveRequestHeadersLayer::new(
            trace::sensitive_headers(),
        ))
}

/// 404 for a path no route serves.
async fn not_found(request: Request) -> Problem {
    Problem::not_found(format!("no resource at {}", request.uri().path()))
}

/// 405 for a method a known path does not serve (axum adds `Allow`).
async fn method_not_allowed(method: Method) -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
    )
    .detail(format!("{method} is not served here; see the Allow header"))
}

/// The timeout layer's bare 503 as a problem with `Retry-After`. Every
/// other 503 of the API is already a problem (it has a content type).
async fn timed_out_as_problem(response: Response) -> Response {
    let bare = response.status() == StatusCode::SERVICE_UNAVAILABLE
        && !response.headers().contains_key(header::CONTENT_TYPE);
    if !bare {
        return response;
    }
    tracing::warn!("request timed out");
    Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "timeout",
        "The request took too long",
    )
    .detail("the server gave up on the request; nothing of it was kept, retry")
    .retry_after(1)
    .into_response()
}

/// A panic as a logged 500 problem.
fn panic_as_problem(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = message, "request failed: handler panicked");
    Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "The server failed to handle the request",
    )
    .into_response()
}
