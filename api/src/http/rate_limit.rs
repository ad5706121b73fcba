//! Rate limits, two of them, both GCRA buckets of the `governor` crate
//! (one per key in a sharded map: no process-wide lock per request). Over
//! either, a caller gets 429 `/problems/rate-limited` with `Retry-After`.
//!
//! - **Per client address, before authentication** ([`limit_client`]):
//!   bounds what one address can make the server do, whatever it sends:
//!   a flood of bad tokens is refused here before any signature is
//!   checked. Behind proxies, `BAZAAR_TRUSTED_PROXY_HOPS` says how many
//!   `X-Forwarded-For` entries, from the right, were added by our own
//!   proxies; the client is the entry before them (0: the peer address).
//! - **Per principal, after authentication** ([`limit`]): a token bucket
//!   per `role:sub`, the budget of one user or integration.
//!
//! The buckets live in this process: with N API replicas behind a load
//! balancer a caller gets up to N times the rate. That bounds abuse and
//! runaway clients, which is its purpose; a global quota would need a
//! shared store and is not worth a database round trip per request.

use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use super::auth::Principal;
use super::problem::Problem;

/// Keys kept before the idle ones are dropped.
const MAX_KEYS: usize = 10_000;

/// A budget per key: `per_second` sustained, `burst` at once; off at 0.
#[derive(Debug, Clone)]
pub struct RateLimiter<K: Hash + Eq + Clone = String> {
    buckets: Option<Arc<DefaultKeyedRateLimiter<K>>>,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    /// `per_second` sustained, up to `burst` at once; 0 turns it off.
    pub fn new(per_second: u32, burst: u32) -> Self {
        let buckets = NonZeroU32::new(per_second).map(|rate| {
            let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
            Arc::new(DefaultKeyedRateLimiter::keyed(
                Quota::per_second(rate).allow_burst(burst),
            ))
        });
        Self { buckets }
    }

    /// Takes a request from `key`'s budget; if it is spent, the whole
    /// seconds to wait (at least 1).
    pub fn take(&self, key: &K) -> Result<(), u64> {
        let Some(buckets) = &self.buckets else {
            return Ok(());
        };
        if buckets.len() > MAX_KEYS {
            buckets.retain_recent();
        }
        buckets.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs_f64().ceil().max(1.0) as u64
        })
    }
}

/// The per-address limit and how to find the client's address.
#[derive(Debug, Clone)]
pub struct ClientLimiter {
    /// Budgets by address.
    pub limiter: RateLimiter<IpAddr>,
    /// `X-Forwarded-For` entries added by our own proxies.
    pub proxy_hops: usize,
}

fn too_many(seconds: u64, whose: &str) -> Response {
    Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
        "Too many requests",
    )
    .detail(format!("{whose} is over its rate; retry in {seconds} s"))
    .retry_after(seconds)
    .into_response()
}

/// The client's address: the peer, or behind `hops` trusted proxies the
/// `X-Forwarded-For` entry they received the request from. `None` when
/// the server runs without connection info (in-process tests).
pub fn client_address(request: &Request, hops: usize) -> Option<IpAddr> {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip())?;
    if hops == 0 {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|entry| entry.trim().parse().ok())
        .collect();
    // the chain is forwarded entries then the peer; skip `hops` from the right
    let chain_len = forwarded.len() + 1;
    let index = chain_len.saturating_sub(hops + 1);
    Some(forwarded.get(index).copied().unwrap_or(peer))
}

/// Middleware (before authentication): 429 once an address's budget is spent.
pub async fn limit_client(
    State(clients): State<ClientLimiter>,
    request: Request,
    next: Next,
) -> Response {
    let Some(address) = client_address(&request, clients.proxy_hops) else {
        return next.run(request).await;
    };
    match clients.limiter.take(&address) {
        Ok(()) => next.run(request).await,
        Err(seconds) => too_many(seconds, "this client address"),
    }
}

/// Middleware (after authentication): 429 once a principal's budget is spent.
pub async fn limit(State(limiter): State<RateLimiter>, request: Request, next: Next) -> Response {
    let Some(principal) = request.extensions().get::<Principal>() else {
        return next.run(request).await;
    };
    match limiter.take(&principal.actor()) {
        Ok(()) => next.run(request).await,
        Err(seconds) => too_many(seconds, "this principal"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_the_rate_applies_per_key() {
        let limiter = RateLimiter::new(1, 3);
        for _ in 0..3 {
            assert_eq!(limiter.take(&"buyer:a".to_owned()), Ok(()));
        }
        assert_eq!(limiter.take(&"buyer:a".to_owned()), Err(1));
        assert_eq!(
            limiter.take(&"buyer:b".to_owned()),
            Ok(()),
            "others are not affected"
        );
    }

    #[test]
    fn zero_turns_it_off() {
        let limiter = RateLimiter::<String>::new(0, 0);
        for _ in 0..1000 {
            assert!(limiter.take(&"x".to_owned()).is_ok());
        }
    }

    fn request(peer: &str, forwarded: &[&str]) -> Request {
        let mut request = Request::new(axum::body::Body::empty());
        request
            .extensions_mut()
            .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        for value in forwarded {
            request
                .headers_mut()
                .append("x-forwarded-for", value.parse().unwrap());
        }
        request
    }

    #[test]
    fn the_client_is_the_peer_or_the_entry_before_our_proxies() {
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        let direct = request("203.0.113.9:4000", &["10.9.9.9"]);
        assert_eq!(client_address(&direct, 0), ip("203.0.113.9"), "not trusted");
        let one_proxy = request("10.0.0.2:4000", &["198.51.100.1, 203.0.113.7"]);
        assert_eq!(
            client_address(&one_proxy, 1),
            ip("203.0.113.7"),
            "a spoofed entry is skipped"
        );
        let two = request("10.0.0.2:4000", &["203.0.113.7", "10.0.0.1"]);
        assert_eq!(client_address(&two, 2), ip("203.0.113.7"));
        let short = request("10.0.0.2:4000", &[]);
        assert_eq!(
            client_address(&short, 1),
            ip("10.0.0.2"),
            "no header: the peer"
        );
    }
}
