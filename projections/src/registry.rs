//! Every projection Bazaar runs, by name: what `bazaar serve`, `bazaar
//! workers` and `bazaar projections …` operate on.

use std::future::Future;

use bazaar_event_store::Notifier;
use sqlx::PgPool;

use crate::reached::Reached;
use crate::read_models::balances::Balances;
use crate::read_models::commissions::Commissions;
use crate::read_models::escrows::Escrows;
use crate::read_models::invoices::Invoices;
use crate::read_models::orders::Orders;
use crate::read_models::stock::Stock;
use crate::rebuild::rebuild as rebuild_projection;
use crate::runtime::CatchUpError;
use crate::search::store::SearchDocs;
use crate::wakeups::Wakeups;
use crate::worker;

/// The projections, by name.
pub const NAMES: &[&str] = &[
    "orders",
    "balances",
    "stock",
    "escrows",
    "commissions",
    "invoices",
    "search",
];

/// Why a named operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// No projection has that name.
    #[error("no projection named {0:?} (known: {known})", known = NAMES.join(", "))]
    Unknown(String),
    /// The rebuild stopped.
    #[error(transparent)]
    CatchUp(#[from] CatchUpError),
}

/// Rebuilds projection `name` from zero into a new generation and switches
/// readers to it; returns the new generation.
pub async fn rebuild(
    pool: &PgPool,
    name: &str,
    progress: impl FnMut(u64, u64),
) -> Result<i32, RegistryError> {
    match name {
        "orders" => Ok(rebuild_projection(pool, &Orders, progress).await?),
        "balances" => Ok(rebuild_projection(pool, &Balances, progress).await?),
        "stock" => Ok(rebuild_projection(pool, &Stock, progress).await?),
        "escrows" => Ok(rebuild_projection(pool, &Escrows, progress).await?),
        "commissions" => Ok(rebuild_projection(pool, &Commissions, progress).await?),
        "invoices" => Ok(rebuild_projection(pool, &Invoices, progress).await?),
        "search" => Ok(rebuild_projection(pool, &SearchDocs, progress).await?),
        other => Err(RegistryError::Unknown(other.to_owned())),
    }
}

/// Runs every projection's worker until `stop()` completes. Workers wake on
/// appends signalled by `notifier` in this process, on `NOTIFY` from other
/// processes, and by polling; they record their checkpoints in the
/// process's [`Reached`] of `pool`'s database.
pub async fn run_all<F>(pool: &PgPool, notifier: Option<&Notifier>, stop: impl Fn() -> F)
where
    F: Future<Output = ()>,
{
    run_all_reporting(pool, notifier, &Reached::of(pool), stop).await;
}

/// [`run_all`], recording in `reached` the checkpoints the workers commit,
/// for the read-your-writes waits of queries in this process.
pub async fn run_all_reporting<F>(
    pool: &PgPool,
    notifier: Option<&Notifier>,
    reached: &Reached,
    stop: impl Fn() -> F,
) where
    F: Future<Output = ()>,
{
    let wakeups = || Wakeups::new(pool, notifier);
    tokio::join!(
        worker::run_reporting(
            pool.clone(),
            Orders,
            wakeups().await,
            reached.clone(),
            stop()
        ),
        worker::run_reporting(
            pool.clone(),
            Balances,
            wakeups().await,
            reached.clone(),
            stop()
        ),
        worker::run_reporting(
            pool.clone(),
            Stock,
            wakeups().await,
            reached.clone(),
            stop()
        ),
        worker::run_reporting(
            pool.clone(),
            Escrows,
            wakeups().await,
            reached.clone(),
            stop()
        ),
        worker::run_reporting(
            pool.clone(),
            Commissions,
            wakeups().await,
            reached.clone(),
            stop()
        ),
        worker::run_reporting(
            pool.clone(),
            Invoices,
            wakeups().await,
            reached.clone(),
            stop()
        ),
        worker::run_reporting(
            pool.clone(),
            SearchDocs,
            wakeups().await,
            reached.clone(),
            stop()
        ),
    );
}

/// Applies everything committed so far to projection `name`'s live
/// generation (creating it if need be).
pub async fn catch_up_live(pool: &PgPool, name: &str) -> Result<u64, RegistryError> {
    async fn live<P: crate::Projection>(
        pool: &PgPool,
        projection: &P,
    ) -> Result<u64, RegistryError> {
        let generation = crate::generation::ensure_live(pool, projection)
            .await
            .map_err(CatchUpError::from)?;
        let run = crate::runtime::catch_up_fully(pool, projection, generation.generation, |_| {});
        Ok(run.await?)
    }
    match name {
        "orders" => live(pool, &Orders).await,
        "balances" => live(pool, &Balances).await,
        "stock" => live(pool, &Stock).await,
        "escrows" => live(pool, &Escrows).await,
        "commissions" => live(pool, &Commissions).await,
        "invoices" => live(pool, &Invoices).await,
        "search" => live(pool, &SearchDocs).await,
        other => Err(RegistryError::Unknown(other.to_owned())),
    }
}
