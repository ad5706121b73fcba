//! A small progress bar on stderr, shared by `bazaar projections rebuild`
//! and `bazaar simulate`: one line redrawn in place, at most ten times a
//! second, so a long run shows it is alive without a dependency for it.

use std::io::Write;
use std::time::Instant;

/// A progress bar on stderr, redrawn at most ten times a second.
#[derive(Debug)]
pub struct ProgressBar {
    name: String,
    unit: String,
    started: Instant,
    drawn: Option<Instant>,
}

impl ProgressBar {
    /// A bar titled `name` counting `unit` (e.g. `events`, `orders`).
    pub fn new(name: &str, unit: &str) -> Self {
        Self {
            name: name.to_owned(),
            unit: unit.to_owned(),
            started: Instant::now(),
            drawn: None,
        }
    }

    /// Shows `done` of `total` (and the rate so far).
    pub fn show(&mut self, done: u64, total: u64) {
        if self.drawn.is_some_and(|at| at.elapsed().as_millis() < 100) && done < total {
            return;
        }
        self.drawn = Some(Instant::now());
        let share = if total == 0 {
            1.0
        } else {
            done as f64 / total as f64
        };
        let filled = ((share * 30.0).round() as usize).min(30);
        let rate = done as f64 / self.started.elapsed().as_secs_f64().max(0.001);
        eprint!(
            "\r{}: [{}{}] {:>3.0}% {done}/{total} {}, {rate:.0} {}/s",
            self.name,
            "#".repeat(filled),
            ".".repeat(30 - filled),
            share * 100.0,
            self.unit,
            self.unit,
        );
        let _ = std::io::stderr().flush();
    }

    /// Ends the bar's line.
    pub fn finish(&self) {
        eprintln!();
    }
}
