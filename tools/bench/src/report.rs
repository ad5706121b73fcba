//! The figures of a run: each with its unit, its raw-Postgres baseline and
//! their ratio, and the target it is checked against (reported, never
//! asserted); printed as a table and written as JSON.

use std::io::Write;

use serde::Serialize;

use super::BenchArgs;

/// One measured figure.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    /// What was measured.
    pub name: String,
    /// The value.
    pub value: f64,
    /// Its unit (`ops/s`, `ms`, `events/s`, `x`).
    pub unit: &'static str,
    /// The raw-Postgres figure it is compared with, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Baseline>,
    /// The target on the project's reference machine, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Whether the target was met (`None` without a target).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub met: Option<bool>,
}

/// A baseline and the figure's ratio to it.
#[derive(Debug, Clone, Serialize)]
pub struct Baseline {
    /// What the baseline is (e.g. `pgbench single-row insert`).
    pub name: String,
    /// Its value, in the figure's unit.
    pub value: f64,
    /// figure / baseline.
    pub ratio: f64,
}

impl Figure {
    /// A figure without baseline or target.
    pub fn new(name: impl Into<String>, value: f64, unit: &'static str) -> Self {
        Self {
            name: name.into(),
            value,
            unit,
            baseline: None,
            target: None,
            met: None,
        }
    }

    /// Compares with `baseline`.
    pub fn against(mut self, name: impl Into<String>, value: f64) -> Self {
        let ratio = if value > 0.0 { self.value / value } else { 0.0 };
        self.baseline = Some(Baseline {
            name: name.into(),
            value,
            ratio,
        });
        self
    }

    /// Records a target and whether it was met.
    pub fn target(mut self, target: impl Into<String>, met: bool) -> Self {
        self.target = Some(target.into());
        self.met = Some(met);
        self
    }
}

/// Everything a run measured.
#[derive(Debug, Serialize)]
pub struct Report {
    /// The options of the run.
    pub settings: serde_json::Value,
    /// The figures, in the order measured.
    pub figures: Vec<Figure>,
    /// What could not be measured, and why.
    pub skipped: Vec<String>,
}

impl Report {
    /// An empty report of a run with `args`.
    pub fn new(args: &BenchArgs) -> Self {
        Self {
            settings: serde_json::json!({
                "seconds": args.seconds,
                "clients": args.clients,
                "lag_rate": args.lag_rate,
                "saga_rates": args.saga_rates,
                "events": args.events,
                "long_stream": args.long_stream,
                "saga_only": args.saga_only,
                "only": args.only,
                "cores": std::thread::available_parallelism().map_or(0, |n| n.get()),
            }),
            figures: Vec::new(),
            skipped: Vec::new(),
        }
    }

    /// Adds figures and skips measured elsewhere.
    pub fn extend(&mut self, (figures, skipped): (Vec<Figure>, Vec<String>)) {
        self.figures.extend(figures);
        self.skipped.extend(skipped);
    }

    /// The JSON document.
    pub fn json(&self) -> anyhow::Result<String> {
        Ok(serde_json::to_string_pretty(self)?)
    }

    /// The table.
    pub fn print(&self, out: &mut impl Write) -> std::io::Result<()> {
        writeln!(
            out,
            "{:<52} {:>12} {:<9} {:>12} {:>7}  {:<34} target",
            "figure", "value", "unit", "baseline", "ratio", "baseline is"
        )?;
        for f in &self.figures {
            let (base, ratio, what) =
                f.baseline
                    .as_ref()
                    .map_or((String::new(), String::new(), String::new()), |b| {
                        (
                            format!("{:.1}", b.value),
                            format!("{:.2}", b.ratio),
                            b.name.clone(),
                        )
                    });
            let target = match (&f.target, f.met) {
                (Some(t), Some(true)) => format!("{t} (met)"),
                (Some(t), _) => format!("{t} (MISSED)"),
                _ => String::new(),
            };
            writeln!(
                out,
                "{:<52} {:>12.1} {:<9} {:>12} {:>7}  {:<34} {target}",
                f.name, f.value, f.unit, base, ratio, what
            )?;
        }
        for skipped in &self.skipped {
            writeln!(out, "not measured: {skipped}")?;
        }
        Ok(())
    }
}
