//! Bazaar's thin REST API: the HTTP layer over the write side and the
//! read models.
//!
//! The API only turns HTTP into commands and queries; the rules live in the
//! domain and the event store. The `bazaar` binary that serves it, with its
//! settings and workers, is the `bazaar-cli` crate.
//!
//! # Layout
//! - [`startup`]: building and running the HTTP application.
//! - [`settings`]: the HTTP server's settings.
//! - [`state`]: what handlers share.
//! - [`http`]: plumbing of every route: auth, rate limits, idempotency
//!   keys, problem details, metrics, request spans.
//! - [`write`]: running a command from a request; [`read`]: read-your-
//!   writes waits and cursor pages for queries.
//! - [`routes`]: one module per resource under `/v1`, plus health, docs
//!   and metrics.
//! - [`ops`]: health and metrics on an address of their own, for
//!   processes without the API (`bazaar workers`, `bazaar relay`).

pub mod http;
pub mod ops;
pub mod read;
pub mod routes;
pub mod settings;
pub mod startup;
pub mod state;
pub mod write;
