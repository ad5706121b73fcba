//! Overload is not a fault: a real `bazaar serve` on a private Postgres
//! with few connection slots stays within its connection budget; when
//! another client holds every slot, its commands and queries answer 503
//! `database-busy` with `Retry-After` and write nothing, its logs name the
//! cause of each under the request id, and once the slots are free it
//! serves again without a restart, running each refused command once.

use std::process::{Child, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};

use crate::helpers::vendor;
use crate::private_pg::PrivateCluster;
use crate::scratch::bazaar;

/// The server's slots and the process's budget (`serve`'s smallest is 22).
const MAX_CONNECTIONS: &str = "30";
const BUDGET: i64 = 24;

#[tokio::test]
async fn overload_answers_503_writes_nothing_logs_why_and_recovers() {
    let cluster = PrivateCluster::start(
        "overload",
        &[
            ("max_connections", MAX_CONNECTIONS),
            ("superuser_reserved_connections", "0"),
            ("shared_buffers", "16MB"),
        ],
    );
    let log = cluster.root().join("bazaar.log");
    let port = free_port();
    let server = Server(
        bazaar(&["serve"], &[])
            .env("DATABASE_URL", cluster.url("bazaar"))
            .env("BAZAAR_HTTP_ADDR", format!("127.0.0.1:{port}"))
            .env("BAZAAR_JWT_SECRET", crate::helpers::SECRET)
            .env("BAZAAR_DB_MAX_CONNECTIONS", BUDGET.to_string())
            .env("BAZAAR_RATE_LIMIT_PER_SECOND", "0")
            .stdout(std::fs::File::create(&log).expect("log file"))
            .stderr(Stdio::null())
            .spawn()
            .expect("bazaar serve starts"),
    );
    let api = Api::new(port);
    api.ready().await;
    let admin = cluster.options("postgres");

    // Arrange: traffic enough to open every pool; the process stays in budget
    let warm = (0..24).map(|i| api.receive(format!("warm-{i}"), format!("w-{i}")));
    for (status, _, _) in futures::future::join_all(warm).await {
        assert_eq!(status, 200);
    }
    assert!(connections_of_bazaar(&admin).await <= BUDGET);

    // Act: another client takes every slot, ending bazaar's sessions
    let held = hold_every_slot(&admin).await;
    let commands = (0..3).map(|i| api.receive(format!("sku-{i}"), format!("key-{i}")));
    let refused = futures::future::join_all(commands).await;
    let query = api.get("/v1/stock/warm-0/wh-1").await;
    for (status, busy, _) in refused.iter().chain([&query]) {
        assert_eq!(*status, 503, "{busy}");
        assert_eq!(busy["type"], "/problems/database-busy", "{busy}");
    }
    drop(held);

    // Assert: service resumes; the refused commands wrote nothing and now run once
    api.ready().await;
    assert_eq!(events_of(&cluster, "sku-").await, 0, "nothing half-written");
    for i in 0..3 {
        let (status, body, replayed) = api.receive(format!("sku-{i}"), format!("key-{i}")).await;
        assert_eq!((status, replayed), (200, false), "{body}");
        let (status, _, replayed) = api.receive(format!("sku-{i}"), format!("key-{i}")).await;
        assert_eq!((status, replayed), (200, true));
    }
    assert_eq!(events_of(&cluster, "sku-").await, 3);
    assert!(connections_of_bazaar(&admin).await <= BUDGET);
    drop(server);

    let logs = std::fs::read_to_string(&log).expect("bazaar's log");
    for request_id in api.refused_ids() {
        let line = logs
            .lines()
            .find(|line| line.contains(&request_id) && line.contains("database busy"))
            .unwrap_or_else(|| panic!("no cause logged for {request_id}:\n{logs}"));
        assert!(
            line.contains("acquire timeout") || line.contains("sqlstate="),
            "{line}"
        );
    }
}

/// The running `bazaar serve`, killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The API of the server, remembering the request ids it was refused.
struct Api {
    base: String,
    client: reqwest::Client,
    token: String,
    refused: std::sync::Mutex<Vec<String>>,
}

impl Api {
    fn new(port: u16) -> Self {
        Self {
            base: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::new(),
            token: vendor("v-1"),
            refused: std::sync::Mutex::default(),
        }
    }

    async fn ready(&self) {
        for _ in 0..600 {
            let url = format!("{}/health/ready", self.base);
            if let Ok(response) = self.client.get(url).send().await {
                if response.status() == 200 {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("bazaar serve never became ready");
    }

    /// Receives a batch of `sku` under Idempotency-Key `key`: status,
    /// body, whether the answer was replayed.
    async fn receive(&self, sku: String, key: String) -> (u16, Value, bool) {
        let body = json!({"batch": "b-1", "quantity": 5, "expires_on": null});
        let request = self
            .client
            .post(format!("{}/v1/stock/{sku}/wh-1/batches", self.base))
            .header("Idempotency-Key", key)
            .json(&body);
        self.send(request).await
    }

    async fn get(&self, path: &str) -> (u16, Value, bool) {
        self.send(self.client.get(format!("{}{path}", self.base)))
            .await
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value, bool) {
        let request_id = uuid::Uuid::now_v7().to_string();
        let response = request
            .bearer_auth(&self.token)
            .header("X-Request-Id", &request_id)
            .send()
            .await
            .expect("request sent");
        let status = response.status().as_u16();
        let replayed = response.headers().contains_key("idempotent-replayed");
        if status == 503 {
            assert!(response.headers().contains_key("retry-after"));
        }
        if !(200..300).contains(&status) {
            self.refused.lock().unwrap().push(request_id);
        }
        (
            status,
            response.json().await.unwrap_or(Value::Null),
            replayed,
        )
    }

    fn refused_ids(&self) -> Vec<String> {
        self.refused.lock().unwrap().clone()
    }
}

/// Opens connections until the server refuses (53300), ends every session
/// of bazaar's (waiting until each is gone) and takes the freed slots at
/// once, again, until every slot is held by this client.
async fn hold_every_slot(admin: &PgConnectOptions) -> Vec<PgConnection> {
    let hog = admin.clone().application_name("hog");
    let mut held: Vec<PgConnection> = Vec::new();
    for _ in 0..500 {
        loop {
            match hog.connect().await {
                Ok(connection) => held.push(connection),
                Err(error) => {
                    let code = error.as_database_error().and_then(|e| e.code());
                    assert_eq!(code.as_deref(), Some("53300"), "{error}");
                    break;
                }
            }
        }
        let first = held.first_mut().expect("at least one slot");
        let ended: i64 = sqlx::query_scalar(
            "select count(pg_terminate_backend(pid, 5000)) from pg_stat_activity \
              where application_name = 'bazaar'",
        )
        .fetch_one(first)
        .await
        .expect("sessions ended");
        if ended == 0 {
            return held;
        }
    }
    panic!("bazaar kept reconnecting faster than the slots could be taken");
}

async fn connections_of_bazaar(admin: &PgConnectOptions) -> i64 {
    let mut connection = admin.connect().await.expect("admin connection");
    let count = sqlx::query_scalar(
        "select count(*) from pg_stat_activity where application_name = 'bazaar'",
    )
    .fetch_one(&mut connection)
    .await
    .expect("count");
    connection.close().await.ok();
    count
}

async fn events_of(cluster: &PrivateCluster, prefix: &str) -> i64 {
    let mut connection = cluster
        .options("bazaar")
        .connect()
        .await
        .expect("bazaar database");
    sqlx::query_scalar("select count(*) from events where aggregate_id like $1 || '%'")
        .bind(prefix)
        .fetch_one(&mut connection)
        .await
        .expect("events counted")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}
