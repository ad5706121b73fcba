//! Bazaar's thin REST API and the `bazaar` command line that runs it.
//!
//! The API only turns HTTP into commands and queries; the rules live in the
//! domain and the event store. `bazaar serve` migrates the database and
//! serves; `bazaar migrate` only migrates.
//!
//! # Layout
//! - [`cli`]: the `bazaar` subcommands.
//! - [`config`]: every setting, from flags or environment, with defaults.
//! - [`projections`]: `bazaar projections status` and `rebuild`.
//! - [`startup`]: building and running the HTTP application.
//! - [`state`]: what handlers share.
//! - [`routes`]: one module per resource; now the health checks.
//! - [`telemetry`]: tracing subscriber set-up.
//! - [`workers`]: projections, checkout saga, scheduler and Kafka relay, run beside the API.

pub mod cli;
pub mod config;
pub mod projections;
pub mod routes;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod workers;
