//! `bazaar simulate --orders N [--rate R]`: a workload generator that
//! drives the real HTTP API as a marketplace would — vendors receiving
//! perishable batches, buyers placing multi-vendor orders, payments,
//! shipping, deliveries, cancellations, returns, disputes, escrow releases
//! and payouts — then checks that the money read models agree, to the
//! minor unit, with the events and with its own tally.
//!
//! It is a client only: it needs the API's address (`BAZAAR_API`, or
//! `http://` + `BAZAAR_HTTP_ADDR`) and `BAZAAR_JWT_SECRET` to sign its own
//! tokens, never the database. Orders start at `--rate` per second, each a
//! task, at most `--concurrency` at once; every choice comes from `--seed`.
//!
//! # Layout
//! - [`client`]: HTTP, tokens, idempotency keys and retries.
//! - `catalog`: vendors, SKUs, buyers and the batches they stock.
//! - `plan`: an order's cart and path, drawn from the seed; `ctx`: what
//!   every step needs; `scenario`: driving an order to payment; `fulfil`:
//!   the rest of its life; `wait`: waiting for the workers. No module
//!   imports another in a loop.
//! - [`tally`]: what the simulator itself did.
//! - `ledger`: the money folded from the events; [`reconcile`]: the
//!   comparison with the read models.
//! - [`summary`]: the report.
//! - `rng`: the seeded generator.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

mod brokered;
mod catalog;
pub mod client;
mod ctx;
mod fulfil;
mod ledger;
mod plan;
pub mod reconcile;
mod rng;
mod scenario;
pub mod summary;
pub mod tally;
mod wait;

pub use client::{Api, CallError, Who};
pub use summary::Report;

use catalog::Catalog;
use ctx::Ctx;
use plan::OrderPlan;
use tally::Tally;

/// `bazaar simulate …`
#[derive(Debug, Clone, Args)]
pub struct SimulateArgs {
    /// Orders to simulate.
    #[arg(long)]
    pub orders: u64,
    /// Orders started per second.
    #[arg(long, default_value_t = 20.0)]
    pub rate: f64,
    /// Agent-brokered escrow sales (whole deals between a buyer and a
    /// vendor, each with an agent's commission), run after the orders.
    #[arg(long, default_value_t = 4)]
    pub agent_sales: u32,
    /// Vendors taking part (each sells three SKUs).
    #[arg(long, default_value_t = 5)]
    pub vendors: u32,
    /// Buyers taking part.
    #[arg(long, default_value_t = 25)]
    pub buyers: u32,
    /// Seed of every choice; default: from the clock (printed in the summary).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Orders in flight at most.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Currencies orders are placed in (comma-separated ISO 4217 codes).
    #[arg(long, value_delimiter = ',', default_value = "EUR")]
    pub currencies: Vec<String>,
    /// Also write the summary as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Longest wait for one asynchronous step, and for the read models to
    /// agree at the end, in seconds.
    #[arg(long, default_value_t = 60)]
    pub wait_seconds: u64,
    /// Base URL of the API; unset: `http://` + `BAZAAR_HTTP_ADDR`. Not shown
    /// by `--help` (a URL may carry credentials).
    #[arg(long, env = "BAZAAR_API", hide_env_values = true)]
    pub api: Option<String>,
    /// The API's address, used when `BAZAAR_API` is unset.
    #[arg(long, env = "BAZAAR_HTTP_ADDR", default_value = "127.0.0.1:8080")]
    pub http_addr: String,
    /// The HS256 secret the simulator signs its tokens with.
    #[arg(long, env = "BAZAAR_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: String,
}

impl SimulateArgs {
    /// The arguments of a run of `orders` orders against `api` with
    /// `secret`, everything else at its default (for tests and tools).
    pub fn new(api: &str, secret: &str, orders: u64) -> Self {
        Self {
            orders,
            agent_sales: 4,
            rate: 20.0,
            vendors: 5,
            buyers: 25,
            seed: None,
            concurrency: 64,
            currencies: vec!["EUR".to_owned()],
            json: None,
            wait_seconds: 60,
            api: Some(api.to_owned()),
            http_addr: "127.0.0.1:8080".to_owned(),
            jwt_secret: secret.to_owned(),
        }
    }

    /// The API's base URL.
    pub fn base_url(&self) -> String {
        match self.api.as_deref().map(str::trim) {
            Some(url) if !url.is_empty() => url.to_owned(),
            _ => format!("http://{}", self.http_addr),
        }
    }
}

/// Why a run could not be made at all (unexpected answers during the run
/// are counted in the report instead).
#[derive(Debug, thiserror::Error)]
pub enum SimulateError {
    /// Bad arguments.
    #[error("{0}")]
    Arguments(String),
    /// Setting up the vendors' stock failed.
    #[error("stocking the vendors failed: {0}")]
    Setup(CallError),
    /// Reading the events or the read models failed.
    #[error("reconciliation could not read: {0}")]
    Reconcile(CallError),
}

/// A finished run: the report, and what is needed to reconcile it again.
#[derive(Debug)]
pub struct Run {
    /// The report.
    pub report: Report,
    /// The simulator's tally (order ids included).
    pub tally: Tally,
    /// The run's vendors.
    pub vendors: Vec<String>,
    /// The instant the run started (RFC 3339), from which events are read.
    pub from: String,
}

/// Runs the simulation `args` describe; `progress(done, total)` is called
/// as orders end.
pub async fn simulate(
    args: &SimulateArgs,
    mut progress: impl FnMut(u64, u64),
) -> Result<Run, SimulateError> {
    check(args)?;
    let seed = args.seed.unwrap_or_else(clock_seed);
    let run = format!(
        "sim-{}",
        &format!("{:016x}", rng::Rng::new(seed ^ clock_seed()).next_u64())[..8]
    );
    let from = (chrono::Utc::now() - chrono::Duration::seconds(5))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let api = Arc::new(Api::new(&args.base_url(), &args.jwt_secret));
    let catalog = Catalog::new(&run, args.vendors, args.buyers, &mut rng::Rng::new(seed));
    catalog
        .stock_up(&api, &run, args.orders)
        .await
        .map_err(SimulateError::Setup)?;
    let timeout = Duration::from_secs(args.wait_seconds);
    let ctx = Ctx {
        api: Arc::clone(&api),
        run: run.clone(),
        step_timeout: timeout,
    };
    let started = Instant::now();
    let (mut tally, starting) = drive(args, (&ctx, &catalog), seed, &mut progress).await;
    let brokered = (run.as_str(), &catalog, args.currencies.as_slice());
    let (sales, failures) = brokered::run(&api, brokered, args.agent_sales, seed).await;
    tally.failures.extend(failures);
    let elapsed = started.elapsed().as_secs_f64();
    let vendors: Vec<String> = catalog.vendors.iter().map(|v| v.id.clone()).collect();
    let mut compared = reconcile::reconcile(&api, (&tally, &vendors), &from, timeout)
        .await
        .map_err(SimulateError::Reconcile)?;
    let agents = brokered::reconcile(&api, &sales, &from)
        .await
        .map_err(SimulateError::Reconcile)?;
    compared.0.extend(agents);
    let report = Report::new((run, seed), tally.clone(), compared, (elapsed, starting));
    Ok(Run {
        report,
        tally,
        vendors,
        from,
    })
}

/// Compares a finished run's money again (e.g. after the read models
/// changed): the checks, as in the report.
pub async fn reconcile_again(
    args: &SimulateArgs,
    run: &Run,
) -> Result<Vec<reconcile::Check>, SimulateError> {
    let api = Api::new(&args.base_url(), &args.jwt_secret);
    let timeout = Duration::from_secs(args.wait_seconds);
    reconcile::reconcile(&api, (&run.tally, &run.vendors), &run.from, timeout)
        .await
        .map(|(checks, _)| checks)
        .map_err(SimulateError::Reconcile)
}

fn check(args: &SimulateArgs) -> Result<(), SimulateError> {
    let bad = |m: &str| Err(SimulateError::Arguments(m.to_owned()));
    if args.orders == 0 {
        return bad("--orders must be at least 1");
    }
    if !(args.rate.is_finite() && args.rate > 0.0) {
        return bad("--rate must be a positive number of orders per second");
    }
    if args.concurrency == 0 || args.vendors == 0 || args.buyers == 0 {
        return bad("--concurrency, --vendors and --buyers must be at least 1");
    }
    if args.currencies.is_empty() {
        return bad("--currencies needs at least one currency");
    }
    Ok(())
}

fn clock_seed() -> u64 {
    let nanos = chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default();
    u64::from_ne_bytes(nanos.to_ne_bytes())
}

/// Starts order `n` at `n / rate` seconds, at most `concurrency` in
/// flight; returns the tally once every order has ended, and the seconds
/// it took to start them all.
async fn drive(
    args: &SimulateArgs,
    (ctx, catalog): (&Ctx, &Catalog),
    seed: u64,
    progress: &mut impl FnMut(u64, u64),
) -> (Tally, f64) {
    let slots = Arc::new(Semaphore::new(args.concurrency));
    let started = tokio::time::Instant::now();
    let mut tasks = JoinSet::new();
    let mut tally = Tally::default();
    let mut done = 0;
    progress(0, args.orders);
    for n in 1..=args.orders {
        let due = started + Duration::from_secs_f64((n - 1) as f64 / args.rate);
        tokio::time::sleep_until(due).await;
        let permit = Arc::clone(&slots)
            .acquire_owned()
            .await
            .expect("semaphore open");
        let plan = OrderPlan::draw(catalog, &args.currencies, seed, n);
        let ctx = ctx.clone();
        tasks.spawn(async move {
            let account = scenario::run(&ctx, &plan).await;
            drop(permit);
            account
        });
        while let Some(ended) = tasks.try_join_next() {
            done += 1;
            add(&mut tally, ended);
            progress(done, args.orders);
        }
    }
    let starting = started.elapsed().as_secs_f64();
    while let Some(ended) = tasks.join_next().await {
        done += 1;
        add(&mut tally, ended);
        progress(done, args.orders);
    }
    (tally, starting)
}

fn add(tally: &mut Tally, ended: Result<tally::OrderRun, tokio::task::JoinError>) {
    match ended {
        Ok(account) => tally.add(account),
        Err(error) => tally.failures.push(tally::Failure {
            order: 0,
            step: "task".to_owned(),
            status: None,
            problem: "task-panicked".to_owned(),
            detail: error.to_string(),
        }),
    }
}

/// `bazaar simulate`: runs, prints the summary (and JSON), and fails on any
/// mismatch or unexpected answer.
pub async fn run(args: &SimulateArgs) -> anyhow::Result<()> {
    let mut bar = bazaar_runtime::progress::ProgressBar::new("simulate", "orders");
    let run = simulate(args, |done, total| bar.show(done, total)).await?;
    bar.finish();
    let report = &run.report;
    report.print(&mut std::io::stdout().lock())?;
    if let Some(path) = &args.json {
        let json = serde_json::to_vec_pretty(report)?;
        std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))?;
    }
    let orders: BTreeSet<_> = run.tally.order_ids.iter().collect();
    tracing::debug!(orders = orders.len(), "simulation finished");
    if !report.reconciled() {
        anyhow::bail!("{} figures do not reconcile", report.mismatches().len());
    }
    if !report.failures.is_empty() {
        anyhow::bail!(
            "{} unexpected answers (see failures)",
            report.failures.len()
        );
    }
    Ok(())
}
