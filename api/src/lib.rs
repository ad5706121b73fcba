//! Bazaar's thin REST API and the `bazaar` command line that runs it.
//!
//! The API only turns HTTP into commands and queries; the rules live in the
//! domain and the event store. `bazaar serve` migrates the database and
//! serves; `bazaar migrate` only migrates; `bazaar api` only serves, for
//! replicas scaled apart from `bazaar workers` and `bazaar relay`.
//!
//! # Layout
//! - [`audit`]: `bazaar audit …`, the auditors' tools.
//! - [`cli`]: the `bazaar` subcommands.
//! - [`config`]: every setting, from flags, environment or a file, with defaults.
//! - [`projections`]: `bazaar projections status` and `rebuild`.
//! - [`progress`]: the progress bar of long-running subcommands.
//! - [`simulate`]: `bazaar simulate`, a workload generator that drives the
//!   API and reconciles the money read models with the events.
//! - [`startup`]: building and running the HTTP application.
//! - [`state`]: what handlers share.
//! - [`http`]: plumbing of every route: auth, rate limits, idempotency
//!   keys, problem details, metrics, request spans.
//! - [`write`]: running a command from a request; [`read`]: read-your-
//!   writes waits and cursor pages for queries.
//! - [`routes`]: one module per resource under `/v1`, plus health, docs
//!   and metrics.
//! - [`telemetry`]: logs (text or flat JSON) and optional trace export.
//! - [`search`]: `bazaar search status`, `rebuild`, `parked` and `redrive`.
//! - [`workers`]: projections, checkout saga, scheduler and Kafka relay, run beside the API.

pub mod audit;
pub mod bench;
pub mod cli;
pub mod config;
pub mod http;
pub mod progress;
pub mod projections;
pub mod read;
pub mod routes;
pub mod search;
pub mod simulate;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod token;
pub mod workers;
pub mod write;
