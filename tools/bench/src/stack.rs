//! What a run needs: a scratch database on the configured Postgres server
//! (dropped at the end, so a run leaves nothing behind and never touches
//! real data), and the API with its workers in this process, as
//! `bazaar serve` runs them, on a free port.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use bazaar_commands::WriteSide;
use bazaar_event_store::PgSettings;
use bazaar_projections::search::Search;
use sqlx::PgPool;

use bazaar_api::settings::HttpSettings;
use bazaar_api::startup::Application;
use bazaar_runtime::workers::{self, Stop};

/// A database of its own for one run.
pub(crate) struct Scratch {
    /// Its URL.
    pub(crate) url: String,
    /// The server's maintenance database, to drop it from.
    admin_url: String,
    name: String,
}

impl Scratch {
    /// Creates `bazaar_bench_<pid>` on the server of `database_url`
    /// (keeping its parameters, such as `sslmode`).
    pub(crate) async fn create(database_url: &str) -> anyhow::Result<Self> {
        let (base, query) = database_url
            .split_once('?')
            .map_or((database_url, String::new()), |(b, q)| (b, format!("?{q}")));
        let (server, _) = base
            .rsplit_once('/')
            .context("DATABASE_URL has no database name")?;
        let name = format!("bazaar_bench_{}", std::process::id());
        let scratch = Self {
            url: format!("{server}/{name}{query}"),
            admin_url: format!("{server}/postgres{query}"),
            name,
        };
        scratch.remove().await;
        bazaar_event_store::pool::create_database_if_missing(&scratch.url).await?;
        Ok(scratch)
    }

    /// A migrated pool on it, large enough for the load and the workers.
    pub(crate) async fn pool(&self) -> anyhow::Result<PgPool> {
        let mut settings = PgSettings::new(&self.url);
        settings.max_connections = 64;
        let pool = bazaar_event_store::connect(&settings)?;
        bazaar_event_store::migrate(&pool).await?;
        Ok(pool)
    }

    /// Drops the database (logging, not failing, if it cannot).
    pub(crate) async fn remove(&self) {
        let dropped = async {
            let pool = bazaar_event_store::connect(&PgSettings::new(&self.admin_url))?;
            sqlx::query(&format!(
                "drop database if exists {} with (force)",
                self.name
            ))
            .execute(&pool)
            .await?;
            anyhow::Ok(())
        };
        if let Err(error) = dropped.await {
            tracing::warn!(%error, database = %self.name, "could not drop the scratch database");
        }
    }
}

/// The running API, as the load sees it.
pub(crate) struct Stack {
    /// `http://127.0.0.1:<port>`.
    pub(crate) base: String,
    /// The HS256 secret its tokens are signed with.
    pub(crate) secret: String,
    /// Its pool (the scratch database).
    pub(crate) pool: PgPool,
    /// The write side, to prepare data without HTTP (long streams).
    pub(crate) app: Arc<WriteSide>,
}

/// Runs the API and the workers while `body` runs against them; stops
/// them when it returns.
pub(crate) async fn with_stack<F, Fut, T>(pool: PgPool, body: F) -> anyhow::Result<T>
where
    F: FnOnce(Stack) -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let secret = format!(
        "{}{}",
        uuid::Uuid::now_v7().simple(),
        uuid::Uuid::now_v7().simple()
    );
    let mut http = HttpSettings::new(SocketAddr::from(([127, 0, 0, 1], 0)), &secret);
    http.rate_limit_per_second = 0;
    http.client_rate_limit_per_second = 0;
    http.read_wait_ms = 30_000;
    http.request_timeout_seconds = 120;
    let (write, notifier) = workers::write_side(&pool);
    let app = Application::build(pool.clone(), &http)
        .await?
        .with_write_side(Arc::clone(&write))
        .with_search(Search::new(pool.clone(), None));
    let stack = Stack {
        base: format!("http://{}", app.local_addr()?),
        secret,
        pool: pool.clone(),
        app: Arc::clone(&write),
    };
    let (raise, stop) = Stop::new();
    let served = app.run(stop.wait());
    let workers = workers::run(pool, write, notifier, (None, None), stop.clone());
    let body = async {
        let result = body(stack).await;
        let _ = raise.send(true);
        result
    };
    let (served, (), result) = tokio::join!(served, workers, body);
    served?;
    result
}
