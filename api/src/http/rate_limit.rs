//! Rate limiting per principal: a token bucket per `role:sub`, refilled
//! continuously. Over the limit a caller gets 429 with `Retry-After`.
//!
//! The buckets live in this process: with N API replicas behind a load
//! balancer a principal gets up to N times the rate. That bounds abuse and
//! runaway clients, which is its purpose; a global quota would need a
//! shared store and is not worth a database round trip per request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::auth::Principal;
use super::problem::Problem;

/// Buckets are forgotten after this long unused.
const IDLE: Duration = Duration::from_secs(600);

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Token buckets of every principal seen recently.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Arc<Mutex<HashMap<String, Bucket>>>,
}

impl RateLimiter {
    /// `per_second` sustained, up to `burst` at once; 0 turns it off.
    pub fn new(per_second: u32, burst: u32) -> Self {
        Self {
            per_second: f64::from(per_second),
            burst: f64::from(burst.max(1)),
            buckets: Arc::default(),
        }
    }

    /// Takes a token for `key`; if none is left, the seconds to wait.
    pub fn take(&self, key: &str, now: Instant) -> Result<(), u64> {
        if self.per_second <= 0.0 {
            return Ok(());
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() > 10_000 {
            buckets.retain(|_, bucket| now.duration_since(bucket.at) < IDLE);
        }
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let refill = now.duration_since(bucket.at).as_secs_f64() * self.per_second;
        bucket.tokens = (bucket.tokens + refill).min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / self.per_second;
            Err(wait.ceil().max(1.0) as u64)
        }
    }
}

/// Middleware (after authentication): 429 once a principal's bucket is empty.
pub async fn limit(State(limiter): State<RateLimiter>, request: Request, next: Next) -> Response {
    let Some(principal) = request.extensions().get::<Principal>() else {
        return next.run(request).await;
    };
    match limiter.take(&principal.actor(), Instant::now()) {
        Ok(()) => next.run(request).await,
        Err(seconds) => Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many requests",
        )
        .detail(format!("slow down; retry in {seconds} s"))
        .retry_after(seconds)
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_the_rate_applies_per_principal() {
        let limiter = RateLimiter::new(10, 3);
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.take("buyer:a", start), Ok(()));
        }
        assert_eq!(limiter.take("buyer:a", start), Err(1));
        assert_eq!(
            limiter.take("buyer:b", start),
            Ok(()),
            "others are not affected"
        );
        let later = start + Duration::from_millis(100);
        assert_eq!(limiter.take("buyer:a", later), Ok(()), "one token refilled");
        assert!(limiter.take("buyer:a", later).is_err());
    }

    #[test]
    fn zero_turns_it_off() {
        let limiter = RateLimiter::new(0, 0);
        for _ in 0..1000 {
            assert!(limiter.take("x", Instant::now()).is_ok());
        }
    }
}
