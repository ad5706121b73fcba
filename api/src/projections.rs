//! `bazaar projections status` and `bazaar projections rebuild NAME`.

use std::io::Write;
use std::time::Instant;

use anyhow::Context;
use bazaar_projections::{registry, status};
use sqlx::PgPool;

use crate::cli::ProjectionsCommand;

/// Runs one `projections` subcommand.
pub async fn run(pool: &PgPool, command: ProjectionsCommand) -> anyhow::Result<()> {
    match command {
        ProjectionsCommand::Status => print_status(pool).await,
        ProjectionsCommand::Rebuild { name } => {
            let mut bar = ProgressBar::new(&name);
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

/// A progress bar on stderr, redrawn at most ten times a second.
struct ProgressBar {
    name: String,
    started: Instant,
    drawn: Option<Instant>,
}

impl ProgressBar {
    fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            started: Instant::now(),
            drawn: None,
        }
    }

    fn show(&mut self, done: u64, total: u64) {
        if self.drawn.is_some_and(|at| at.elapsed().as_millis() < 100) && done < total {
            return;
        }
        self.drawn = Some(Instant::now());
        let share = if total == 0 {
            1.0
        } else {
            done as f64 / total as f64
        };
        let filled = (share * 30.0).round() as usize;
        let rate = done as f64 / self.started.elapsed().as_secs_f64().max(0.001);
        eprint!(
            "\r{}: [{}{}] {:>3.0}% {done}/{total} events, {rate:.0} events/s",
            self.name,
            "#".repeat(filled.min(30)),
            ".".repeat(30 - filled.min(30)),
            share * 100.0
        );
        let _ = std::io::stderr().flush();
    }

    fn finish(&self) {
        eprintln!();
    }
}
