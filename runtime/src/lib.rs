//! What every `bazaar` process runs on, below its subcommands: the
//! settings, the logs and traces, and the background workers.
//!
//! The binary (`bazaar-cli`) and the benchmark (`bazaar-bench`), which runs
//! the API and the workers in-process as `bazaar serve` does, share it.
//!
//! # Layout
//! - [`config`]: every setting, from flags, environment or a file, with defaults.
//! - [`telemetry`]: logs (text or flat JSON) and optional trace export
//!   (cargo feature `otel`).
//! - [`workers`]: projections, checkout saga, scheduler, Kafka relay and
//!   search indexer, run beside the API.
//! - [`progress`]: the progress bar of long-running subcommands.

pub mod config;
pub mod progress;
pub mod telemetry;
pub mod workers;
