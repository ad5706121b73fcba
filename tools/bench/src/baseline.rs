//! Raw-Postgres baselines, measured in the same run on the same server:
//! pgbench single-row inserts into a trigger-less copy of `events` (what an
//! append costs Postgres alone) and primary-key selects (what a query
//! costs), with as many clients as the HTTP figures. `INSERT … SELECT`,
//! the rebuild's baseline, is measured beside the rebuild (`offline`).

use std::process::Stdio;

use anyhow::Context;
use tokio::process::Command;

use super::BenchArgs;

/// The pgbench figures (zero where the run measures nothing compared
/// with them).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Baselines {
    /// Single-row inserts per second.
    pub(crate) insert_tps: f64,
    /// Their average latency, ms.
    pub(crate) insert_ms: f64,
    /// Primary-key selects per second.
    pub(crate) select_tps: f64,
    /// Their average latency, ms.
    pub(crate) select_ms: f64,
}

const SETUP: &str = "
create table bench_raw_events (like events including defaults including identity including indexes including constraints);
create table bench_kv (id bigint primary key, body jsonb not null);
insert into bench_kv select n, jsonb_build_object('n', n, 'pad', repeat('x', 200)) from generate_series(1, 100000) n;
analyze bench_kv;";

const INSERT: &str = "insert into bench_raw_events (aggregate_type, aggregate_id, sequence, event_type, \
event_version, payload, metadata, event_id) values ('BenchCounter', gen_random_uuid()::text, 1, 'Incremented', \
'1.0', '{\"Incremented\": {\"by\": 1}}', '{\"actor\": \"system:bench\", \"command_id\": \"0193\", \
\"correlation_id\": \"0193\", \"causation_id\": \"0193\"}', gen_random_uuid());\n";

const SELECT: &str = "\\set id random(1, 100000)\nselect body from bench_kv where id = :id;\n";

/// Prepares the baseline tables in `url` and runs the pgbench scripts that
/// the figures of this run are compared with: the insert for the command
/// figures, the select for the queries.
pub(crate) async fn pgbench(url: &str, args: &BenchArgs) -> anyhow::Result<Baselines> {
    use crate::Part::{Http, Inprocess, Queries};
    let pool = bazaar_event_store::connect(&bazaar_event_store::PgSettings::new(url))?;
    bazaar_event_store::migrate(&pool).await?;
    sqlx::raw_sql(SETUP).execute(&pool).await?;
    pool.close().await;
    let mut baselines = Baselines::default();
    if args.runs_any(&[Inprocess, Http]) {
        // the insert's JSON colons read as variables in prepared mode
        (baselines.insert_tps, baselines.insert_ms) = run(url, (INSERT, "simple"), args).await?;
    }
    if args.runs(Queries) {
        (baselines.select_tps, baselines.select_ms) = run(url, (SELECT, "prepared"), args).await?;
    }
    Ok(baselines)
}

/// Runs `script` with pgbench in query `mode`; (tps, average latency in ms).
async fn run(
    url: &str,
    (script, mode): (&str, &str),
    args: &BenchArgs,
) -> anyhow::Result<(f64, f64)> {
    let file = std::env::temp_dir().join(format!("bazaar-bench-{}.sql", uuid::Uuid::now_v7()));
    std::fs::write(&file, script)?;
    let output = Command::new("pgbench")
        .args(["-n", "-M", mode, "-j", "2"])
        .arg(format!("-c{}", args.clients))
        .arg(format!("-T{}", args.seconds))
        .arg("-f")
        .arg(&file)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .output()
        .await
        .context("pgbench did not run (it comes with the PostgreSQL client tools)")?;
    let _ = std::fs::remove_file(&file);
    let text = String::from_utf8_lossy(&output.stdout);
    parse(&text).with_context(|| format!("unexpected pgbench output:\n{text}"))
}

/// Reads `tps = …` and `latency average = … ms` from pgbench's report.
fn parse(report: &str) -> Option<(f64, f64)> {
    let number = |prefix: &str| {
        report
            .lines()
            .find_map(|line| line.trim().strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse::<f64>().ok())
    };
    Some((number("tps = ")?, number("latency average = ")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_figures_are_read_from_a_pgbench_report() {
        let report = "number of transactions actually processed: 52040\n\
                      latency average = 6.145 ms\n\
                      initial connection time = 23.408 ms\n\
                      tps = 5207.250113 (without initial connection time)\n";
        assert_eq!(parse(report), Some((5207.250113, 6.145)));
        assert_eq!(parse("pgbench: error"), None);
    }
}
