//! The configuration file through the real binary: a file setting applies,
//! the environment beats it, a flag beats both, and a typo stops start-up.
//! Also: `BAZAAR_LOG_FORMAT=json` writes flat JSON lines.

use std::io::Write;

use crate::scratch::{run_bazaar, Scratch};

/// A configuration file naming `database_url`, removed on drop.
struct ConfigFile(std::path::PathBuf);

impl ConfigFile {
    fn with(tag: &str, text: &str) -> Self {
        let path = std::env::temp_dir().join(format!("bazaar-{tag}-{}.env", std::process::id()));
        let mut file = std::fs::File::create(&path).unwrap();
        file.write_all(text.as_bytes()).unwrap();
        Self(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for ConfigFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[tokio::test]
async fn the_file_applies_the_environment_beats_it_and_a_flag_beats_both() {
    let (from_file, from_env, from_flag) = (
        Scratch::new("cfg_file"),
        Scratch::new("cfg_env"),
        Scratch::new("cfg_flag"),
    );
    let config = ConfigFile::with(
        "precedence",
        &format!("# test\nDATABASE_URL={}\n", from_file.url()),
    );

    let file_only = run_bazaar(&["--config", config.path(), "migrate"], &[]);
    let env_over_file = run_bazaar(
        &["migrate"],
        &[
            ("BAZAAR_CONFIG", config.path()),
            ("DATABASE_URL", &from_env.url()),
        ],
    );
    let flag_over_env = run_bazaar(
        &[
            "--config",
            config.path(),
            "--database-url",
            &from_flag.url(),
            "migrate",
        ],
        &[("DATABASE_URL", &from_env.url())],
    );

    let created = (
        from_file.exists().await,
        from_env.exists().await,
        from_flag.exists().await,
    );
    for scratch in [&from_file, &from_env, &from_flag] {
        scratch.drop_database().await;
    }
    for (run, output) in [
        ("file", &file_only),
        ("env", &env_over_file),
        ("flag", &flag_over_env),
    ] {
        assert!(
            output.status.success(),
            "{run}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert_eq!(
        created,
        (true, true, true),
        "each run migrated the database it was told to"
    );
}

#[tokio::test]
async fn a_misspelt_setting_in_the_file_stops_start_up_naming_it() {
    let scratch = Scratch::new("cfg_typo");
    let config = ConfigFile::with(
        "typo",
        &format!("DATABASE_URL={}\nKAFKA_BROKER=kafka:9092\n", scratch.url()),
    );

    let output = run_bazaar(&["--config", config.path(), "migrate"], &[]);

    let created = scratch.exists().await;
    scratch.drop_database().await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains(":2: KAFKA_BROKER is not a setting of bazaar"),
        "{stderr}"
    );
    assert!(!created, "nothing ran");
}

#[tokio::test]
async fn json_logs_are_one_flat_object_per_line_at_info_when_rust_log_is_blank() {
    let scratch = Scratch::new("json_logs");

    let output = run_bazaar(
        &["migrate"],
        &[
            ("DATABASE_URL", &scratch.url()),
            ("BAZAAR_LOG_FORMAT", "json"),
            // blank: the default filter (info), not "errors only"
            ("RUST_LOG", ""),
        ],
    );

    scratch.drop_database().await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let migrated = lines
        .iter()
        .find(|line| line["message"] == "database migrated")
        .expect("the migration is logged");
    assert_eq!(migrated["level"], "INFO");
    assert_eq!(migrated["target"], "bazaar_cli::cli");
}

#[tokio::test]
async fn a_bad_log_filter_stops_start_up() {
    let output = run_bazaar(&["migrate"], &[("RUST_LOG", "info,=[")]);

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("bad log filter (RUST_LOG)"), "{stderr}");
}
