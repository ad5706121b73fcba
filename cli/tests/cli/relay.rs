//! The Kafka relay in `/health/ready`: `off` without Kafka (still ready),
//! `down` while this process relays and Kafka fails (not ready), `ok` once
//! it publishes to a real broker; and `bazaar relay` without brokers.

use std::net::TcpListener;
use std::process::Command;
use std::time::{Duration, Instant};

use bazaar_projections::relay::{RelayHealth, RelaySettings};
use bazaar_runtime::workers::run_relay;
use bazaar_testkit::broker::Broker;
use sqlx::PgPool;
use tokio::sync::oneshot;

use crate::helpers::{spawn_app, spawn_app_with_relay, TestApp};

/// Runs a relay to `brokers` until the returned sender is dropped.
fn start_relay(pool: &PgPool, brokers: &str) -> (RelayHealth, oneshot::Sender<()>) {
    let mut settings = RelaySettings::new(brokers);
    settings.delivery_timeout = Duration::from_secs(2);
    settings.max_backoff = Duration::from_secs(1);
    let health = RelayHealth::on();
    let (stop, stopped) = oneshot::channel::<()>();
    let (pool, relay) = (pool.clone(), Some((settings, health.clone())));
    tokio::spawn(async move {
        run_relay(&pool, relay, None, async {
            let _ = stopped.await;
        })
        .await;
    });
    (health, stop)
}

/// Polls readiness until the relay reports `status`; returns the last
/// HTTP status and body.
async fn wait_relay(app: &TestApp, status: &str) -> (u16, serde_json::Value) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let response = app.get("/health/ready").await;
        let code = response.status().as_u16();
        let body: serde_json::Value = response.json().await.unwrap();
        if body["relay"]["status"] == status || Instant::now() > deadline {
            return (code, body);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn ready_with_the_relay_off_when_kafka_is_not_configured(pool: PgPool) {
    let app = spawn_app(pool).await;

    let response = app.get("/health/ready").await;

    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["relay"]["status"], "off");
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn not_ready_while_the_relay_cannot_reach_kafka(pool: PgPool) {
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (health, _stop) = start_relay(&pool, &closed.to_string());
    let app = spawn_app_with_relay(pool, health).await;

    let (code, body) = wait_relay(&app, "down").await;

    assert_eq!(body["relay"]["status"], "down", "{body}");
    assert_eq!(code, 503);
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["database"], "ok");
    assert!(body["relay"]["error"].is_string());
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn ready_again_once_the_broker_answers(pool: PgPool) {
    let mut broker = Broker::start().await;
    broker.stop().await;
    let (health, _stop) = start_relay(&pool, &broker.address());
    let app = spawn_app_with_relay(pool, health).await;
    let (down, _) = wait_relay(&app, "down").await;

    broker.restart().await;
    let (code, body) = wait_relay(&app, "ok").await;

    assert_eq!(down, 503);
    assert_eq!(body["relay"]["status"], "ok", "{body}");
    assert_eq!(code, 200);
    assert_eq!(body["relay"]["lag_seconds"], 0.0);
}

/// `bazaar relay` refuses to start without brokers, saying why.
#[test]
fn the_relay_command_needs_kafka_brokers() {
    let output = Command::new(env!("CARGO_BIN_EXE_bazaar"))
        .arg("relay")
        .env_remove("KAFKA_BROKERS")
        .output()
        .expect("bazaar runs");

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("KAFKA_BROKERS"), "{stderr}");
}
