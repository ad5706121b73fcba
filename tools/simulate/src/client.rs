//! The simulator's HTTP client: signs its own tokens and retries what the
//! API says is worth retrying, without ever doubling an effect.
//!
//! Tokens are HS256 with `BAZAAR_JWT_SECRET`, signed by the same code as
//! `bazaar token` ([`sign_hs256`]), one per principal, kept for the run.
//! Every POST carries an `Idempotency-Key` chosen by the caller (stable per
//! run, order and step), so a retry after a lost answer replays the first
//! outcome instead of running the command again. Transient answers — 429,
//! 503, anything with `Retry-After` (contention, a request in flight) — and
//! connection errors are retried with backoff; any other non-2xx answer is
//! returned as [`CallError::Refused`] with its problem type, for the caller
//! to count. Plain HTTP only: the simulator talks to an API on its own
//! network (reqwest is built without TLS).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use bazaar_api::http::auth::{sign_hs256, Claims, Role};

/// Attempts of one request before giving up.
const MAX_ATTEMPTS: u32 = 12;
/// Longest pause between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(3);
/// How long the simulator's tokens live.
const TOKEN_TTL_SECS: u64 = 6 * 3600;

/// Back-office staff sharing the orders' admin steps (payments, disputes,
/// completions, payouts): each is a principal of its own with its own
/// per-principal rate limit, as a real back office has several people and
/// integrations, so a run at a high rate is not throttled as one user.
pub const STAFF: u64 = 8;

/// Who a request is made as.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Who {
    /// The back office's reads (reconciliation) and the benchmark.
    Admin,
    /// The member of the back office (0..[`STAFF`]) who handles an order.
    Staff(u64),
    /// Reads the audit log.
    Auditor,
    /// A buyer, by buyer id.
    Buyer(String),
    /// A vendor's staff, by vendor id.
    Vendor(String),
    /// An agent of escrow sales, by agent id.
    Agent(String),
}

impl Who {
    /// The member of the back office who handles order number `order`.
    pub fn staff(order: u64) -> Self {
        Self::Staff(order % STAFF)
    }

    /// The claims of a token for this principal, valid for `ttl` (the
    /// simulator's and the benchmark's tokens).
    pub fn claims(&self, ttl: Duration) -> Claims {
        let (sub, role, vendor_id) = match self {
            Self::Admin => ("tool-admin".to_owned(), Role::Admin, None),
            Self::Staff(n) => (format!("tool-staff-{n}"), Role::Admin, None),
            Self::Auditor => ("tool-auditor".to_owned(), Role::Auditor, None),
            Self::Buyer(id) => (id.clone(), Role::Buyer, None),
            Self::Vendor(id) => (format!("staff-of-{id}"), Role::Vendor, Some(id.clone())),
            Self::Agent(id) => {
                let claims = Claims::expiring_in(format!("agent-{id}"), Role::Agent, None, ttl);
                return claims.for_agent(id.clone());
            }
        };
        Claims::expiring_in(sub, role, vendor_id, ttl)
    }
}

/// Why a request did not succeed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallError {
    /// The API answered with a non-transient error.
    #[error("{method} {path}: {status} {problem}: {detail}")]
    Refused {
        /// `GET` or `POST`.
        method: String,
        /// The path asked for.
        path: String,
        /// The HTTP status.
        status: u16,
        /// The slug of the problem's `type` (`/problems/<slug>`), or `-`.
        problem: String,
        /// The problem's `detail`, if any.
        detail: String,
    },
    /// Transient failures until the attempts ran out.
    #[error("{method} {path}: gave up after {MAX_ATTEMPTS} attempts: {reason}")]
    GaveUp {
        /// `GET` or `POST`.
        method: String,
        /// The path asked for.
        path: String,
        /// The last failure.
        reason: String,
    },
    /// A token could not be signed, or the answer was not JSON.
    #[error("{0}")]
    Local(String),
}

impl CallError {
    /// The HTTP status of a refusal.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The problem slug of a refusal, or what kind of failure it was.
    pub fn problem(&self) -> String {
        match self {
            Self::Refused { problem, .. } => problem.clone(),
            Self::GaveUp { .. } => "gave-up-retrying".to_owned(),
            Self::Local(_) => "client-error".to_owned(),
        }
    }
}

/// A client of one Bazaar API.
#[derive(Debug)]
pub struct Api {
    http: reqwest::Client,
    base: String,
    secret: Vec<u8>,
    tokens: Mutex<HashMap<Who, String>>,
}

/// What one attempt gave.
enum Attempt {
    Done(Value),
    Retry(String, Option<Duration>),
    Failed(CallError),
}

impl Api {
    /// A client of the API at `base` (e.g. `http://127.0.0.1:8080`),
    /// signing tokens with `secret`.
    pub fn new(base: &str, secret: &str) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(64)
            .build()
            .unwrap_or_default();
        Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            secret: secret.as_bytes().to_vec(),
            tokens: Mutex::new(HashMap::new()),
        }
    }

    /// GETs `path` as `who`; the JSON body of a 2xx answer.
    pub async fn get(&self, who: &Who, path: &str) -> Result<Value, CallError> {
        self.call(Method::GET, who, path, None).await
    }

    /// POSTs `body` to `path` as `who` with idempotency key `key`.
    pub async fn post(
        &self,
        who: &Who,
        path: &str,
        body: &Value,
        key: &str,
    ) -> Result<Value, CallError> {
        self.call(Method::POST, who, path, Some((body, key))).await
    }

    async fn call(
        &self,
        method: Method,
        who: &Who,
        path: &str,
        post: Option<(&Value, &str)>,
    ) -> Result<Value, CallError> {
        let token = self.token(who)?;
        let mut last = String::new();
        for attempt in 0..MAX_ATTEMPTS {
            let mut request = self
                .http
                .request(method.clone(), format!("{}{path}", self.base))
                .bearer_auth(&token);
            if let Some((body, key)) = post {
                request = request.header("Idempotency-Key", key).json(body);
            }
            let pause = match self.attempt(request, &method, path).await {
                Attempt::Done(value) => return Ok(value),
                Attempt::Failed(error) => return Err(error),
                Attempt::Retry(reason, after) => {
                    last = reason;
                    after.unwrap_or_else(|| backoff(attempt))
                }
            };
            tokio::time::sleep(pause.min(MAX_BACKOFF)).await;
        }
        Err(CallError::GaveUp {
            method: method.to_string(),
            path: path.to_owned(),
            reason: last,
        })
    }

    async fn attempt(
        &self,
        request: reqwest::RequestBuilder,
        method: &Method,
        path: &str,
    ) -> Attempt {
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => return Attempt::Retry(error.to_string(), None),
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .map(Duration::from_secs);
        let body: Value = match response.bytes().await {
            Ok(bytes) if bytes.is_empty() => Value::Null,
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            Err(error) => return Attempt::Retry(error.to_string(), None),
        };
        if status.is_success() {
            return Attempt::Done(body);
        }
        let problem = body["type"]
            .as_str()
            .and_then(|t| t.strip_prefix("/problems/"))
            .unwrap_or("-")
            .to_owned();
        if transient(status, retry_after.is_some()) {
            return Attempt::Retry(format!("{status} {problem}"), retry_after);
        }
        Attempt::Failed(CallError::Refused {
            method: method.to_string(),
            path: path.to_owned(),
            status: status.as_u16(),
            problem,
            detail: body["detail"].as_str().unwrap_or_default().to_owned(),
        })
    }

    /// The token of `who`, signed once per run.
    fn token(&self, who: &Who) -> Result<String, CallError> {
        let mut tokens = self.tokens.lock().expect("token cache");
        if let Some(token) = tokens.get(who) {
            return Ok(token.clone());
        }
        let claims = who.claims(Duration::from_secs(TOKEN_TTL_SECS));
        let token = sign_hs256(&self.secret, &claims)
            .map_err(|e| CallError::Local(format!("cannot sign a token: {e}")))?;
        tokens.insert(who.clone(), token.clone());
        Ok(token)
    }
}

/// Answers that say "try again": rate limits, unavailable read models or
/// database, and anything the API marks with `Retry-After`.
fn transient(status: StatusCode, has_retry_after: bool) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::SERVICE_UNAVAILABLE
        || status == StatusCode::BAD_GATEWAY
        || status == StatusCode::GATEWAY_TIMEOUT
        || has_retry_after
}

/// 100 ms doubling per attempt (capped by the caller), with no jitter:
/// tasks start at different times already.
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(100u64.saturating_mul(1 << attempt.min(5)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_answers_that_say_try_again_are_retried() {
        assert!(transient(StatusCode::TOO_MANY_REQUESTS, true));
        assert!(transient(StatusCode::SERVICE_UNAVAILABLE, false));
        assert!(
            transient(StatusCode::CONFLICT, true),
            "contention, in flight"
        );
        assert!(!transient(StatusCode::CONFLICT, false), "a state refusal");
        assert!(!transient(StatusCode::UNPROCESSABLE_ENTITY, false));
        assert!(!transient(StatusCode::INTERNAL_SERVER_ERROR, false));
    }
}
