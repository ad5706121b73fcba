//! The `bazaar` command line: one subcommand per job.

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::{HttpSettings, Settings};
use crate::startup::{shutdown_signal, Application};
use crate::telemetry;

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
    /// Migrate, then serve the API until Ctrl-C or SIGTERM.
    Serve(HttpSettings),
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

async fn serve(settings: &Settings, http: &HttpSettings) -> anyhow::Result<()> {
    let pool = prepare_database(settings).await?;
    let app = Application::build(pool, http.http_addr).await?;
    tracing::info!(addr = %app.local_addr()?, "serving; ready at /health/ready");
    app.run(shutdown_signal()).await
}
