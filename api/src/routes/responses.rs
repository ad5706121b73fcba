//! The responses every command and query can give, for the OpenAPI
//! document: success, and the problem types of each failure status.

use utoipa::IntoResponses;

use crate::http::problem::ProblemBody;
use crate::write::Accepted;

/// Responses of a command endpoint.
#[allow(dead_code)]
#[derive(IntoResponses)]
pub enum CommandResponses {
    /// Applied now, or the stored outcome of the same command (`replayed`).
    #[response(status = 200)]
    Applied(#[to_schema] Accepted),
    /// Malformed JSON, header or parameter.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(#[to_schema] ProblemBody),
    /// No valid bearer token.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(#[to_schema] ProblemBody),
    /// The role may not run this command (auditors write nothing).
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(#[to_schema] ProblemBody),
    /// No such resource visible to the caller.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(#[to_schema] ProblemBody),
    /// The resource's state forbids it now, contention, or the same
    /// `Idempotency-Key` is still running.
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(#[to_schema] ProblemBody),
    /// Values that are never acceptable, or an `Idempotency-Key` reused
    /// for another request.
    #[response(status = 422, content_type = "application/problem+json")]
    Unprocessable(#[to_schema] ProblemBody),
    /// Over the principal's rate limit; see `Retry-After`.
    #[response(status = 429, content_type = "application/problem+json")]
    TooMany(#[to_schema] ProblemBody),
    /// The database is busy or unavailable for a moment (`database-busy`);
    /// nothing was written; retry after `Retry-After` with the same
    /// `Idempotency-Key`.
    #[response(status = 503, content_type = "application/problem+json")]
    Busy(#[to_schema] ProblemBody),
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
    /// Over the principal's rate limit.
    #[response(status = 429, content_type = "application/problem+json")]
    TooMany(#[to_schema] ProblemBody),
    /// The read model did not reach `min_position` in time, or the
    /// database is busy (`database-busy`); retry after `Retry-After`.
    #[response(status = 503, content_type = "application/problem+json")]
    Behind(#[to_schema] ProblemBody),
}
