//! `bazaar audit …` end to end: the binary against a real database, its
//! files and its exit codes.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use bazaar_testkit::fixtures::{minutes, t0};
use bazaar_testkit::world::World;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, PgPool};
use uuid::Uuid;

use super::checkout::{in_flow, pay, place};

/// Runs `bazaar audit ARGS` with `database_url`.
fn audit(database_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bazaar"))
        .arg("audit")
        .args(args)
        .env("DATABASE_URL", database_url)
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("bazaar runs")
}

fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn failed_with(output: &Output, message: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{message}: {stdout} {stderr}"
    );
    assert!(stderr.contains(message), "{stderr}");
}

/// The URL of the test's own database.
async fn url_of(pool: &PgPool) -> String {
    let name: String = sqlx::query_scalar("select current_database()")
        .fetch_one(pool)
        .await
        .unwrap();
    let base: PgConnectOptions = std::env::var("DATABASE_URL")
        .expect("DATABASE_URL set by the test script")
        .parse()
        .unwrap();
    base.database(&name).to_url_lossy().to_string()
}

/// A fresh directory for the test's files, removed when dropped (also
/// when the test fails).
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("bazaar-audit-{}", Uuid::now_v7()));
        std::fs::create_dir(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).to_string_lossy().into_owned()
}

/// Signs into `out` once the checkpoint covers `events` events: another
/// test's or database's open transaction can hold the horizon back a moment.
async fn sign_covering(url: &str, key: &str, out: &str, events: u64) {
    for _ in 0..1_000 {
        let _ = std::fs::remove_file(out);
        ok(&audit(
            url,
            &["checkpoint", "sign", "--key", key, "--out", out],
        ));
        let signed: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
        if signed["events"] == events {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the checkpoint never covered {events} events");
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn checkpoints_are_signed_checked_offline_and_against_the_store(pool: PgPool) {
    let world = World::new(&pool);
    world.stock_up().await;
    let url = url_of(&pool).await;
    let scratch = Scratch::new();
    let dir = &scratch.0;
    let (key, checkpoint) = (path(dir, "key.pem"), path(dir, "checkpoint.json"));
    let public = format!("{key}.pub");
    let nowhere = "postgres://nobody@127.0.0.1:1/none";

    ok(&audit(&url, &["checkpoint", "keygen", "--out", &key]));
    failed_with(
        &audit(&url, &["checkpoint", "keygen", "--out", &key]),
        "must not exist",
    );
    sign_covering(&url, &key, &checkpoint, 3).await;
    let offline = ok(&audit(
        nowhere,
        &["checkpoint", "verify", &checkpoint, "--public-key", &public],
    ));
    let against = [
        "checkpoint",
        "verify",
        &checkpoint,
        "--public-key",
        &public,
        "--against-store",
    ];
    ok(&audit(&url, &against));

    let mode = std::fs::metadata(&key).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(offline.contains("\"signature_valid\": true"));
    let signed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&checkpoint).unwrap()).unwrap();
    let events = signed["events"].as_u64().unwrap();
    let forged = path(dir, "forged.json");
    let text = std::fs::read_to_string(&checkpoint).unwrap().replace(
        &format!("\"events\": {events}"),
        &format!("\"events\": {}", events + 1),
    );
    std::fs::write(&forged, text).unwrap();
    let forged = ["checkpoint", "verify", &forged, "--public-key", &public];
    failed_with(&audit(nowhere, &forged), "signature does not hold");

    // a superuser removes the newest event of a stream: chains still hold
    sqlx::raw_sql(
        "begin; set local session_replication_role = replica; \
         delete from events where global_position = (select max(global_position) from events); \
         commit;",
    )
    .execute(&pool)
    .await
    .unwrap();
    ok(&audit(&url, &["verify"]));
    failed_with(
        &audit(&url, &against),
        "no longer has the signed chain heads",
    );
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_checkout_is_exported_verified_and_read_back(pool: PgPool) {
    let world = World::new(&pool);
    world.stock_up().await;
    let checkout = Uuid::now_v7();
    world.order_as("o-1", place(), &in_flow(checkout)).await;
    world.settle(t0()).await;
    world
        .order_as("o-1", pay(minutes(5)), &in_flow(checkout))
        .await;
    world.settle(minutes(5)).await;
    let url = url_of(&pool).await;
    let scratch = Scratch::new();
    let dir = &scratch.0;
    let export = path(dir, "checkout.ndjson");

    let correlation = checkout.to_string();
    let exporting = audit(
        &url,
        &["export", "--correlation-id", &correlation, "--out", &export],
    );
    ok(&exporting);
    let checked = ok(&audit(
        "postgres://nobody@127.0.0.1:1/none",
        &["verify-export", &export],
    ));
    let history = ok(&audit(&url, &["history", "order", "o-1"]));
    let state = ok(&audit(&url, &["state", "order", "o-1", "--sequence", "1"]));
    let log = ok(&audit(
        &url,
        &["log", "--aggregate-type", "escrow", "--json"],
    ));

    let lines = std::fs::read_to_string(&export).unwrap().lines().count();
    assert!(lines >= 8, "{lines} events exported");
    assert!(checked.contains("\"problem\": null"), "{checked}");
    assert!(history.contains("OrderPlaced") && history.contains("buyer:buyer-1"));
    let state: serde_json::Value = serde_json::from_str(&state).unwrap();
    assert_eq!(
        (
            state["sequence"].as_i64(),
            state["state"]["status"].as_str()
        ),
        (Some(1), Some("AWAITING_PAYMENT"))
    );
    let log: serde_json::Value = serde_json::from_str(&log).unwrap();
    assert!(log["events"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["aggregate_type"] == "Escrow"));

    let tampered =
        std::fs::read_to_string(&export)
            .unwrap()
            .replacen("\"amount\": 2900", "\"amount\": 29", 1);
    std::fs::write(&export, tampered).unwrap();
    failed_with(
        &audit(
            "postgres://nobody@127.0.0.1:1/none",
            &["verify-export", &export],
        ),
        "does not verify",
    );
    failed_with(
        &audit(&url, &["state", "order", "o-1", "--sequence=-1"]),
        "negative",
    );
    failed_with(&audit(&url, &["history", "ledger", "none"]), "no stream");
}
