//! The projections crate's tests, one binary: every read model, the
//! projector runtime, search and the Kafka relay against a real Postgres
//! (each test gets a fresh, migrated database from `#[sqlx::test]`), fed
//! by the real executors, checkout saga and scheduler of the test kit's
//! write side (`bazaar_testkit::world`). Search runs against a real
//! Elasticsearch API (noida-db, or `ELASTICSEARCH_URL`), the relay against
//! a real Kafka-compatible broker (Tansu); both are started per test.
//!
//! One binary, not one per model: each test binary is a link of the whole
//! dependency tree. Run one part with a filter on its module, e.g.
//! `cargo test -p bazaar-projections --test projections -- balances::`;
//! the relay tests need the `kafka` feature (`--features kafka`).
//!
//! # Layout
//! - `runtime`: the projector runtime with a deliberately non-idempotent
//!   model: batches, failures, rebuilds, workers.
//! - `orders`, `stock`, `escrows` (with the agents' `commissions`),
//!   `balances`, `invoices`: each read model's rows, replays and rebuilds.
//! - `rebuild_all`: every model followed live equals its rebuild.
//! - `search`: the Postgres fallback, the documents, the indexer's
//!   requests against recorded Elasticsearch answers.
//! - `search_live`: the indexer and searches against a live Elasticsearch
//!   API.
//! - `relay`: the Kafka relay against a real broker (feature `kafka`).

mod balances;
mod escrows;
mod invoices;
mod orders;
mod rebuild_all;
#[cfg(feature = "kafka")]
mod relay;
mod runtime;
mod search;
mod search_live;
mod stock;
