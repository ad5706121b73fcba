//! Errors as RFC 9457 problem details (`application/problem+json`).
//!
//! Every error the API returns is a [`Problem`] with a stable `type` (a
//! relative URI, `/problems/<slug>`, documented in `docs/api.md`), so
//! clients branch on `type`, never on the human `title` or `detail`. Bad
//! input is always a 4xx: only a failure of the server itself is a 500,
//! and its detail is logged, not shown. Load is not a fault: a database
//! that is full, restarting or contended answers 503 `database-busy` with
//! `Retry-After` ([`Problem::failed`] asks the error's [`Transient`]).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bazaar_event_store::transient::{chain, DbCause};
use bazaar_event_store::Transient;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// The media type of problem details.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One problem: status, stable type, human title and detail, and extra
/// members (such as the domain error's fields).
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    status: StatusCode,
    slug: String,
    title: String,
    detail: Option<String>,
    extra: Map<String, Value>,
    retry_after: Option<u64>,
}

/// The body of a problem response, as documented in the OpenAPI schema.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemBody {
    /// Stable problem type: `/problems/<slug>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short human summary of the type.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong in this occurrence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Problem {
    /// A problem of `status` and type `slug`.
    pub fn new(status: StatusCode, slug: impl Into<String>, title: impl Into<String>) -> Self {
        Self {
            status,
            slug: slug.into(),
            title: title.into(),
            detail: None,
            extra: Map::new(),
            retry_after: None,
        }
    }

    /// Adds the occurrence's detail.
    #[must_use]
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Adds an extension member.
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Serialize) -> Self {
        if let Ok(value) = serde_json::to_value(value) {
            self.extra.insert(key.to_owned(), value);
        }
        self
    }

    /// Marks the problem as transient: the client may retry after `seconds`.
    /// Transient responses are never stored under an idempotency key.
    #[must_use]
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// This problem as a 404 if it is the rejection `slug`: for handlers
    /// whose path names the resource the rejection is about. An unknown
    /// milestone in `/escrows/{id}/milestones/{milestone}/…` is a path to
    /// nothing (404), while the same id in a body is a bad value (422).
    #[must_use]
    pub fn not_found_if(mut self, slug: &str) -> Self {
        if self.slug == slug {
            self.status = StatusCode::NOT_FOUND;
        }
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The stable type's slug.
    pub fn slug(&self) -> &str {
        &self.slug
    }

    /// 400: the request cannot be read (syntax, headers, parameters).
    pub fn bad_request(slug: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, slug, "The request is malformed").detail(detail)
    }

    /// 401: no valid credentials.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication required",
        )
        .detail(detail)
    }

    /// 403: authenticated, but not allowed.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed").detail(detail)
    }

    /// 404: no such resource (or not one the caller may know of).
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found").detail(detail)
    }

    /// 422: well-formed, but the values are not acceptable.
    pub fn invalid(slug: &str, detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            slug,
            "The request's values are not acceptable",
        )
        .detail(detail)
    }

    /// 500: the server failed; `error` is logged, not shown: its whole
    /// chain of causes and, for a database error, its SQLSTATE, message and
    /// constraint, at error level inside the request's span (request id).
    pub fn internal(error: &(dyn std::error::Error + 'static)) -> Self {
        let cause = DbCause::find(error).map(|c| c.to_string());
        tracing::error!(error = %chain(error), db = cause, "request failed: internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "The server failed to handle the request",
        )
    }

    /// 503 `database-busy` with `Retry-After`: the database is overloaded
    /// or momentarily unavailable; the cause is logged as a warning.
    pub fn busy(error: &(dyn std::error::Error + 'static)) -> Self {
        let cause = DbCause::find(error).map(|c| c.to_string());
        tracing::warn!(error = %chain(error), db = cause, "request failed: database busy");
        Self::unavailable(
            "database-busy",
            "the database is busy or unavailable for a moment; retry",
        )
    }

    /// A failure of the server or of its database: 503 [`Self::busy`] when
    /// it is load ([`Transient`]), else 500 [`Self::internal`].
    pub fn failed<E>(error: &E) -> Self
    where
        E: Transient + std::error::Error + 'static,
    {
        if error.is_transient() {
            Self::busy(error)
        } else {
            Self::internal(error)
        }
    }

    /// 503: a dependency is unavailable for now.
    pub fn unavailable(slug: &str, detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            slug,
            "Temporarily unavailable",
        )
        .detail(detail)
        .retry_after(1)
    }

    fn body(&self) -> Value {
        let mut body = Map::new();
        body.insert("type".into(), format!("/problems/{}", self.slug).into());
        body.insert("title".into(), self.title.clone().into());
        body.insert("status".into(), self.status.as_u16().into());
        if let Some(detail) = &self.detail {
            body.insert("detail".into(), detail.clone().into());
        }
        for (key, value) in &self.extra {
            body.entry(key.clone()).or_insert_with(|| value.clone());
        }
        Value::Object(body)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.body()).unwrap_or_default();
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<sqlx::Error> for Problem {
    fn from(error: sqlx::Error) -> Self {
        match error {
            // a read model's views appear when its worker first starts
            sqlx::Error::Database(e) if e.code().as_deref() == Some("42P01") => Self::unavailable(
                "read-model-unavailable",
                "the read model is not built yet; are the workers running?",
            ),
            other => Self::failed(&other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_has_the_rfc_9457_members_and_extensions() {
        let problem = Problem::invalid("invalid-body", "quantity must be positive")
            .with("field", "lines[0].quantity");
        let body = problem.body();
        assert_eq!(body["type"], "/problems/invalid-body");
        assert_eq!(body["status"], 422);
        assert_eq!(body["detail"], "quantity must be positive");
        assert_eq!(body["field"], "lines[0].quantity");
    }

    #[test]
    fn extensions_cannot_overwrite_the_standard_members() {
        let body = Problem::not_found("x").with("status", 200).body();
        assert_eq!(body["status"], 404);
    }

    #[test]
    fn a_rejection_about_the_path_becomes_404_and_keeps_its_type() {
        let problem = Problem::invalid("unknown-milestone", "no milestone m-9");
        let moved = problem.clone().not_found_if("unknown-milestone");
        assert_eq!(
            (moved.status(), moved.slug()),
            (StatusCode::NOT_FOUND, "unknown-milestone")
        );
        let kept = problem.not_found_if("unknown-batch");
        assert_eq!(kept.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }

    #[test]
    fn load_is_503_database_busy_and_other_database_failures_are_500() {
        let busy = Problem::from(sqlx::Error::PoolTimedOut);
        assert_eq!(
            (busy.status(), busy.slug()),
            (StatusCode::SERVICE_UNAVAILABLE, "database-busy")
        );
        assert_eq!(busy.retry_after, Some(1));
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert_eq!(Problem::from(sqlx::Error::Io(reset)).status(), 503);
        let bug = Problem::from(sqlx::Error::ColumnNotFound("total".into()));
        assert_eq!(
            (bug.status(), bug.slug()),
            (StatusCode::INTERNAL_SERVER_ERROR, "internal")
        );
        assert_eq!(bug.retry_after, None);
    }

    #[test]
    fn transient_problems_carry_retry_after() {
        let response = Problem::unavailable("busy", "later").into_response();
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
        assert_eq!(response.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
    }
}
