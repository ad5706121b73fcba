//! Connecting to Postgres and bringing the schema up to date.

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};

use crate::error::Result;

pub mod budget;

pub use budget::{Budget, Needs};

/// The migrations in the repository's root `migrations/` folder.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// A transaction left idle longer than this is ended by the server: an open
/// transaction holds back every commit-ordered reader (see [`crate::reader`]).
pub const IDLE_IN_TRANSACTION_TIMEOUT: &str = "30s";

/// How to reach the database.
#[derive(Debug, Clone)]
pub struct PgSettings {
    /// A `postgres://` URL.
    pub url: String,
    /// Upper bound of pooled connections.
    pub max_connections: u32,
    /// How long to wait for a free connection before failing.
    pub acquire_timeout: Duration,
}

impl PgSettings {
    /// Settings with the default pool size for `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 32,
            acquire_timeout: Duration::from_secs(5),
        }
    }

    /// The connect options, with the session settings every connection needs.
    /// `application_name` is `bazaar` unless the URL names one, so
    /// operators can count a deployment's connections in
    /// `pg_stat_activity`.
    pub fn connect_options(&self) -> Result<PgConnectOptions> {
        let options = PgConnectOptions::from_str(&self.url)?.options([(
            "idle_in_transaction_session_timeout",
            IDLE_IN_TRANSACTION_TIMEOUT,
        )]);
        Ok(if options.get_application_name().is_none() {
            options.application_name("bazaar")
        } else {
            options
        })
    }

    /// The same settings with a pool of `max_connections`.
    #[must_use]
    pub fn sized(&self, max_connections: u32) -> Self {
        Self {
            max_connections,
            ..self.clone()
        }
    }
}

/// Opens a pool (lazily: no connection is made until first use).
///
/// Connections are not pinged when taken from the pool
/// (`test_before_acquire(false)`): sqlx's default sends one round trip
/// before every statement, which doubled the round trips of a one-statement
/// query. A connection that died while idle (a database restart) fails its
/// next statement instead, with an I/O error that the API answers as 503
/// `database-busy` with `Retry-After` and the workers retry; sqlx then
/// drops it, so each dead connection costs one failure, not more.
pub fn connect(settings: &PgSettings) -> Result<PgPool> {
    Ok(PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(settings.acquire_timeout)
        .test_before_acquire(false)
        .connect_lazy_with(settings.connect_options()?))
}

/// Creates the database named in `url` if it does not exist yet.
pub async fn create_database_if_missing(url: &str) -> Result<()> {
    use sqlx::migrate::MigrateDatabase;
    if !sqlx::Postgres::database_exists(url).await? {
        sqlx::Postgres::create_database(url).await?;
    }
    Ok(())
}

/// Begins a transaction that survives the caller being cancelled.
///
/// sqlx 0.8.6's `Pool::begin` is not cancellation-safe: if the future is
/// dropped after `BEGIN` was sent but before its reply was read, its guard
/// thinks no transaction was opened, and the connection goes back to the
/// pool *inside* a transaction. Every later autocommit statement on that
/// connection (an append!) then joins that transaction and is lost when it
/// is rolled back or the server ends the idle session — reproduced here,
/// see `event-store/tests/event_store/cancellation.rs`. Running `BEGIN` in
/// its own task means it always completes; if the caller is gone, the
/// transaction is dropped there and rolled back properly.
pub async fn begin(pool: &PgPool) -> sqlx::Result<Transaction<'static, Postgres>> {
    let connection = pool.acquire().await?;
    match tokio::spawn(Transaction::begin(connection, None)).await {
        Ok(transaction) => transaction,
        Err(join) => {
            tracing::error!(%join, "BEGIN task failed");
            Err(sqlx::Error::WorkerCrashed)
        }
    }
}

/// Applies pending migrations.
pub async fn migrate(pool: &PgPool) -> Result<()> {
    MIGRATOR.run(pool).await?;
    Ok(())
}
