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
    /// Measures the checkout saga's figures alone: no baselines, no other
    /// figure (to profile the saga, or to try one of its settings).
    #[arg(long)]
    pub saga_only: bool,
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
    let mut report = Report::new(args);
    if args.saga_only {
        let saga = stack::with_stack(scratch.pool().await?, |stack| async move {
            Ok(online::saga_only(&stack, args).await)
        })
        .await?;
        report.extend(saga);
        return Ok(report);
    }
    let baselines = baseline::pgbench(&scratch.url, args).await?;
    let pool = scratch.pool().await?;
    report.extend((
        inprocess::measure(&pool, args, &baselines).await?,
        Vec::new(),
    ));
    let online = stack::with_stack(pool.clone(), |stack| async move {
        online::measure(&stack, args, &baselines).await
    })
    .await?;
    report.extend(online);
    report.extend(offline::measure(&pool, settings, args).await?);
    Ok(report)
}
