//! The configuration file's syntax, and its place in the precedence of
//! flags, environment and defaults (the environment half is tested through
//! the real binary in `cli/tests/cli/config_file.rs`).

use std::ffi::OsString;
use std::io::Write;

use clap::{Args, Parser, Subcommand};

use super::{parse_from, parse_text, Error};

/// A small command line shaped like `bazaar`'s: a global setting with a
/// default, an optional one, and a setting of two subcommands.
#[derive(Debug, Parser)]
struct Demo {
    #[arg(long = "config", global = true)]
    _config: Option<std::path::PathBuf>,
    #[arg(
        long,
        env = "BAZAAR_TEST_FILE_POOL",
        default_value_t = 32,
        global = true
    )]
    pool: u32,
    #[arg(long, env = "BAZAAR_TEST_FILE_BROKERS", global = true)]
    brokers: Option<String>,
    #[command(subcommand)]
    command: DemoCommand,
}

#[derive(Debug, Subcommand)]
enum DemoCommand {
    Serve(Http),
    Api(Http),
    Migrate,
}

#[derive(Debug, Args)]
struct Http {
    #[arg(long, env = "BAZAAR_TEST_FILE_ADDR", default_value = "127.0.0.1:8080")]
    addr: String,
}

fn file(text: &str) -> tempfile_path::TempFile {
    tempfile_path::TempFile::with(text)
}

fn args(list: &[&str]) -> Vec<OsString> {
    list.iter().map(OsString::from).collect()
}

fn demo(file: &tempfile_path::TempFile, list: &[&str]) -> Result<Demo, Error> {
    parse_from(args(list), Some(file.path().into()))
}

#[test]
fn file_values_replace_the_defaults_of_global_and_subcommand_settings() {
    let config = file("BAZAAR_TEST_FILE_POOL=7\nBAZAAR_TEST_FILE_BROKERS=kafka:9092\nBAZAAR_TEST_FILE_ADDR=0.0.0.0:9000\n");

    for sub in ["serve", "api"] {
        let parsed = demo(&config, &["bazaar", sub]).unwrap();
        assert_eq!(parsed.pool, 7);
        assert_eq!(parsed.brokers.as_deref(), Some("kafka:9092"));
        let (DemoCommand::Serve(http) | DemoCommand::Api(http)) = parsed.command else {
            panic!("wrong subcommand");
        };
        assert_eq!(http.addr, "0.0.0.0:9000", "{sub}");
    }
}

#[test]
fn a_flag_beats_the_file() {
    let config = file("BAZAAR_TEST_FILE_POOL=7\n");

    let parsed = demo(&config, &["bazaar", "--pool", "9", "migrate"]).unwrap();

    assert_eq!(parsed.pool, 9);
}

#[test]
fn without_a_file_the_built_in_defaults_apply() {
    let parsed: Demo = parse_from(args(&["bazaar", "migrate"]), None).unwrap();

    assert_eq!(parsed.pool, 32);
    assert_eq!(parsed.brokers, None);
}

#[test]
fn the_config_flag_beats_the_environment_variable_naming_another_file() {
    let named = file("BAZAAR_TEST_FILE_POOL=5\n");
    let from_env = file("BAZAAR_TEST_FILE_POOL=6\n");
    let flag = format!("--config={}", named.path().display());

    let parsed: Demo = parse_from(
        args(&["bazaar", &flag, "migrate"]),
        Some(from_env.path().into()),
    )
    .unwrap();

    assert_eq!(parsed.pool, 5);
}

#[test]
fn a_bad_value_in_the_file_is_refused_by_the_setting_s_parser() {
    let config = file("BAZAAR_TEST_FILE_POOL=many\n");

    let error = demo(&config, &["bazaar", "migrate"]).unwrap_err();

    assert!(matches!(error, Error::Cli(_)), "{error}");
    assert!(error.to_string().contains("many"), "{error}");
}

#[test]
fn an_unknown_name_fails_with_its_line() {
    let config = file("# comment\n\nBAZAAR_TEST_FILE_POOL=7\nKAFKA_BROKER=kafka:9092\n");

    let error = demo(&config, &["bazaar", "migrate"])
        .unwrap_err()
        .to_string();

    assert!(
        error.contains(":4: KAFKA_BROKER is not a setting"),
        "{error}"
    );
}

#[test]
fn the_file_cannot_name_another_file() {
    let config = file("BAZAAR_CONFIG=/etc/other.env\n");

    let error = demo(&config, &["bazaar", "migrate"])
        .unwrap_err()
        .to_string();

    assert!(error.contains(":1: BAZAAR_CONFIG cannot be set"), "{error}");
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let error = parse_from::<Demo>(
        args(&["bazaar", "--config", "/nonexistent/bazaar.env", "migrate"]),
        None,
    )
    .unwrap_err()
    .to_string();

    assert!(
        error.contains("cannot read the configuration file /nonexistent/bazaar.env"),
        "{error}"
    );
}

#[test]
fn comments_blank_lines_export_and_quotes_are_understood() {
    let text = "# Bazaar\n\n  export A=1\nB = \"two words\"\nC='x#y'\nD=\"unbalanced'\nE=\n";

    let entries = parse_text(text).unwrap();

    let values: Vec<(&str, &str, usize)> = entries
        .iter()
        .map(|(k, e)| (k.as_str(), e.value.as_str(), e.line))
        .collect();
    assert_eq!(
        values,
        [
            ("A", "1", 3),
            ("B", "two words", 4),
            ("C", "x#y", 5),
            ("D", "\"unbalanced'", 6)
        ],
        "an empty value (E) counts as absent"
    );
}

#[test]
fn malformed_lines_are_refused_with_their_number() {
    assert_eq!(parse_text("A=1\nno equals sign\n").unwrap_err().0, 2);
    assert!(parse_text("lower=1\n")
        .unwrap_err()
        .1
        .contains("not a setting name"));
    assert!(parse_text("=1\n")
        .unwrap_err()
        .1
        .contains("not a setting name"));
    let (line, reason) = parse_text("A=1\nA=2\n").unwrap_err();
    assert_eq!(line, 2);
    assert!(reason.contains("already set on line 1"), "{reason}");
}

/// A file in the system's temporary directory, removed on drop.
mod tempfile_path {
    use super::Write;
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicUsize, Ordering};

    static NEXT: AtomicUsize = AtomicUsize::new(0);

    pub(super) struct TempFile(PathBuf);

    impl TempFile {
        pub(super) fn with(text: &str) -> Self {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path = std::env::temp_dir()
                .join(format!("bazaar-config-test-{}-{n}.env", std::process::id()));
            let mut file = std::fs::File::create(&path).expect("temp file");
            file.write_all(text.as_bytes()).expect("temp file written");
            Self(path)
        }

        pub(super) fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

#[test]
fn help_does_not_show_values_from_the_file() {
    let config = file("BAZAAR_TEST_FILE_BROKERS=user:secret@kafka:9092\n");

    let help = demo(&config, &["bazaar", "--help"])
        .unwrap_err()
        .to_string();

    assert!(help.contains("--brokers"), "{help}");
    assert!(!help.contains("secret"), "{help}");
}
