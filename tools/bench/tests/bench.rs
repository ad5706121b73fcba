//! `bazaar bench` end to end at a tiny size: every figure is measured
//! against the real stack and Postgres (and a broker when one is
//! installed), each with its baseline from the same run, and the scratch
//! database is gone afterwards.

use bazaar_bench as bench;
use bazaar_runtime::config::Settings;
use clap::Parser;

/// The `bazaar bench` command line: the shared settings and the bench's own.
#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    Bench(bench::BenchArgs),
}

/// A run's scratch database is named after the process, so the runs of
/// this binary's tests take turns.
static ONE_RUN_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn tiny_run(url: &str) -> Cli {
    tiny_run_with(url, &[])
}

fn tiny_run_with(url: &str, more: &[&str]) -> Cli {
    let tiny = [
        "bazaar",
        "--database-url",
        url,
        "bench",
        "--seconds",
        "1",
        "--clients",
        "4",
        "--lag-rate",
        "40",
        "--saga-rates",
        "20,40",
        "--events",
        "4000",
        "--long-stream",
        "60",
    ];
    let args = tiny.iter().chain(more);
    Cli::try_parse_from(args).expect("the bench's flags parse")
}

fn figure<'r>(report: &'r bench::Report, starts: &str) -> &'r bench::Figure {
    report
        .figures
        .iter()
        .find(|f| f.name.starts_with(starts))
        .unwrap_or_else(|| panic!("no figure {starts:?} in {:?}", report.figures))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tiny_run_measures_every_figure_beside_its_baseline_and_cleans_up() {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let cli = tiny_run(&url);
    let Command::Bench(args) = &cli.command;
    let _turn = ONE_RUN_AT_A_TIME.lock().await;
    let report = bench::report(&cli.settings, args).await.expect("the run");

    for (name, baseline) in [
        ("command over HTTP", true),
        ("command on a 60-event stream", true),
        ("orders end to end", false),
        ("projection lag p99", false),
        ("saga lag p99", false),
        ("saga commands per second", false),
        ("query GET", true),
        ("rebuild of orders", true),
        ("audit verification", false),
    ] {
        let f = figure(&report, name);
        assert!(f.value > 0.0, "{f:?}");
        if baseline {
            let b = f.baseline.as_ref().expect("a baseline");
            assert!(b.value > 0.0, "{f:?}");
            assert!((b.ratio - f.value / b.value).abs() < 1e-9, "{f:?}");
        }
    }
    assert_eq!(figure(&report, "commands refused").value, 0.0);
    assert!(figure(&report, "rebuild of orders").target.is_some());
    let rebuilt = figure(&report, "rebuild of orders").name.clone();
    let events: u64 = rebuilt.split_whitespace().nth(4).unwrap().parse().unwrap();
    assert!(
        events >= 3_000,
        "the log was cloned up to about --events: {rebuilt}"
    );
    let relay = report
        .figures
        .iter()
        .any(|f| f.name.starts_with("relay to Kafka"));
    assert!(relay || report.skipped.iter().any(|s| s.starts_with("relay")));

    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let left: i64 = sqlx::query_scalar(
        "select count(*) from pg_database where datname = 'bazaar_bench_' || $1",
    )
    .bind(std::process::id().to_string())
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(left, 0, "the scratch database is dropped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_chosen_figures_are_measured_with_their_baselines() {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let cli = tiny_run_with(&url, &["--only", "inprocess,long-stream"]);
    let Command::Bench(args) = &cli.command;
    let _turn = ONE_RUN_AT_A_TIME.lock().await;
    let report = bench::report(&cli.settings, args).await.expect("the run");

    for name in ["command in process", "command on a 60-event stream"] {
        let f = figure(&report, name);
        assert!(f.value > 0.0, "{f:?}");
        assert!(f.baseline.as_ref().is_some_and(|b| b.value > 0.0), "{f:?}");
    }
    assert_eq!(figure(&report, "in-process commands failed").value, 0.0);
    assert_eq!(figure(&report, "stream-length commands refused").value, 0.0);
    for other in [
        "command over HTTP",
        "orders end to end",
        "query GET",
        "rebuild",
    ] {
        assert!(
            !report.figures.iter().any(|f| f.name.starts_with(other)),
            "{other} was not chosen: {:?}",
            report.figures
        );
    }
}
