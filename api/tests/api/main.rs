//! API tests: the real application on port 0 over a fresh, real database.
//! The tests of the `bazaar` binary (serve, migrate, the relay, settings)
//! are `bazaar-cli`'s.

mod audit_api;
mod auth;
mod bad_input;
mod control_chars;
mod docs;
mod escrows;
mod fixtures;
mod flow;
mod health;
/// The harness every API test uses, from the workspace's test kit.
mod helpers {
    pub(crate) use bazaar_testkit::app::*;
}
mod idempotency;
mod invoices;
mod isolation;
mod jwks;
mod metrics;
mod middleware;
mod orders;
mod past;
mod payments;
mod rate_limit;
mod read_your_writes;
mod search_api;
mod stock;
mod trace_context;
