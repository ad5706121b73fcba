//! HTTP plumbing shared by every route: authentication, rate limits,
//! idempotency keys, problem details, extractors, metrics, request spans
//! and the standard middleware around them ([`layers`]). The routes themselves live in [`crate::routes`].

pub mod auth;
pub mod extract;
pub mod idempotency;
pub mod jwks;
pub mod layers;
pub mod metrics;
pub mod problem;
pub mod rate_limit;
pub mod trace;
