//! The responses every command and query can give, for the OpenAPI
//! document: success, and the problem types of each failure status.

use std::collections::BTreeMap;

use utoipa::openapi::response::Response;
use utoipa::openapi::RefOr;
use utoipa::IntoResponses;

use crate::http::problem::ProblemBody;
use crate::write::Accepted;

/// Responses by status, as `utoipa` documents an operation's.
type Responses = BTreeMap<String, RefOr<Response>>;

/// Responses of a command that creates a resource (a checkout, an escrow):
/// `Created` and the `CommandFailures`.
pub enum CreatedResponses {}

impl IntoResponses for CreatedResponses {
    fn responses() -> Responses {
        with_failures(CreatedAnswers::responses())
    }
}

/// What a creating command answers beside the [`CommandFailures`].
#[allow(dead_code)]
#[derive(IntoResponses)]
enum CreatedAnswers {
    /// Created now, or the stored outcome of the same command (`replayed`).
    #[response(status = 201, headers(("Location" = String, description = "The new resource's path, e.g. `/v1/orders/{id}`")))]
    Created(#[to_schema] Accepted),
    /// Something the body names does not exist (e.g. `unknown-vendor`).
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(#[to_schema] ProblemBody),
    /// Contention, or the same `Idempotency-Key` is still running.
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(#[to_schema] ProblemBody),
}

/// Failures of reading a request body: every operation that takes one.
#[allow(dead_code)]
#[derive(IntoResponses)]
pub enum BodyFailures {
    /// The body is larger than the server takes (`body-too-large`).
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(#[to_schema] ProblemBody),
    /// The body is not sent as JSON (`unsupported-media-type`).
    #[response(status = 415, content_type = "application/problem+json")]
    NotJson(#[to_schema] ProblemBody),
}

/// Responses of a command endpoint: `Applied` and the `CommandFailures`.
pub enum CommandResponses {}

impl IntoResponses for CommandResponses {
    fn responses() -> Responses {
        with_failures(AppliedAnswers::responses())
    }
}

/// What a command on an existing resource answers beside the
/// [`CommandFailures`].
#[allow(dead_code)]
#[derive(IntoResponses)]
enum AppliedAnswers {
    /// Applied now, or the stored outcome of the same command (`replayed`).
    #[response(status = 200)]
    Applied(#[to_schema] Accepted),
    /// No such resource visible to the caller.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(#[to_schema] ProblemBody),
    /// The resource's state forbids it now, contention, or the same
    /// `Idempotency-Key` is still running.
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(#[to_schema] ProblemBody),
}

/// The failures every command shares, creating or not: its 404 and 409
/// say different things, so they stay with [`CreatedAnswers`] and [`AppliedAnswers`].
#[allow(dead_code)]
#[derive(IntoResponses)]
enum CommandFailures {
    /// Malformed JSON, header or parameter.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(#[to_schema] ProblemBody),
    /// No valid bearer token.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(#[to_schema] ProblemBody),
    /// The role may not run this command (auditors write nothing).
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(#[to_schema] ProblemBody),
    /// Values that are never acceptable, or an `Idempotency-Key` reused
    /// for another request.
    #[response(status = 422, content_type = "application/problem+json")]
    Unprocessable(#[to_schema] ProblemBody),
    /// Over a rate limit; see `Retry-After`.
    #[response(status = 429, content_type = "application/problem+json")]
    TooMany(#[to_schema] ProblemBody),
    /// The database is busy or unavailable for a moment (`database-busy`);
    /// nothing was written; retry after `Retry-After` with the same
    /// `Idempotency-Key`.
    #[response(status = 503, content_type = "application/problem+json")]
    Busy(#[to_schema] ProblemBody),
}

/// `success` (a command's own answers) with the [`CommandFailures`]; the
/// map is keyed by status, so the document lists them in status order.
fn with_failures(mut success: Responses) -> Responses {
    success.append(&mut CommandFailures::responses());
    success
}

/// Failures of a query endpoint.
#[allow(dead_code)]
#[derive(IntoResponses)]
pub enum QueryFailures {
    /// Malformed parameter, cursor or position.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(#[to_schema] ProblemBody),
    /// No valid bearer token.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(#[to_schema] ProblemBody),
    /// The role may not read this.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(#[to_schema] ProblemBody),
    /// No such resource visible to the caller.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(#[to_schema] ProblemBody),
    /// Over a rate limit; see `Retry-After`.
    #[response(status = 429, content_type = "application/problem+json")]
    TooMany(#[to_schema] ProblemBody),
    /// The read model did not reach `min_position` in time, or the
    /// database is busy (`database-busy`); retry after `Retry-After`.
    #[response(status = 503, content_type = "application/problem+json")]
    Behind(#[to_schema] ProblemBody),
}

/// Failures of a search.
#[allow(dead_code)]
#[derive(IntoResponses)]
pub enum SearchFailures {
    /// Malformed JSON, or filters that do not fit together (`invalid-search`:
    /// an amount range without a currency, a range whose ends are the wrong
    /// way round, a cursor this API did not issue, another party's id).
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(#[to_schema] ProblemBody),
    /// No valid bearer token.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(#[to_schema] ProblemBody),
    /// The body does not have the documented shape (`invalid-body`).
    #[response(status = 422, content_type = "application/problem+json")]
    Unprocessable(#[to_schema] ProblemBody),
    /// Over a rate limit; see `Retry-After`.
    #[response(status = 429, content_type = "application/problem+json")]
    TooMany(#[to_schema] ProblemBody),
    /// Elasticsearch (`search-unavailable`) or the database
    /// (`database-busy`) cannot answer for a moment; see `Retry-After`.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(#[to_schema] ProblemBody),
}
