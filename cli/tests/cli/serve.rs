use std::process::{Command, Stdio};
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};

/// `bazaar serve` migrates a new database, becomes ready, runs its workers
/// and stops cleanly on SIGTERM.
#[tokio::test]
async fn serve_becomes_ready_and_stops_on_sigterm() {
    let base: PgConnectOptions = std::env::var("DATABASE_URL")
        .expect("DATABASE_URL")
        .parse()
        .unwrap();
    let name = format!("bazaar_serve_{}", std::process::id());
    let url = base.clone().database(&name).to_url_lossy().to_string();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_bazaar"))
        .arg("serve")
        .env("DATABASE_URL", &url)
        .env("BAZAAR_HTTP_ADDR", format!("127.0.0.1:{port}"))
        .env("BAZAAR_JWT_SECRET", crate::helpers::SECRET)
        .stdout(Stdio::null())
        .spawn()
        .expect("bazaar starts");

    let ready = wait_ready(port).await;
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();

    let mut admin = base.connect().await.unwrap();
    sqlx::query(&format!("drop database {name} with (force)"))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    assert!(ready, "never became ready");
    assert!(kill.success());
    assert!(status.success(), "exit status {status:?}");
}

async fn wait_ready(port: u16) -> bool {
    let client = reqwest::Client::new();
    for _ in 0..300 {
        let url = format!("http://127.0.0.1:{port}/health/ready");
        if let Ok(response) = client.get(url).send().await {
            if response.status() == 200 {
                return true;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}
