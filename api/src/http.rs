//! HTTP plumbing shared by every route: authentication, rate limits,
//! idempotency keys, problem details, extractors, metrics and request
//! spans. The routes themselves live in [`crate::routes`].

pub mod auth;
pub mod extract;
pub mod idempotency;
pub mod metrics;
pub mod problem;
pub mod rate_limit;
pub mod trace;
