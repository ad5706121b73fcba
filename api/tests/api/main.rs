//! API tests: the real application on port 0 over a fresh, real database
//! (and, for the relay's readiness, a real Tansu broker: `broker.rs` is the
//! relay tests' harness, shared).

// the relay tests' harness, of which these tests use a part
mod api_only;
mod audit_api;
mod auth;
mod bad_input;
mod bench;
#[allow(dead_code)]
#[path = "../../../projections/tests/relay/broker.rs"]
mod broker;
mod config_file;
mod crash;
mod docs;
mod escrows;
mod fixtures;
mod flow;
mod health;
mod helpers;
mod idempotency;
mod isolation;
mod migrate;
mod orders;
#[cfg(feature = "otel")]
mod otel;
mod overload;
mod past;
mod payments;
mod private_pg;
mod rate_limit;
mod read_your_writes;
mod relay;
mod restore;
mod scratch;
mod search_api;
mod serve;
mod settings_doc;
mod simulate;
mod stock;
