//! `bazaar bench`: the project's performance figures, each beside a
//! raw-Postgres baseline measured in the same run, as a table and JSON.
//!
//! The figures come from the code that ships, on the machine it runs on:
//! one command creates a scratch database on the configured server, runs
//! the API and the workers in-process on a free port (as `bazaar serve`
//! does), drives them over HTTP, measures the offline jobs (rebuild,
//! verification, relay) on the log the run wrote, then drops the database.
//! Targets are reported, not asserted: see `docs/benchmarks.md`.
//!
//! `--only` picks some of the figures ([`Part`]), so an experiment on one
//! of them takes seconds instead of the whole run; the baselines they are
//! compared with are still measured in the same run.
//!
//! # Layout
//! - `stack`: the scratch database and the in-process API and workers.
//! - `inprocess`: commands through the executor, no HTTP; batch sizes.
//! - `load`: closed-loop and fixed-rate HTTP load, latency percentiles.
//! - `baseline`: pgbench inserts and selects, `INSERT … SELECT`.
//! - `online`: figures over HTTP (commands, long streams, queries,
//!   end-to-end orders, projection lag).
//! - `offline`: rebuild, audit verification and relay throughput.
//! - `report`: the figures, the table and the JSON.

mod baseline;
mod inprocess;
mod load;
mod offline;
mod online;
mod report;
mod stack;

use std::path::PathBuf;

use anyhow::Context;

use bazaar_runtime::config::Settings;
pub use report::{Baseline, Figure, Report};

/// `bazaar bench` options.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Also write the figures as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Seconds each throughput or latency measurement runs.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Concurrent HTTP clients of the throughput and query figures.
    #[arg(long, default_value_t = 32)]
    pub clients: usize,
    /// Commands per second offered while projection lag is measured.
    #[arg(long, default_value_t = 1_000)]
    pub lag_rate: u64,
    /// Checkouts per second offered while the saga's reaction lag is
    /// measured, one phase per rate (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "100,1000")]
    pub saga_rates: Vec<u64>,
    /// Events in the log for the rebuild, verification and relay figures
    /// (the run's own events, cloned under new ids up to this count).
    #[arg(long, default_value_t = 1_000_000)]
    pub events: u64,
    /// Events in the long stream of the stream-length figure.
    #[arg(long, default_value_t = 10_000)]
    pub long_stream: u64,
    /// Measures only these figures (comma-separated; all when absent).
    #[arg(long, value_enum, value_delimiter = ',', conflicts_with = "saga_only")]
    pub only: Vec<Part>,
    /// Measures the checkout saga's figures alone: the same as
    /// `--only saga`.
    #[arg(long)]
    pub saga_only: bool,
}

/// The figures `--only` can pick; each brings the baselines it is compared
/// with, and nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Part {
    /// Commands through the executor, no HTTP, and their batch sizes.
    Inprocess,
    /// Single-event commands over HTTP, and their batch sizes.
    Http,
    /// A command on a long stream against one on a fresh stream.
    LongStream,
    /// Orders placed, paid and read back as PAID.
    Orders,
    /// Projection lag under a fixed command rate.
    Lag,
    /// The checkout saga's reaction lag at each of `--saga-rates`.
    Saga,
    /// Reads of single orders (of the orders the lag figure placed, so it
    /// measures that one too).
    Queries,
    /// Rebuild, audit verification and relay, over the log the run wrote
    /// (cloned up to `--events`).
    Offline,
}

impl BenchArgs {
    /// Whether this run measures `part`.
    pub fn runs(&self, part: Part) -> bool {
        if self.saga_only {
            return part == Part::Saga;
        }
        self.only.is_empty() || self.only.contains(&part)
    }

    /// Whether this run measures any of `parts`.
    pub(crate) fn runs_any(&self, parts: &[Part]) -> bool {
        parts.iter().any(|part| self.runs(*part))
    }
}

/// Runs every measurement, prints the table and writes the JSON.
pub async fn run(settings: &Settings, args: &BenchArgs) -> anyhow::Result<()> {
    let report = report(settings, args).await?;
    report.print(&mut std::io::stdout().lock())?;
    if let Some(path) = &args.json {
        std::fs::write(path, report.json()?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// Runs every measurement in a scratch database on the server of
/// `settings.database_url`, dropped afterwards (also on failure).
pub async fn report(settings: &Settings, args: &BenchArgs) -> anyhow::Result<Report> {
    let scratch = stack::Scratch::create(&settings.database_url).await?;
    let measured = measure(&scratch, settings, args).await;
    scratch.remove().await;
    measured
}

async fn measure(
    scratch: &stack::Scratch,
    settings: &Settings,
    args: &BenchArgs,
) -> anyhow::Result<Report> {
    use Part::{Http, Inprocess, Lag, LongStream, Offline, Orders, Queries, Saga};
    let mut report = Report::new(args);
    let baselines = baseline::pgbench(&scratch.url, args).await?;
    let pool = scratch.pool().await?;
    if args.runs(Inprocess) {
        let figures = inprocess::measure(&pool, args, &baselines).await?;
        report.extend((figures, Vec::new()));
    }
    if args.runs_any(&[Http, LongStream, Orders, Lag, Saga, Queries]) {
        let online = stack::with_stack(pool.clone(), |stack| async move {
            online::measure(&stack, args, &baselines).await
        })
        .await?;
        report.extend(online);
    }
    if args.runs(Offline) {
        report.extend(offline::measure(&pool, settings, args).await?);
    }
    Ok(report)
}
