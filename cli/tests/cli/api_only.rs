//! `bazaar api`: the HTTP API without workers and without migrating, for
//! replicas scaled apart from `bazaar workers`. It waits, unready, for
//! `bazaar migrate`.

use std::process::Stdio;
use std::time::Duration;

use crate::scratch::{bazaar, run_bazaar, Scratch};

#[tokio::test]
async fn api_does_not_migrate_and_becomes_ready_once_migrate_has_run() {
    let scratch = Scratch::new("api_only");
    scratch.create().await;
    let port = free_port();
    let mut child = bazaar(
        &["api"],
        &[
            ("DATABASE_URL", &scratch.url()),
            ("BAZAAR_HTTP_ADDR", &format!("127.0.0.1:{port}")),
            // an unreachable broker: a process that relayed would turn unready
            ("KAFKA_BROKERS", "127.0.0.1:9"),
            ("BAZAAR_JWT_SECRET", crate::helpers::SECRET),
        ],
    )
    .stdout(Stdio::null())
    .spawn()
    .expect("bazaar api starts");

    let before = readiness(port, |status| status == 503).await;
    let migrated = run_bazaar(&["migrate"], &[("DATABASE_URL", &scratch.url())]);
    let after = readiness(port, |status| status == 200).await;
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let exit = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();

    scratch.drop_database().await;
    let before = before.expect("answered before the migration");
    assert_eq!(before["database"], "schema not migrated", "{before}");
    assert!(migrated.status.success());
    let after = after.expect("ready after the migration");
    assert_eq!(after["status"], "ready");
    assert_eq!(
        after["relay"]["status"], "off",
        "the API process never relays, brokers or not"
    );
    assert!(kill.success());
    assert!(exit.success(), "clean exit on SIGTERM: {exit:?}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The readiness body once its status satisfies `wanted` (30 s at most).
async fn readiness(port: u16, wanted: impl Fn(u16) -> bool) -> Option<serde_json::Value> {
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/health/ready");
    for _ in 0..300 {
        if let Ok(response) = client.get(&url).send().await {
            if wanted(response.status().as_u16()) {
                return response.json().await.ok();
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}
