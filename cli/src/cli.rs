//! The `bazaar` command line: one subcommand per job.

use anyhow::Context;
use bazaar_projections::relay::RelayHealth;
use clap::{Parser, Subcommand};

use crate::audit::AuditCommand;
use crate::projections::ProjectionsCommand;
use crate::search::SearchCommand;
use bazaar_api::ops::OpsServer;
use bazaar_api::read::replicas::Replicas;
use bazaar_api::settings::{HttpSettings, OpsSettings};
use bazaar_api::startup::{shutdown_signal, Application};
use bazaar_runtime::config::Settings;
use bazaar_runtime::telemetry;
use bazaar_runtime::workers::{self, Stop};

/// Bazaar: the event-sourced marketplace backend.
#[derive(Debug, Parser)]
#[command(
    name = "bazaar",
    version,
    about = "Bazaar's REST API and the `bazaar` command line"
)]
pub struct Cli {
    /// Settings every subcommand shares.
    #[command(flatten)]
    pub settings: Settings,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the database if needed and apply pending migrations.
    Migrate,
    /// Migrate, then serve the API and run the workers (projections,
    /// checkout saga, scheduler, Kafka relay) until Ctrl-C or SIGTERM.
    Serve(HttpSettings),
    /// Serve the API only: no workers, no migration (run `bazaar migrate`
    /// first; `/health/ready` answers 503 until the schema is current).
    /// For API replicas scaled apart from `bazaar workers` and `bazaar relay`.
    Api(HttpSettings),
    /// Migrate, then run only the workers (no API), to scale them apart;
    /// health and metrics on `BAZAAR_OPS_ADDR` if set.
    Workers {
        /// Run only these parts (comma-separated): projections, saga,
        /// scheduler, relay, indexer. Default: all of them.
        #[arg(long, value_enum, value_delimiter = ',')]
        only: Vec<workers::Part>,
        /// Where health and metrics are served.
        #[command(flatten)]
        ops: OpsSettings,
    },
    /// Migrate, then run only the Kafka relay (needs `KAFKA_BROKERS`);
    /// health and metrics on `BAZAAR_OPS_ADDR` if set.
    Relay(OpsSettings),
    /// Inspect or rebuild the read models.
    #[command(subcommand)]
    Projections(ProjectionsCommand),
    /// Print a signed HS256 bearer token (for operators and development).
    Token(crate::token::TokenArgs),
    /// Auditors' tools: history, state as of a moment, the filtered log,
    /// hash-chain verification, signed checkpoints, NDJSON export.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Inspect, rebuild or re-drive the Elasticsearch indices.
    #[command(subcommand)]
    Search(SearchCommand),
    /// Drive the API with a simulated marketplace (vendors, perishable
    /// stock, multi-vendor orders, payments, shipping, cancellations,
    /// returns, disputes, escrow releases, payouts) at a set rate, then
    /// reconcile the money read models with the events to the minor unit.
    #[cfg(feature = "simulate")]
    Simulate(bazaar_simulate::SimulateArgs),
    /// Measure throughput, latency, lag, rebuild, verification and relay
    /// figures beside raw-Postgres baselines, in a scratch database.
    #[cfg(feature = "bench")]
    Bench(bazaar_bench::BenchArgs),
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Audit(command) = cli.command {
        // stdout carries the results (exports, JSON): logs go to stderr
        let _telemetry = telemetry::init_with(&cli.settings, telemetry::LogOutput::Stderr)?;
        return crate::audit::run(&cli.settings, command).await;
    }
    #[cfg(feature = "simulate")]
    if let Command::Simulate(args) = &cli.command {
        // stdout carries the summary: logs go to stderr
        let _telemetry = telemetry::init_with(&cli.settings, telemetry::LogOutput::Stderr)?;
        return bazaar_simulate::run(args).await;
    }
    #[cfg(feature = "bench")]
    if let Command::Bench(args) = &cli.command {
        // stdout carries the table: logs go to stderr
        let _telemetry = telemetry::init_with(&cli.settings, telemetry::LogOutput::Stderr)?;
        return bazaar_bench::run(&cli.settings, args).await;
    }
    let _telemetry = telemetry::init_with(&cli.settings, telemetry::LogOutput::Stdout)?;
    match cli.command {
        Command::Migrate => {
            prepare_database(&cli.settings, 1).await?;
            Ok(())
        }
        Command::Serve(http) => serve(&cli.settings, &http).await,
        Command::Api(http) => api(&cli.settings, &http).await,
        Command::Workers { only, ops } => run_workers(&cli.settings, only, &ops).await,
        Command::Relay(ops) => relay(&cli.settings, &ops).await,
        Command::Token(args) => crate::token::run(&args),
        Command::Projections(command) => {
            let pool = prepare_database(&cli.settings, cli.settings.db_max_connections).await?;
            crate::projections::run(&pool, command).await
        }
        Command::Audit(_) => Ok(()),
        #[cfg(feature = "simulate")]
        Command::Simulate(_) => Ok(()),
        #[cfg(feature = "bench")]
        Command::Bench(_) => Ok(()),
        Command::Search(command) => {
            let pool = prepare_database(&cli.settings, cli.settings.db_max_connections).await?;
            let es = workers::indexer_from(&cli.settings)?.map(|(es, _)| es);
            crate::search::run(&pool, es, command).await
        }
    }
}

#[tracing::instrument(name = "migrate", skip_all)]
async fn prepare_database(settings: &Settings, size: u32) -> anyhow::Result<sqlx::PgPool> {
    bazaar_event_store::pool::create_database_if_missing(&settings.database_url)
        .await
        .context("cannot reach or create the database (is Postgres running? see DATABASE_URL)")?;
    let pool =
        bazaar_event_store::connect(&settings.pg().sized(size)).context("bad DATABASE_URL")?;
    bazaar_event_store::migrate(&pool)
        .await
        .context("migrations failed")?;
    tracing::info!("database migrated");
    Ok(pool)
}

/// How `BAZAAR_DB_MAX_CONNECTIONS` is divided in a process that runs
/// `needs`, logged so operators can check it against `docs/operations.md`.
fn budget(
    settings: &Settings,
    needs: bazaar_event_store::pool::Needs,
) -> anyhow::Result<bazaar_event_store::pool::Budget> {
    let budget = bazaar_event_store::pool::Budget::split(settings.db_max_connections, needs)
        .context("BAZAAR_DB_MAX_CONNECTIONS")?;
    tracing::info!(
        total = settings.db_max_connections,
        api = budget.api,
        idempotency = budget.idempotency,
        workers = budget.workers,
        leases = budget.leases,
        "database connection budget"
    );
    Ok(budget)
}

async fn run_workers(
    settings: &Settings,
    only: Vec<workers::Part>,
    ops: &OpsSettings,
) -> anyhow::Result<()> {
    let relay = workers::relay_from(settings);
    let indexer = workers::indexer_from(settings)?;
    let parts = workers::Parts::only(only);
    let on = (relay.is_some(), indexer.is_some());
    let budget = budget(settings, workers::needs(&parts, on, false))?;
    let pool = prepare_database(settings, budget.workers).await?;
    let stop = Stop::on_signal();
    let relay_health = if parts.runs(workers::Part::Relay) {
        workers::relay_health(&relay)
    } else {
        RelayHealth::off()
    };
    let server = ops_server(ops, &pool, relay_health).await?;
    let (app, notifier) = workers::write_side(&pool);
    let work = workers::run_parts(pool, app, notifier, (relay, indexer), &parts, stop.clone());
    let ((), served) = tokio::join!(work, serve_ops(server, &stop));
    served
}

/// The operations server `ops` asks for, bound, if any.
async fn ops_server(
    ops: &OpsSettings,
    pool: &sqlx::PgPool,
    relay: RelayHealth,
) -> anyhow::Result<Option<OpsServer>> {
    match ops.ops_addr {
        Some(addr) => Ok(Some(OpsServer::bind(addr, pool.clone(), relay).await?)),
        None => Ok(None),
    }
}

/// Serves `server` (if any) until `stop`.
async fn serve_ops(server: Option<OpsServer>, stop: &Stop) -> anyhow::Result<()> {
    let Some(server) = server else {
        return Ok(());
    };
    tracing::info!(addr = %server.local_addr()?, "health and metrics at /health/ready and /metrics");
    server.run(stop.wait()).await
}

async fn relay(settings: &Settings, ops: &OpsSettings) -> anyhow::Result<()> {
    let relay = settings
        .kafka
        .relay()
        .context("`bazaar relay` needs KAFKA_BROKERS (or --kafka-brokers)")?;
    let needs = workers::needs(
        &workers::Parts::only(vec![workers::Part::Relay]),
        (true, false),
        false,
    );
    let pool = prepare_database(settings, budget(settings, needs)?.workers).await?;
    let stop = Stop::on_signal();
    let health = RelayHealth::on();
    let server = ops_server(ops, &pool, health.clone()).await?;
    tracing::info!(brokers = %relay.brokers, "kafka relay starting");
    let work = workers::run_relay(&pool, Some((relay, health)), None, stop.wait());
    let ((), served) = tokio::join!(work, serve_ops(server, &stop));
    tracing::info!("kafka relay stopped");
    served
}

/// The hot standbys of `BAZAAR_READ_DATABASE_URL`, each with a pool the
/// size of the API's (on its own server, so outside the primary's budget).
fn replicas(settings: &Settings, size: u32) -> anyhow::Result<Replicas> {
    let replicas =
        Replicas::connect(&settings.read_pgs(size)).context("bad BAZAAR_READ_DATABASE_URL")?;
    if !replicas.is_empty() {
        tracing::info!(
            replicas = replicas.len(),
            connections_each = size,
            "queries read the hot standbys of BAZAAR_READ_DATABASE_URL"
        );
    }
    Ok(replicas)
}

async fn api(settings: &Settings, http: &HttpSettings) -> anyhow::Result<()> {
    let needs = bazaar_event_store::pool::Needs {
        api: true,
        ..Default::default()
    };
    let budget = budget(settings, needs)?;
    let pool = bazaar_event_store::connect(&settings.pg().sized(budget.api))
        .context("bad DATABASE_URL")?;
    let es = workers::indexer_from(settings)?.map(|(es, _)| es);
    let search = bazaar_projections::search::Search::new(pool.clone(), es);
    let app = Application::build_with(pool, budget.idempotency, http)
        .await?
        .with_search(search)
        .with_replicas(replicas(settings, budget.api)?);
    tracing::info!(addr = %app.local_addr()?, "serving the API only (no workers); ready at /health/ready");
    app.run(shutdown_signal()).await
}

async fn serve(settings: &Settings, http: &HttpSettings) -> anyhow::Result<()> {
    let relay = workers::relay_from(settings);
    let indexer = workers::indexer_from(settings)?;
    let on = (relay.is_some(), indexer.is_some());
    let budget = budget(settings, workers::needs(&workers::Parts::all(), on, true))?;
    let pool = prepare_database(settings, budget.api).await?;
    let workers_pool = bazaar_event_store::connect(&settings.pg().sized(budget.workers))?;
    let (write, notifier) = workers::write_side(&pool);
    let app = Application::build_with(pool.clone(), budget.idempotency, http)
        .await?
        .with_relay(workers::relay_health(&relay))
        .with_write_side(std::sync::Arc::clone(&write))
        .with_search(bazaar_projections::search::Search::new(
            pool.clone(),
            indexer.as_ref().map(|(es, _)| es.clone()),
        ))
        .with_replicas(replicas(settings, budget.api)?);
    tracing::info!(addr = %app.local_addr()?, "serving; ready at /health/ready");
    let (raise, stop) = Stop::new();
    let raise = std::sync::Arc::new(raise);
    let on_signal = std::sync::Arc::clone(&raise);
    let signal = tokio::spawn(async move {
        shutdown_signal().await;
        let _ = on_signal.send(true);
    });
    let http = async {
        let served = app.run(stop.wait()).await;
        if let Err(error) = &served {
            tracing::error!(%error, "http server stopped; stopping the workers");
        }
        let _ = raise.send(true);
        served
    };
    let (served, ()) = tokio::join!(
        http,
        workers::run(
            workers_pool,
            write,
            notifier,
            (relay, indexer),
            stop.clone()
        )
    );
    signal.abort();
    served
}
