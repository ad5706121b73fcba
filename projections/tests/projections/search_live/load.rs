//! Orders that keep arriving while a test rebuilds or stops Elasticsearch,
//! and the real indexer worker running beside them (`bazaar workers` runs
//! the same), all in the test's task: the three run concurrently.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bazaar_projections::registry::catch_up_live;
use bazaar_projections::search::es::worker::{self, DocsWakeups};
use bazaar_projections::search::es::{EsClient, IndexerHealth};
use bazaar_testkit::world::World;
use sqlx::PgPool;
use tokio::sync::oneshot;

use super::market::place;

/// What the script sees of the load: orders placed so far, the indexer's
/// health, and a way to stop writing.
#[derive(Default)]
pub(crate) struct Load {
    placed: AtomicUsize,
    stop: AtomicBool,
    done: AtomicBool,
    /// The indexer's counters and state.
    pub(crate) health: IndexerHealth,
}

impl Load {
    /// Waits until `more` orders were placed after this call.
    pub(crate) async fn wait_for(&self, more: usize) {
        let target = self.placed.load(Ordering::SeqCst) + more;
        let deadline = Instant::now() + Duration::from_secs(120);
        while self.placed.load(Ordering::SeqCst) < target {
            assert!(!self.done.load(Ordering::SeqCst), "the writer stopped");
            assert!(Instant::now() < deadline, "the writer is stuck");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Stops writing; returns how many orders were placed.
    pub(crate) async fn stop_writing(&self) -> usize {
        self.stop.store(true, Ordering::SeqCst);
        while !self.done.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.placed.load(Ordering::SeqCst)
    }
}

/// Runs `script` while orders `m-<from>`, `m-<from + 1>`, … are placed and
/// applied to the `search` projection one by one (until the script stops
/// writing, or ends) and the indexer worker ships them (until the script
/// ends).
pub(crate) async fn under_load<T>(
    load: &Load,
    pool: &PgPool,
    es: &EsClient,
    from: usize,
    script: impl Future<Output = T>,
) -> T {
    let (stop_indexer, stopped) = oneshot::channel::<()>();
    let wakeups = DocsWakeups::new(pool).await;
    let indexer = worker::run(
        pool.clone(),
        es.clone(),
        load.health.clone(),
        wakeups,
        async {
            let _ = stopped.await;
        },
    );
    let script = async {
        let out = script.await;
        load.stop.store(true, Ordering::SeqCst);
        let _ = stop_indexer.send(());
        out
    };
    let (out, (), ()) = tokio::join!(script, write(load, pool, from), indexer);
    out
}

async fn write(load: &Load, pool: &PgPool, from: usize) {
    let world = World::new(pool);
    while !load.stop.load(Ordering::SeqCst) {
        place(&world, from + load.placed.load(Ordering::SeqCst)).await;
        catch_up_live(pool, "search").await.unwrap();
        load.placed.fetch_add(1, Ordering::SeqCst);
    }
    load.done.store(true, Ordering::SeqCst);
}
