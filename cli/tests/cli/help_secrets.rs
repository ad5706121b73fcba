//! `--help` names the environment variables a setting reads but never
//! prints the values of those that may hold credentials (the database's,
//! its read replicas' and Elasticsearch's URLs, the token secret,
//! collector and broker addresses), for the root command and every
//! subcommand, whether the value comes from the environment or from the
//! configuration file.

use bazaar_cli::Cli;
use clap::{Command, CommandFactory};

use crate::scratch::run_bazaar;

/// Secret-looking values, each with a marker that must not appear.
const SECRETS: [(&str, &str); 7] = [
    (
        "DATABASE_URL",
        "postgres://bazaar:pg-Secret-1@db.internal:5432/bazaar",
    ),
    (
        "ELASTICSEARCH_URL",
        "https://elastic:es-Secret-2@es.internal:9200",
    ),
    (
        "BAZAAR_JWT_SECRET",
        "jwt-Secret-3-jwt-Secret-3-jwt-Secret-3",
    ),
    (
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "https://otel:otel-Secret-4@collector.internal:4318",
    ),
    ("KAFKA_BROKERS", "kafka-Secret-5.internal:9092"),
    ("BAZAAR_API", "http://sim:api-Secret-6@api.internal:8080"),
    (
        "BAZAAR_READ_DATABASE_URL",
        "postgres://bazaar:ro-Secret-7@replica-1.internal:5432/bazaar",
    ),
];

/// The markers the values above carry.
const MARKERS: [&str; 7] = [
    "pg-Secret-1",
    "es-Secret-2",
    "jwt-Secret-3",
    "otel-Secret-4",
    "kafka-Secret-5",
    "api-Secret-6",
    "ro-Secret-7",
];

/// Every subcommand path: `[]`, `["serve"]`, `["audit", "checkpoint", "sign"]`…
fn paths(command: &Command, prefix: &[String], out: &mut Vec<Vec<String>>) {
    out.push(prefix.to_vec());
    for sub in command.get_subcommands() {
        let mut path = prefix.to_vec();
        path.push(sub.get_name().to_owned());
        paths(sub, &path, out);
    }
}

fn every_path() -> Vec<Vec<String>> {
    let mut out = Vec::new();
    paths(&Cli::command(), &[], &mut out);
    assert!(out.len() > 10, "subcommands found: {out:?}");
    out
}

/// Runs `bazaar <path> <flag>` and returns the leaks found, by path.
fn leaks(path: &[String], flag: &str, env: &[(&str, &str)]) -> Vec<String> {
    let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
    args.push(flag);
    let output = run_bazaar(&args, env);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "`bazaar {args:?}` failed: {text}");
    assert!(
        text.contains("Usage:"),
        "`bazaar {args:?}` printed no help: {text}"
    );
    MARKERS
        .iter()
        .filter(|marker| text.contains(*marker))
        .map(|marker| format!("`bazaar {}` shows {marker}", args.join(" ")))
        .collect()
}

#[test]
fn help_of_every_subcommand_hides_credentials_taken_from_the_environment() {
    let mut found = Vec::new();
    for path in every_path() {
        found.extend(leaks(&path, "--help", &SECRETS));
    }
    found.extend(leaks(&[], "-h", &SECRETS));
    assert!(found.is_empty(), "{}", found.join("\n"));

    let root = run_bazaar(&["--help"], &SECRETS);
    let text = String::from_utf8_lossy(&root.stdout);
    assert!(
        text.contains("[env: DATABASE_URL]") && text.contains("[env: ELASTICSEARCH_URL]"),
        "help still names the variables: {text}"
    );
}

#[test]
fn help_hides_credentials_taken_from_the_configuration_file() {
    let path = std::env::temp_dir().join(format!("bazaar-help-{}.env", std::process::id()));
    let lines: String = SECRETS
        .iter()
        .filter(|(name, _)| *name != "BAZAAR_API")
        .map(|(name, value)| format!("{name}={value}\n"))
        .collect();
    std::fs::write(&path, lines).unwrap();
    let config = path.to_str().unwrap();

    let mut found = Vec::new();
    for sub in [vec![], vec!["serve".to_owned()], vec!["workers".to_owned()]] {
        found.extend(leaks(&sub, "--help", &[("BAZAAR_CONFIG", config)]));
    }
    std::fs::remove_file(&path).unwrap();

    assert!(found.is_empty(), "{}", found.join("\n"));
}
