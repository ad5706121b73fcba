//! The auditors' tools over a real Bazaar: a checkout run through the
//! executors and the checkout saga (the test kit's write side), the read
//! models built by the projection runtime, and the `bazaar audit` binary, against a real
//! Postgres; each test gets a fresh, migrated database from `#[sqlx::test]`.
//!
//! # Layout
//! - `audit/checkout.rs`: the checkout every test follows, in its own flows.
//! - `audit/as_of.rs`: an aggregate's state as of T equals the read model at T.
//! - `audit/correlation.rs`: one checkout followed across its aggregates.
//! - `audit/cli.rs`: `bazaar audit …` end to end, exit codes included.

mod as_of;
mod checkout;
mod cli;
mod correlation;
