//! Queries from a hot standby: a real `bazaar serve` (API and workers)
//! appends to a private primary and reads a streaming replica of it
//! (`BAZAAR_READ_DATABASE_URL`, beside a replica that is down and must be
//! skipped). A client that reads its own writes with `min_position`
//! never gets a stale answer, though the workers that reached the
//! position run in the same process: while the replica's replay is
//! paused such a query answers 503 `read-model-behind` after the bound,
//! and answers again once replay resumes; `/health/ready` reports the
//! replica's replay lag.

use std::process::{Child, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use sqlx::{ConnectOptions, PgConnection};

use crate::helpers::{admin, buyer, vendor};
use crate::private_pg::PrivateCluster;
use crate::scratch::bazaar;

/// Reads of one's own write through the replica.
const ROUNDS: usize = 100;
/// The longest a `min_position` query waits (`BAZAAR_READ_WAIT_MS`):
/// generous, the machine running the tests may be loaded.
const READ_WAIT_MS: &str = "20000";

#[tokio::test]
async fn replica_reads_never_stale_wait_while_replay_is_paused_and_report_lag() {
    let primary = PrivateCluster::start("replica-primary", &[]);
    let standby = primary.standby("replica-standby");
    let log = primary.root().join("bazaar.log");
    let port = free_port();
    let down = format!("postgres://postgres@127.0.0.1:{}/bazaar", free_port());
    let _server = Server(
        bazaar(&["serve"], &[])
            .env("DATABASE_URL", primary.url("bazaar"))
            .env(
                "BAZAAR_READ_DATABASE_URL",
                format!("{},{down}", standby.url("bazaar")),
            )
            .env("BAZAAR_HTTP_ADDR", format!("127.0.0.1:{port}"))
            .env("BAZAAR_JWT_SECRET", crate::helpers::SECRET)
            .env("BAZAAR_RATE_LIMIT_PER_SECOND", "0")
            .env("BAZAAR_READ_WAIT_MS", READ_WAIT_MS)
            .env("BAZAAR_REQUEST_TIMEOUT_SECONDS", "120")
            .stdout(std::fs::File::create(&log).expect("log file"))
            .stderr(Stdio::null())
            .spawn()
            .expect("bazaar serve starts"),
    );
    let api = Api::new(port);
    let replica = api.replica_when(|r| r["status"] == "ok").await;
    assert_eq!(
        replica["name"],
        format!("127.0.0.1:{}/bazaar", standby.port)
    );
    let mut standby_admin = connect(&standby).await;
    let reads_before = transactions(&mut standby_admin).await;

    // Arrange: stock to sell
    let (status, body) = api
        .post(
            &vendor("v-1"),
            "/v1/stock/apple/wh-1/batches",
            &json!({"batch": "b-1", "quantity": 10_000, "expires_on": "2099-12-31"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // Act + Assert: place, then read the order through the replica at once
    let mut earlier = (String::new(), String::new());
    for round in 0..ROUNDS {
        let (order, position) = api.place(round).await;
        let (status, detail) = api.order(&order, &position).await;
        assert_eq!(status, 200, "round {round}: {detail}");
        assert_eq!(detail["order"]["order_id"], order.as_str(), "round {round}");
        earlier = (order, position);
    }
    standby_ran(&mut standby_admin, reads_before + ROUNDS as i64).await;

    // Act: pause the replica's replay, then write
    sqlx::query("select pg_wal_replay_pause()")
        .execute(&mut standby_admin)
        .await
        .expect("replay paused");
    wait_until_paused(&mut standby_admin).await;
    let (later, later_position) = api.place(ROUNDS).await;

    // Assert: what the replica has replayed answers; what it has not is
    // 503 `read-model-behind` after the bound, never stale data
    let (status, _) = api.order(&earlier.0, &earlier.1).await;
    assert_eq!(status, 200, "a paused replica serves what it has replayed");
    let (status, problem) = api.order(&later, &later_position).await;
    assert_eq!(status, 503, "{problem}");
    assert_eq!(problem["type"], "/problems/read-model-behind", "{problem}");
    let replica = api
        .replica_when(|r| r["status"] == "paused" && r["replay_lag_bytes"].as_i64() > Some(0))
        .await;
    assert!(
        replica["replay_lag_seconds"].as_f64() > Some(0.0),
        "{replica}"
    );
    let ready = api.ready().await;
    assert_eq!(ready["replicas"][1]["status"], "down", "{ready}");

    // Act + Assert: replay resumes; the same query answers
    sqlx::query("select pg_wal_replay_resume()")
        .execute(&mut standby_admin)
        .await
        .expect("replay resumed");
    let (status, detail) = api.order(&later, &later_position).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["order"]["order_id"], later.as_str());
    api.replica_when(|r| r["status"] == "ok").await;
}

/// The running `bazaar serve`, killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The API of the server.
struct Api {
    base: String,
    client: reqwest::Client,
}

impl Api {
    fn new(port: u16) -> Self {
        Self {
            base: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::new(),
        }
    }

    /// The readiness report, once the server answers 200.
    async fn ready(&self) -> Value {
        for _ in 0..600 {
            let url = format!("{}/health/ready", self.base);
            if let Ok(response) = self.client.get(url).send().await {
                if response.status() == 200 {
                    return response.json().await.expect("readiness is JSON");
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("bazaar serve never became ready");
    }

    /// The first replica's readiness entry, once `wanted` holds of it.
    async fn replica_when(&self, wanted: impl Fn(&Value) -> bool) -> Value {
        let mut last = Value::Null;
        for _ in 0..300 {
            last = self.ready().await;
            if wanted(&last["replicas"][0]) {
                return last["replicas"][0].clone();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the replica never reached the state wanted: {last}");
    }

    async fn post(&self, token: &str, path: &str, body: &Value) -> (u16, Value) {
        let request = self.client.post(format!("{}{path}", self.base));
        send(request.bearer_auth(token).json(body)).await
    }

    /// Buyer `b-N` places an order of one apple: its id and position.
    async fn place(&self, n: usize) -> (String, String) {
        let line = json!({
            "product": "p-apple", "sku": "apple", "warehouse": "wh-1", "vendor": "v-1",
            "title": "apple", "quantity": 1, "unit_price": {"amount": 250, "currency": "EUR"},
        });
        let body = json!({"currency": "EUR", "lines": [line]});
        let (status, placed) = self
            .post(&buyer(&format!("b-{n}")), "/v1/orders", &body)
            .await;
        assert_eq!(status, 201, "{placed}");
        let order = placed["aggregate_id"].as_str().expect("order id");
        let position = placed["position"].as_str().expect("position");
        (order.to_owned(), position.to_owned())
    }

    /// The order, read as an admin with `min_position`.
    async fn order(&self, order: &str, position: &str) -> (u16, Value) {
        let url = format!("{}/v1/orders/{order}?min_position={position}", self.base);
        send(self.client.get(url).bearer_auth(admin())).await
    }
}

async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    if status == 503 {
        assert!(response.headers().contains_key("retry-after"));
    }
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn connect(cluster: &PrivateCluster) -> PgConnection {
    cluster
        .options("postgres")
        .connect()
        .await
        .expect("standby reachable")
}

/// Transactions the standby has run in the `bazaar` database.
async fn transactions(standby: &mut PgConnection) -> i64 {
    sqlx::query_scalar(
        "select (xact_commit + xact_rollback)::bigint from pg_stat_database where datname = 'bazaar'",
    )
    .fetch_one(standby)
    .await
    .expect("standby statistics")
}

/// Waits until the standby's statistics count `at_least` transactions in
/// `bazaar` (backends report theirs within seconds, not at once).
async fn standby_ran(standby: &mut PgConnection, at_least: i64) {
    let mut ran = 0;
    for _ in 0..300 {
        ran = transactions(standby).await;
        if ran >= at_least {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the standby ran {ran} transactions, not the {at_least} of the reads");
}

async fn wait_until_paused(standby: &mut PgConnection) {
    for _ in 0..300 {
        let state: String = sqlx::query_scalar("select pg_get_wal_replay_pause_state()")
            .fetch_one(&mut *standby)
            .await
            .expect("pause state");
        if state == "paused" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the standby never paused its replay");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}
