//! `Idempotency-Key` on POST requests, with Stripe's semantics:
//! - the first response to a principal's key is stored and replayed, with
//!   `Idempotent-Replayed: true`, for every retry of the same request;
//! - the same key with a different request (method, path or body) is 422;
//! - the same key while its first request still runs is 409;
//! - keys are kept for the retention period (at least 24 hours).
//!
//! Responses that say "try again" (5xx, and anything with `Retry-After`:
//! rate limits, contention) are not stored: the key is freed so the retry
//! really runs. That is safe because the command id itself is derived
//! from the key ([`crate::write::CommandRequest`]), so the event store's
//! command log still runs the command at most once.
//!
//! A request that dies mid-way leaves its key `in_flight` until its lease
//! lapses; then a retry takes the key over. A request whose key cannot be
//! freed or completed at its end because the database is momentarily
//! unreachable (a restart) keeps trying in the background while its lease
//! runs, so a retry finds the key settled soon after the database is back
//! rather than 409 for the rest of the lease. Those writes name the lease
//! they hold, so a late one never touches a key a retry has taken over.
//!
//! Round trips: the claim is one statement, and when the key is taken it
//! returns the stored row in the same statement, so a replay (and a 422
//! or a 409) costs that one round trip. A command that appends events
//! completes its key in the group commit's transaction, with its events
//! and its command-log row (the request's [`Lease`] is handed to the
//! handler; [`crate::write`] builds the receipt, see
//! `bazaar_event_store::receipt`): the stored response and the events
//! commit together, and nothing is written after the commit. Every other
//! final response keeps the separate write after the request: 4xx
//! rejections and commands that changed nothing (they write no events, so
//! there is no batch to ride; their command-log row is written on its
//! own), replays of a command that ran before, and the non-command paths.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bazaar_event_store::{Receipt, Transient};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

use super::auth::Principal;
use super::problem::Problem;

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// Set on a replayed response.
pub const REPLAYED: &str = "idempotent-replayed";
/// How soon a key that could not be settled is first tried again; the
/// wait doubles up to [`SETTLE_RETRY_MAX`], so a retry that comes soon
/// after the database is back finds the key already freed.
const SETTLE_RETRY: Duration = Duration::from_millis(50);
/// The longest wait between two tries of settling a key.
const SETTLE_RETRY_MAX: Duration = Duration::from_millis(500);

/// What the middleware needs.
#[derive(Debug, Clone)]
pub struct Idempotency {
    /// The database holding the keys.
    pub pool: PgPool,
    /// Largest body read (the same limit as the extractors').
    pub body_limit: usize,
    /// How long keys are kept.
    pub retention: Duration,
    /// How long a running request holds its key.
    pub lease: Duration,
}

/// A stored key.
#[derive(Debug)]
struct Stored {
    request_hash: Vec<u8>,
    state: String,
    response_status: Option<i32>,
    response_type: Option<String>,
    response_location: Option<String>,
    response_body: Option<Vec<u8>>,
}

/// Middleware for POST routes; other methods and keyless requests pass.
pub async fn idempotent(
    State(config): State<Idempotency>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let key = match key_of(&request) {
        Ok(Some(key)) => key,
        Ok(None) => return next.run(request).await,
        Err(problem) => return problem.into_response(),
    };
    let Some(principal) = request
        .extensions()
        .get::<Principal>()
        .map(Principal::actor)
    else {
        return next.run(request).await;
    };
    match run(&config, &principal, &key, request, next).await {
        Ok(response) | Err(response) => response,
    }
}

fn key_of(request: &Request) -> Result<Option<String>, Problem> {
    let Some(value) = request.headers().get(HEADER) else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .filter(|k| !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            Problem::bad_request(
                "invalid-idempotency-key",
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
            )
        })?;
    Ok(Some(key.to_owned()))
}

async fn run(
    config: &Idempotency,
    principal: &str,
    key: &str,
    request: Request,
    next: Next,
) -> Result<Response, Response> {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, config.body_limit)
        .await
        .map_err(|_| {
            Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body-too-large",
                "The request body is too large",
            )
            .into_response()
        })?;
    let path = parts
        .uri
        .path_and_query()
        .map_or("", |p| p.as_str())
        .to_owned();
    let hash = request_hash(parts.method.as_str(), &path, &bytes);
    let claimed = claim(config, principal, key, &hash, parts.method.as_str(), &path)
        .await
        .map_err(|e| Problem::from(e).into_response())?;
    let lease_until = match claimed {
        Claimed::Held(lease_until) => lease_until,
        Claimed::Taken(stored) => return Err(existing(stored, &hash)),
    };
    let claim = Claim {
        principal: principal.to_owned(),
        key: key.to_owned(),
        lease_until,
    };
    let lease = Arc::new(Lease {
        claim: claim.clone(),
        settled: AtomicBool::new(false),
    });
    let mut request = Request::from_parts(parts, Body::from(bytes));
    request.extensions_mut().insert(Arc::clone(&lease));
    let response = next.run(request).await;
    if lease.settled.load(Ordering::Acquire) {
        // completed with the command's events, in their transaction
        return Ok(response);
    }
    Ok(finish(config, claim, response).await)
}

/// The key a request holds, handed to its handler (a request extension):
/// a command that appends events completes the key in the same
/// transaction with a [`Receipt`] of the response it is about to give,
/// and then says so with [`Lease::settled`], so the middleware writes
/// nothing more.
#[derive(Debug)]
pub struct Lease {
    claim: Claim,
    settled: AtomicBool,
}

impl Lease {
    /// A receipt completing this key with a response whose body is
    /// `head`, the position of the command's last event, then `tail`.
    pub fn receipt(
        &self,
        status: StatusCode,
        location: Option<&str>,
        (head, tail): (Vec<u8>, Vec<u8>),
    ) -> Receipt {
        Receipt {
            principal: self.claim.principal.clone(),
            key: self.claim.key.clone(),
            lease_until: self.claim.lease_until,
            status: i32::from(status.as_u16()),
            content_type: Some(JSON.to_owned()),
            location: location.map(str::to_owned),
            body_head: head,
            body_tail: tail,
        }
    }

    /// The receipt committed with the command's events: the response the
    /// handler returns is the one stored (or the lease was lost, and the
    /// key is not this request's to write any more).
    pub fn settled(&self) {
        self.settled.store(true, Ordering::Release);
    }
}

/// The content type of the receipts' bodies (axum's `Json`).
const JSON: &str = "application/json";

/// A key this request holds, and until when.
#[derive(Debug, Clone)]
struct Claim {
    principal: String,
    key: String,
    lease_until: DateTime<Utc>,
}

fn request_hash(method: &str, path: &str, body: &[u8]) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(method.as_bytes());
    hasher.update([0]);
    hasher.update(path.as_bytes());
    hasher.update([0]);
    hasher.update(body);
    hasher.finalize().to_vec()
}

/// A pool for the idempotency records whose transactions commit without
/// waiting for the WAL flush (`synchronous_commit = off`): a request then
/// waits for one flush, its command's, instead of three. Nothing is lost
/// in a crash: the command's own commit flushes the WAL up to itself, so
/// the claim written before it is durable with it; a `done` record lost
/// with the last few milliseconds of WAL leaves the key in flight, and the
/// client's retry after the lease runs the command again under the same
/// derived command id, which the command log answers with the first
/// outcome.
/// It holds at most `max_connections`.
pub fn async_commit_pool(pool: &PgPool, max_connections: u32) -> PgPool {
    let options = (*pool.connect_options())
        .clone()
        .options([("synchronous_commit", "off")]);
    PgPoolOptions::new()
        .max_connections(max_connections.max(1))
        .acquire_timeout(pool.options().get_acquire_timeout())
        .test_before_acquire(pool.options().get_test_before_acquire())
        .connect_lazy_with(options)
}

/// What the claim found.
#[derive(Debug)]
enum Claimed {
    /// This request holds the key until then.
    Held(DateTime<Utc>),
    /// Someone else holds or finished it: its row, if this statement's
    /// snapshot sees it (a key claimed or freed by a request running at
    /// the same moment may not be).
    Taken(Option<Stored>),
}

/// The claim's one row: the lease taken, or else the key's row (all null
/// when that is not seen either).
#[derive(Debug, sqlx::FromRow)]
struct ClaimRow {
    lease_until: Option<DateTime<Utc>>,
    request_hash: Option<Vec<u8>>,
    state: Option<String>,
    response_status: Option<i32>,
    response_type: Option<String>,
    response_location: Option<String>,
    response_body: Option<Vec<u8>>,
}

impl ClaimRow {
    fn claimed(self) -> Claimed {
        if let Some(lease_until) = self.lease_until {
            return Claimed::Held(lease_until);
        }
        let stored = self
            .request_hash
            .zip(self.state)
            .map(|(request_hash, state)| Stored {
                request_hash,
                state,
                response_status: self.response_status,
                response_type: self.response_type,
                response_location: self.response_location,
                response_body: self.response_body,
            });
        Claimed::Taken(stored)
    }
}

/// Takes the key: a new row, or a row whose runner's lease lapsed (same
/// request only). When someone else holds or finished it, the same
/// statement returns the key's row (the data-modifying CTE does not change
/// what the outer select sees, so it is the row as it was before).
async fn claim(
    config: &Idempotency,
    principal: &str,
    key: &str,
    hash: &[u8],
    method: &str,
    path: &str,
) -> sqlx::Result<Claimed> {
    let lease = format!("{} seconds", config.lease.as_secs());
    let row: ClaimRow = sqlx::query_as(
        "with claimed as ( \
             insert into api_idempotency \
                 (principal, idempotency_key, request_hash, method, path, state, lease_until) \
             values ($1, $2, $3, $4, $5, 'in_flight', now() + $6::interval) \
             on conflict (principal, idempotency_key) do update \
                 set lease_until = now() + $6::interval \
               where api_idempotency.state = 'in_flight' \
                 and api_idempotency.lease_until < now() \
                 and api_idempotency.request_hash = excluded.request_hash \
             returning lease_until) \
         select c.lease_until, s.request_hash, s.state, s.response_status, \
                s.response_type, s.response_location, s.response_body \
           from (values (1)) as one (x) \
           left join claimed c on true \
           left join api_idempotency s \
             on c.lease_until is null and s.principal = $1 and s.idempotency_key = $2",
    )
    .bind(principal)
    .bind(key)
    .bind(hash)
    .bind(method)
    .bind(path)
    .bind(lease)
    .fetch_one(&config.pool)
    .await?;
    Ok(row.claimed())
}

/// The answer for a key already taken: the stored response, 422 for
/// another request, 409 while it runs.
fn existing(stored: Option<Stored>, hash: &[u8]) -> Response {
    let Some(stored) = stored else {
        // freed between our claim and this read: the client may retry now
        return in_flight();
    };
    if stored.request_hash != hash {
        return Problem::invalid(
            "idempotency-key-reused",
            "this Idempotency-Key was used for a different request",
        )
        .into_response();
    }
    if stored.state != "done" {
        return in_flight();
    }
    replay(stored)
}

fn in_flight() -> Response {
    Problem::new(
        StatusCode::CONFLICT,
        "idempotency-request-in-flight",
        "A request with this Idempotency-Key is still running",
    )
    .retry_after(1)
    .into_response()
}

fn replay(stored: Stored) -> Response {
    let status = stored
        .response_status
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut response = (status, stored.response_body.unwrap_or_default()).into_response();
    let headers = response.headers_mut();
    if let Some(value) = stored
        .response_type
        .and_then(|v| HeaderValue::from_str(&v).ok())
    {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if let Some(value) = stored
        .response_location
        .and_then(|v| HeaderValue::from_str(&v).ok())
    {
        headers.insert(header::LOCATION, value);
    }
    headers.insert(REPLAYED, HeaderValue::from_static("true"));
    response
}

/// Stores a final response, or frees the key for a transient one.
async fn finish(config: &Idempotency, claim: Claim, response: Response) -> Response {
    let transient =
        response.status().is_server_error() || response.headers().contains_key(header::RETRY_AFTER);
    if transient {
        settle(config, claim, Outcome::Free).await;
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(error) => return Problem::internal(&error).into_response(),
    };
    // if it cannot be stored, the command ran all the same: the client
    // gets its answer, and a retry after the lease re-runs the command,
    // which the command log turns into a replay
    settle(config, claim, Outcome::Done(Final::of(&parts, &bytes))).await;
    Response::from_parts(parts, Body::from(bytes))
}

/// What becomes of a key at the end of its request.
#[derive(Debug, Clone)]
enum Outcome {
    /// Freed: the answer said "try again".
    Free,
    /// Completed with the final response, replayed to every retry.
    Done(Final),
}

/// A final response as stored.
#[derive(Debug, Clone)]
struct Final {
    status: i32,
    content_type: Option<String>,
    location: Option<String>,
    body: Bytes,
}

impl Final {
    fn of(parts: &axum::http::response::Parts, body: &Bytes) -> Self {
        let text = |name: header::HeaderName| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Self {
            status: i32::from(parts.status.as_u16()),
            content_type: text(header::CONTENT_TYPE),
            location: text(header::LOCATION),
            body: body.clone(),
        }
    }
}

/// Writes `outcome`; when the database cannot take it now (it is
/// restarting, say), tries again in the background while the lease runs.
async fn settle(config: &Idempotency, claim: Claim, outcome: Outcome) {
    match write_outcome(&config.pool, &claim, &outcome).await {
        Ok(()) => {}
        Err(error) if error.is_transient() => {
            tracing::warn!(%error, "could not settle an idempotency key; retrying in the background");
            tokio::spawn(settle_later(config.clone(), claim, outcome));
        }
        Err(error) => {
            tracing::warn!(%error, "could not settle an idempotency key; it frees when its lease lapses");
        }
    }
}

/// Retries `outcome` ([`SETTLE_RETRY`], doubling) until written or the
/// lease (counted from now, so at least to its end) has run out.
async fn settle_later(config: Idempotency, claim: Claim, outcome: Outcome) {
    let deadline = tokio::time::Instant::now() + config.lease;
    let mut wait = SETTLE_RETRY;
    while tokio::time::Instant::now() < deadline {
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(SETTLE_RETRY_MAX);
        match write_outcome(&config.pool, &claim, &outcome).await {
            Ok(()) => return,
            Err(error) if error.is_transient() => {}
            Err(error) => {
                tracing::warn!(%error, "could not settle an idempotency key; it frees when its lease lapses");
                return;
            }
        }
    }
}

/// Frees or completes the key, if this request still holds it: the lease
/// it claimed is the row's, so a key a retry took over is left alone.
async fn write_outcome(pool: &PgPool, claim: &Claim, outcome: &Outcome) -> sqlx::Result<()> {
    let sql = match outcome {
        Outcome::Free => {
            "delete from api_idempotency \
              where principal = $1 and idempotency_key = $2 \
                and state = 'in_flight' and lease_until = $3"
        }
        Outcome::Done(_) => {
            "update api_idempotency set state = 'done', response_status = $4, \
                    response_type = $5, response_location = $6, response_body = $7, \
                    completed_at = now() \
              where principal = $1 and idempotency_key = $2 \
                and state = 'in_flight' and lease_until = $3"
        }
    };
    let mut query = sqlx::query(sql)
        .bind(&claim.principal)
        .bind(&claim.key)
        .bind(claim.lease_until);
    if let Outcome::Done(done) = outcome {
        query = query
            .bind(done.status)
            .bind(done.content_type.as_deref())
            .bind(done.location.as_deref())
            .bind(done.body.as_ref());
    }
    query.execute(pool).await?;
    Ok(())
}

/// Purges expired keys every ten minutes, forever (`serve` aborts it).
pub async fn purge_forever(config: Idempotency) {
    let mut every = tokio::time::interval(Duration::from_secs(600));
    loop {
        every.tick().await;
        match purge(&config.pool, config.retention).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "expired idempotency keys purged"),
            Err(error) => tracing::warn!(%error, "idempotency key purge failed"),
        }
    }
}

/// Deletes keys older than `retention`.
pub async fn purge(pool: &PgPool, retention: Duration) -> sqlx::Result<u64> {
    let result = sqlx::query(
        "delete from api_idempotency \
          where created_at < now() - make_interval(secs => $1) and state = 'done' \
             or lease_until < now() - make_interval(secs => $1)",
    )
    .bind(retention.as_secs_f64())
    .execute(pool)
    .await?;
    Ok(result.rows_affected())
}
