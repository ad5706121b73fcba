//! `bazaar projections status` and `bazaar projections rebuild NAME`.

use anyhow::Context;
use bazaar_projections::{registry, status};
use clap::Subcommand;
use sqlx::PgPool;

use bazaar_runtime::progress::ProgressBar;

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

/// Runs one `projections` subcommand.
pub async fn run(pool: &PgPool, command: ProjectionsCommand) -> anyhow::Result<()> {
    match command {
        ProjectionsCommand::Status => print_status(pool).await,
        ProjectionsCommand::Rebuild { name } => {
            let mut bar = ProgressBar::new(&name, "events");
            let generation = registry::rebuild(pool, &name, |done, total| bar.show(done, total))
                .await
                .with_context(|| format!("rebuilding {name}"))?;
            bar.finish();
            println!("{name}: generation {generation} is live");
            Ok(())
        }
    }
}

async fn print_status(pool: &PgPool) -> anyhow::Result<()> {
    let rows = status::statuses(pool)
        .await
        .context("reading projection status")?;
    println!(
        "{:<12} {:>4} {:<9} {:>12} {:>12} {:>10} {:>9}  error",
        "projection", "gen", "state", "position", "applied", "lag (ev)", "lag (s)"
    );
    for row in rows {
        println!(
            "{:<12} {:>4} {:<9} {:>12} {:>12} {:>10} {:>9.3}  {}",
            row.projection_name,
            row.generation,
            row.status,
            row.position,
            row.events_applied,
            row.lag_events,
            row.lag_seconds,
            row.error.unwrap_or_default()
        );
    }
    Ok(())
}
