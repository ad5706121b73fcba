//! The API tests' harness: the real application on port 0 over a fresh
//! database, optionally with its workers (projections, checkout saga,
//! scheduler), and tokens for every role.

use std::net::SocketAddr;
use std::sync::Arc;

use bazaar_api::http::auth::{sign_hs256, Claims, Role};
use bazaar_api::settings::HttpSettings;
use bazaar_api::startup::Application;
use bazaar_projections::relay::RelayHealth;
use bazaar_projections::search::es::{EsClient, IndexerHealth};
use bazaar_projections::search::Search;
use bazaar_runtime::workers::{self, Stop};
use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use tokio::sync::{oneshot, watch};

/// The HS256 secret of every test app.
pub const SECRET: &str = "a-test-secret-that-is-at-least-32-bytes";

/// A running application and how to reach and stop it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub pool: PgPool,
    _stop: oneshot::Sender<()>,
    workers: Option<Workers>,
}

/// The workers' thread: their futures are not `Send` (projections hold a
/// connection across awaits), so they run on a runtime of their own, over
/// a pool of their own; commands of the API wake them through Postgres
/// NOTIFY as they would another process.
struct Workers {
    stop: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Which workers run beside the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Crew {
    /// Projections, checkout saga and scheduler, as `bazaar serve` runs them.
    All,
    /// Projections only: the test plays the saga and the scheduler by hand.
    Projections,
}

impl Workers {
    /// Starts `crew` (with the Elasticsearch indexer shipping to `es`, if
    /// any, when the crew is `All`).
    fn start(options: PgConnectOptions, crew: Crew, es: Option<EsClient>) -> Self {
        let (stop, signal) = Stop::new();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("workers' runtime");
            runtime.block_on(async move {
                let pool = PgPoolOptions::new()
                    .max_connections(12)
                    .connect_with(options)
                    .await
                    .expect("workers' pool");
                let (write, notifier) = workers::write_side(&pool);
                match crew {
                    Crew::All => {
                        let indexer = es.map(|es| (es, IndexerHealth::new()));
                        workers::run(pool.clone(), write, notifier, (None, indexer), signal).await;
                    }
                    Crew::Projections => {
                        bazaar_projections::registry::run_all(&pool, Some(&notifier), || {
                            signal.wait()
                        })
                        .await;
                    }
                }
                pool.close().await;
            });
        });
        Self {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A token for `role` with subject `sub` (and `vendor` for vendors).
pub fn token(role: Role, sub: &str, vendor: Option<&str>) -> String {
    let hour = std::time::Duration::from_secs(3600);
    let claims = Claims::expiring_in(sub, role, vendor.map(str::to_owned), hour);
    sign_hs256(SECRET.as_bytes(), &claims).unwrap()
}

/// An admin's token.
pub fn admin() -> String {
    token(Role::Admin, "ops-1", None)
}

/// An auditor's token.
pub fn auditor() -> String {
    token(Role::Auditor, "audit-1", None)
}

/// Buyer `sub`'s token.
pub fn buyer(sub: &str) -> String {
    token(Role::Buyer, sub, None)
}

/// A token acting for vendor `vendor`.
pub fn vendor(vendor: &str) -> String {
    token(Role::Vendor, &format!("user-of-{vendor}"), Some(vendor))
}

/// A token acting for agent `agent`.
pub fn agent(agent: &str) -> String {
    let hour = std::time::Duration::from_secs(3600);
    let claims = Claims::expiring_in(format!("user-of-{agent}"), Role::Agent, None, hour);
    sign_hs256(SECRET.as_bytes(), &claims.for_agent(agent)).unwrap()
}

impl TestApp {
    /// GET without credentials.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request sent")
    }

    /// GET as the holder of `token`.
    pub async fn get_as(&self, token: &str, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent")
    }

    /// GET as `token`, expecting 200, returning the JSON body.
    pub async fn read(&self, token: &str, path: &str) -> Value {
        let response = self.get_as(token, path).await;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// POST `body` as JSON as the holder of `token`.
    pub async fn post_as(&self, token: &str, path: &str, body: &Value) -> reqwest::Response {
        self.post_with(token, path, body, None).await
    }

    /// POST `body` with an `Idempotency-Key`.
    pub async fn post_with(
        &self,
        token: &str,
        path: &str,
        body: &Value,
        key: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(format!("{}{path}", self.address))
            .bearer_auth(token)
            .json(body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        request.send().await.expect("request sent")
    }

    /// POST as `token`, expecting `status`, returning the JSON body.
    pub async fn command(&self, token: &str, path: &str, body: &Value, status: u16) -> Value {
        let response = self.post_as(token, path, body).await;
        let got = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_eq!(got, status, "POST {path}: {body}");
        body
    }
}

/// Starts the application on a free port over `pool`, without workers or
/// Kafka; it stops when the returned `TestApp` is dropped.
pub async fn spawn_app(pool: PgPool) -> TestApp {
    spawn(pool, RelayHealth::off(), None, |_| {}).await
}

/// Starts the application without workers, with settings changed by `tune`.
pub async fn spawn_app_tuned(pool: PgPool, tune: impl FnOnce(&mut HttpSettings)) -> TestApp {
    spawn(pool, RelayHealth::off(), None, tune).await
}

/// Starts the application reporting the relay that `relay` follows.
pub async fn spawn_app_with_relay(pool: PgPool, relay: RelayHealth) -> TestApp {
    spawn(pool, relay, None, |_| {}).await
}

/// Starts the application and its workers (projections, checkout saga,
/// scheduler) over a pool of its own on the test's database, with
/// settings changed by `tune`.
pub async fn spawn_full(
    options: PgConnectOptions,
    tune: impl FnOnce(&mut HttpSettings),
) -> TestApp {
    spawn_with(options, tune, Crew::All, None).await
}

/// [`spawn_full`] with Elasticsearch on, as `bazaar serve` runs with
/// `ELASTICSEARCH_URL` set: the indexer runs with the other workers and
/// ships to `es`, and the API's searches are answered from `es`.
pub async fn spawn_full_searching(
    options: PgConnectOptions,
    es: EsClient,
    tune: impl FnOnce(&mut HttpSettings),
) -> TestApp {
    spawn_with(options, tune, Crew::All, Some(es)).await
}

/// Starts the application and only its projections: no saga or timers
/// act behind the test's back, so a test can run their commands by hand
/// (and on a history made in the past, see `past.rs`).
pub async fn spawn_read_side(options: PgConnectOptions) -> TestApp {
    spawn_with(options, |_| {}, Crew::Projections, None).await
}

async fn spawn_with(
    options: PgConnectOptions,
    tune: impl FnOnce(&mut HttpSettings),
    crew: Crew,
    es: Option<EsClient>,
) -> TestApp {
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .connect_with(options.clone())
        .await
        .expect("test database");
    let mut app = spawn(pool, RelayHealth::off(), es.clone(), tune).await;
    app.workers = Some(Workers::start(options, crew, es));
    wait_for_read_models(&app.pool).await;
    app
}

/// Waits until every projection has a live generation (its `read.*`
/// views exist), as the workers create them on start.
async fn wait_for_read_models(pool: &PgPool) {
    for _ in 0..400 {
        let live: i64 = sqlx::query_scalar("select count(*) from projection where status = 'live'")
            .fetch_one(pool)
            .await
            .unwrap_or(0);
        if live as usize >= bazaar_projections::registry::NAMES.len() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the read models never went live");
}

/// The API over `pool`, its searches answered from `es` if any (else Postgres).
async fn spawn(
    pool: PgPool,
    relay: RelayHealth,
    es: Option<EsClient>,
    tune: impl FnOnce(&mut HttpSettings),
) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        bazaar_runtime::telemetry::init(bazaar_runtime::config::LogFormat::Text);
    }
    let mut settings = HttpSettings::new(SocketAddr::from(([127, 0, 0, 1], 0)), SECRET);
    settings.rate_limit_per_second = 0;
    settings.client_rate_limit_per_second = 0;
    // the suite runs many apps with their workers at once on a few cores:
    // a read model may lag by seconds there; `min_position` waits for it
    settings.read_wait_ms = 30_000;
    settings.request_timeout_seconds = 120;
    tune(&mut settings);
    let (write, _notifier) = workers::write_side(&pool);
    let app = Application::build(pool.clone(), &settings)
        .await
        .expect("application builds")
        .with_relay(relay)
        .with_write_side(Arc::clone(&write))
        .with_search(Search::new(pool.clone(), es));
    let address = format!("http://{}", app.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(app.run(async {
        let _ = stopped.await;
    }));
    TestApp {
        address,
        client: reqwest::Client::new(),
        pool,
        _stop: stop,
        workers: None,
    }
}

/// What the workers still have to do, one line each: events after the
/// checkout saga's checkpoint or a live projection's, and timers that are
/// due and not yet run. Read in one statement, so in one snapshot.
/// Waits until the workers are idle: the checkout saga and every live
/// projection have read to the end of the log and no timer is due (later
/// timers — payouts a day on, inspections — stay pending). Past that, no
/// worker writes until the test does, so a read model the test changes by
/// hand stays as the test left it. Returns what the workers still had to
/// do at the first look (empty if they were idle already); panics if they
/// are not idle within a minute.
pub async fn workers_idle(pool: &PgPool) -> Vec<(String, i64, String)> {
    let started = std::time::Instant::now();
    let mut first = None;
    loop {
        let behind = bazaar_runtime::workers::outstanding(pool, 50)
            .await
            .expect("the workers' progress");
        if behind.is_empty() {
            return first.unwrap_or_default();
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "the workers are still busy after a minute: {behind:#?}"
        );
        first.get_or_insert(behind);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
