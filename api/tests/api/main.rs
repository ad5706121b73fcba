//! API tests: the real application on port 0 over a fresh, real database
//! (and, for the relay's readiness, a real Tansu broker: `broker.rs` is the
//! relay tests' harness, shared).

// the relay tests' harness, of which these tests use a part
#[allow(dead_code)]
#[path = "../../../projections/tests/relay/broker.rs"]
mod broker;
mod health;
mod helpers;
mod migrate;
mod relay;
mod serve;
