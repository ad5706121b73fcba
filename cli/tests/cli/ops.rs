//! `bazaar workers` with `BAZAAR_OPS_ADDR` serves `/health/live`,
//! `/health/ready` and `/metrics` (with its workers' counters), and
//! without it serves nothing.

use std::process::Stdio;
use std::time::Duration;

use crate::scratch::{bazaar, Scratch};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// GETs `path` until it answers 200 (the process migrates first).
async fn get_when_up(client: &reqwest::Client, url: &str) -> Option<reqwest::Response> {
    for _ in 0..300 {
        if let Ok(response) = client.get(url).send().await {
            if response.status() == 200 {
                return Some(response);
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

/// The scrape of `url` once the workers report the `orders` projection
/// live (they start it after the ops server is up; under load that takes a
/// moment), or the last scrape after 30 s.
async fn metrics_once_projections_run(client: &reqwest::Client, url: &str) -> String {
    let mut last = String::new();
    for _ in 0..300 {
        if let Some(response) = get_when_up(client, url).await {
            last = response.text().await.unwrap_or_default();
            if last.contains(ORDERS_LIVE) {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    last
}

/// The state gauge of a running `orders` projection.
const ORDERS_LIVE: &str = "bazaar_projection_state{projection=\"orders\",state=\"live\"} 1";

#[tokio::test]
async fn workers_serve_health_and_metrics_on_the_ops_address() {
    let scratch = Scratch::new("ops");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = bazaar(
        &["workers"],
        &[
            ("DATABASE_URL", &scratch.url()),
            ("BAZAAR_OPS_ADDR", &format!("127.0.0.1:{port}")),
        ],
    )
    .stdout(Stdio::null())
    .spawn()
    .expect("bazaar starts");
    let client = reqwest::Client::new();

    let ready = get_when_up(&client, &format!("{base}/health/ready")).await;
    let live = client.get(format!("{base}/health/live")).send().await;
    let metrics = metrics_once_projections_run(&client, &format!("{base}/metrics")).await;
    let missing = client.get(format!("{base}/v1/orders")).send().await;
    let _ = child.kill();
    let _ = child.wait();
    scratch.drop_database().await;

    let ready: serde_json::Value = ready.expect("ready").json().await.unwrap();
    assert_eq!(ready["status"], "ready", "{ready}");
    assert_eq!(ready["relay"]["status"], "off", "{ready}");
    assert_eq!(live.unwrap().status(), 200);
    assert!(
        metrics.contains("# TYPE bazaar_projection_lag_events gauge"),
        "{metrics}"
    );
    assert!(metrics.contains(ORDERS_LIVE), "{metrics}");
    assert_eq!(missing.unwrap().status(), 404, "no API on the ops address");
}
