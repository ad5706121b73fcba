//! What every handler shares: cheap to clone.
//!
//! axum clones the state for every request and every `State` extractor, so
//! the services live behind one `Arc`: a clone is one reference count, not
//! a dozen (a profile of `GET /v1/orders/{id}` put the field-by-field clone
//! and drop of the state at 1.5 % of the server's CPU).

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use bazaar_commands::WriteSide;
use bazaar_domain::money::FeeRate;
use bazaar_projections::relay::RelayHealth;
use bazaar_projections::search::Search;
use sqlx::PgPool;

use crate::http::auth::Verifier;
use crate::http::idempotency::Idempotency;
use crate::http::rate_limit::{ClientLimiter, RateLimiter};
use crate::read::replicas::{ReadPool, Replicas};

/// Shared application state: the [`Services`] behind one `Arc`.
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    /// The state sharing `services`.
    pub fn new(services: Services) -> Self {
        Self(Arc::new(services))
    }
}

impl Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

/// What the handlers use.
pub struct Services {
    /// The event store's and read models' database: the primary. Queries
    /// read through [`Services::read_pool`] instead.
    pub pool: PgPool,
    /// Hot standbys that answer queries (`BAZAAR_READ_DATABASE_URL`);
    /// empty: queries read the primary.
    pub replicas: Replicas,
    /// The state of this process's Kafka relay, for `/health/ready`.
    pub relay: RelayHealth,
    /// The write side: one executor per aggregate.
    pub write_side: Arc<WriteSide>,
    /// Checks bearer tokens.
    pub verifier: Verifier,
    /// Per-principal request budget.
    pub limiter: RateLimiter,
    /// Per-client-address request budget, checked before the token.
    pub clients: ClientLimiter,
    /// Idempotency keys.
    pub idempotency: Idempotency,
    /// The marketplace's commercial policy for new orders.
    pub policy: Policy,
    /// Longest wait of a query for `min_position`.
    pub read_wait: Duration,
    /// Longest a request may take before it answers 503 `timeout`.
    pub request_timeout: Duration,
    /// Search, over Elasticsearch or Postgres.
    pub search: Search,
}

/// What the operations endpoints (`/health/*`, `/metrics`) read: the
/// database and this process's Kafka relay. Every process has one, with or
/// without the API (`crate::ops`).
#[derive(Clone)]
pub struct Probe {
    /// The database.
    pub pool: PgPool,
    /// The Kafka relay this process runs, or `off`.
    pub relay: RelayHealth,
    /// The read replicas this process queries, whose lag it reports.
    pub replicas: Replicas,
}

impl FromRef<AppState> for Probe {
    fn from_ref(state: &AppState) -> Self {
        Self {
            pool: state.pool.clone(),
            relay: state.relay.clone(),
            replicas: state.replicas.clone(),
        }
    }
}

impl Services {
    /// Where one request's queries, searches and read-your-writes wait
    /// read: the next hot standby that is up, else the primary. Take it
    /// once per request and run the wait and every statement on it.
    pub fn read_pool(&self) -> ReadPool {
        self.replicas
            .pick()
            .unwrap_or_else(|| ReadPool::primary(self.pool.clone()))
    }
}

/// Commercial terms the API applies to new orders.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// The platform fee rate in force.
    pub fee_rate: FeeRate,
    /// How long a buyer has to pay.
    pub payment_window: chrono::Duration,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl FromRef<AppState> for Verifier {
    fn from_ref(state: &AppState) -> Self {
        state.verifier.clone()
    }
}

impl FromRef<AppState> for RateLimiter {
    fn from_ref(state: &AppState) -> Self {
        state.limiter.clone()
    }
}

impl FromRef<AppState> for ClientLimiter {
    fn from_ref(state: &AppState) -> Self {
        state.clients.clone()
    }
}

impl FromRef<AppState> for Idempotency {
    fn from_ref(state: &AppState) -> Self {
        state.idempotency.clone()
    }
}
