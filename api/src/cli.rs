//! The `bazaar` command line: one subcommand per job.

use anyhow::Context;
use bazaar_projections::relay::RelayHealth;
use clap::{Parser, Subcommand};

use crate::config::{HttpSettings, Settings};
use crate::startup::{shutdown_signal, Application};
use crate::telemetry;
use crate::workers::{self, Stop};

/// Bazaar: the event-sourced marketplace backend.
#[derive(Debug, Parser)]
#[command(name = "bazaar", version, about)]
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
    /// Migrate, then run only the workers (no HTTP), to scale them apart.
    Workers,
    /// Migrate, then run only the Kafka relay (needs `KAFKA_BROKERS`).
    Relay,
    /// Inspect or rebuild the read models.
    #[command(subcommand)]
    Projections(ProjectionsCommand),
}

/// `bazaar projections …`
#[derive(Debug, Subcommand)]
pub enum ProjectionsCommand {
    /// Position, lag (events and seconds) and state of every projection.
    Status,
    /// Replay the whole log into a new generation of NAME's tables, then
    /// switch readers to it; the live generation keeps serving meanwhile.
    Rebuild {
        /// The projection, e.g. `orders`.
        name: String,
    },
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    telemetry::init(cli.settings.log_format);
    match cli.command {
        Command::Migrate => {
            prepare_database(&cli.settings).await?;
            Ok(())
        }
        Command::Serve(http) => serve(&cli.settings, &http).await,
        Command::Workers => {
            let pool = prepare_database(&cli.settings).await?;
            let stop = Stop::on_signal();
            let (app, notifier) = workers::write_side(&pool);
            let relay = workers::relay_from(&cli.settings);
            workers::run(pool, app, notifier, relay, stop).await;
            Ok(())
        }
        Command::Relay => relay(&cli.settings).await,
        Command::Projections(command) => {
            let pool = prepare_database(&cli.settings).await?;
            crate::projections::run(&pool, command).await
        }
    }
}

async fn prepare_database(settings: &Settings) -> anyhow::Result<sqlx::PgPool> {
    bazaar_event_store::pool::create_database_if_missing(&settings.database_url)
        .await
        .context("cannot reach or create the database (is Postgres running? see DATABASE_URL)")?;
    let pool = bazaar_event_store::connect(&settings.pg()).context("bad DATABASE_URL")?;
    bazaar_event_store::migrate(&pool)
        .await
        .context("migrations failed")?;
    tracing::info!("database migrated");
    Ok(pool)
}

async fn relay(settings: &Settings) -> anyhow::Result<()> {
    let relay = settings
        .kafka
        .relay()
        .context("`bazaar relay` needs KAFKA_BROKERS (or --kafka-brokers)")?;
    let pool = prepare_database(settings).await?;
    let stop = Stop::on_signal();
    tracing::info!(brokers = %relay.brokers, "kafka relay starting");
    workers::run_relay(&pool, Some((relay, RelayHealth::on())), None, stop.wait()).await;
    tracing::info!("kafka relay stopped");
    Ok(())
}

async fn serve(settings: &Settings, http: &HttpSettings) -> anyhow::Result<()> {
    let pool = prepare_database(settings).await?;
    let relay = workers::relay_from(settings);
    let app = Application::build(pool.clone(), http.http_addr)
        .await?
        .with_relay(workers::relay_health(&relay));
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
    let (write, notifier) = workers::write_side(&pool);
    let (served, ()) = tokio::join!(
        http,
        workers::run(pool, write, notifier, relay, stop.clone())
    );
    signal.abort();
    served
}
