//! What the workspace's tests share (a dev-dependency only): fixtures and
//! harnesses that run the real thing over a real database, never mocks.
//!
//! # Layout
//! - [`fixtures`]: money, times, ids, metadata and cart lines in EUR on
//!   the tests' fixed calendar (checkout at [`fixtures::t0`]).
//! - [`world`]: the write side (executors, checkout saga, scheduler) over
//!   one real database, with domain time under the test's control.
//! - [`broker`]: a real Kafka-compatible broker (Tansu) per test.
//! - [`bench`]: the benchmarks' settings and scratch database.
//! - `read` (feature `projections`): read models caught up, their rows
//!   dumped, a live model compared with its rebuild.
//! - `app` (feature `app`): the API on port 0 over a fresh database,
//!   optionally with its workers (and the Elasticsearch indexer), and
//!   tokens for every role.
//! - `search` (feature `search`): a live Elasticsearch API per test
//!   (noida-db) and what it holds compared with the search projection.
//!
//! The features keep what a crate's tests do not need out of their build:
//! the use-case tests link no projections, only the HTTP tests the API.

#[cfg(feature = "app")]
pub mod app;
pub mod bench;
pub mod broker;
pub mod fixtures;
#[cfg(feature = "projections")]
pub mod read;
#[cfg(feature = "search")]
pub mod search;
pub mod world;
