//! The `bazaar` command line: one binary for every role of a deployment.
//!
//! `bazaar serve` migrates the database, serves the API and runs the
//! workers; `bazaar migrate` only migrates; `bazaar api` only serves, for
//! replicas scaled apart from `bazaar workers` and `bazaar relay`; the
//! other subcommands are operators' and auditors' tools. The HTTP layer is
//! `bazaar-api`, the settings, logs and workers `bazaar-runtime`.
//!
//! Two subcommands are tools, each its own crate behind a cargo feature of
//! this crate, both on by default: `simulate` (`bazaar simulate`, the
//! `bazaar-simulate` load generator, an HTTP client) and `bench`
//! (`bazaar bench`, the `bazaar-bench` harness, which runs pgbench as a
//! child process). The container image builds with
//! `--no-default-features`, so the server it ships links neither.
//!
//! # Layout
//! - [`cli`]: the subcommands and their dispatch ([`run`]).
//! - [`audit`]: `bazaar audit …`, the auditors' tools.
//! - [`projections`]: `bazaar projections status` and `rebuild`.
//! - [`search`]: `bazaar search status`, `rebuild`, `parked` and `redrive`.
//! - [`token`]: `bazaar token`, a signed HS256 bearer token.

pub mod audit;
pub mod cli;
pub mod projections;
pub mod search;
pub mod token;

pub use cli::{run, Cli, Command};
