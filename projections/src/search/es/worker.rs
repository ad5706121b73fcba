//! The long-running indexer: elected across processes per generation (an
//! advisory lock, like the projection workers), it builds the first
//! generation if there is none, points the aliases at the live one, then
//! follows the `search` projection: ship a batch, checkpoint, and when
//! nothing more is ready, wait until the projection commits again
//! ([`DocsWakeups`]). Every failure backs off (doubling up to the
//! configured maximum) and retries from the checkpoint; nothing is skipped.

use std::future::Future;
use std::time::Duration;

use bazaar_event_store::election::{self, Lease, LockKey};
use sqlx::PgPool;

use super::client::EsClient;
use super::error::IndexError;
use super::generation::NAME;
use super::health::{IndexerHealth, IndexerState};
use super::indexer::{step, Step};
use super::indices::point_aliases;
use super::rebuild::ensure_live;
pub use super::wake::DocsWakeups;
use crate::generation::{generations, Generation};

/// How often a standby indexer tries to take over.
const STANDBY: Duration = Duration::from_secs(2);
/// First pause after a failure.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);

/// Runs the indexer until `stop` completes.
pub async fn run(
    pool: PgPool,
    es: EsClient,
    health: IndexerHealth,
    mut wakeups: DocsWakeups,
    stop: impl Future<Output = ()>,
) {
    tokio::pin!(stop);
    let mut backoff = FIRST_BACKOFF;
    loop {
        // the first build can take long: stopping must not wait for it
        let elected = tokio::select! {
            () = &mut stop => return,
            elected = elect(&pool, &es, &health) => elected,
        };
        let pause = match elected {
            Ok(Some((generation, mut lease))) => {
                tokio::select! {
                    () = &mut stop => return,
                    _ = lease.lost() => {}
                    () = follow(&pool, &es, &health, &generation, &mut wakeups) => {}
                }
                drop(lease);
                backoff = FIRST_BACKOFF;
                Duration::ZERO
            }
            Ok(None) => {
                health.set(IndexerState::Standby);
                STANDBY
            }
            Err(error) => {
                tracing::warn!(%error, retry_in = ?backoff, "search indexer cannot start; retrying");
                health.failed(&error);
                let pause = backoff;
                backoff = (backoff * 2).min(es.settings().max_backoff);
                pause
            }
        };
        tokio::select! {
            () = &mut stop => return,
            () = election::standby(&pool, pause) => {}
        }
    }
}

/// The indexer's part name among the elected worker parts.
pub const PART: &str = "indexer";

async fn elect(
    pool: &PgPool,
    es: &EsClient,
    health: &IndexerHealth,
) -> Result<Option<(Generation, Lease)>, IndexError> {
    if !election::Members::of(pool).mine(PART) {
        return Ok(None);
    }
    let generation = ensure_live(pool, es, health).await?;
    let key = format!("{NAME}:{}", generation.generation);
    let lock = LockKey {
        class: "projection",
        key: &key,
    };
    let Some(lease) = election::campaign(pool, PART, lock).await? else {
        return Ok(None);
    };
    point_aliases(es, generation.generation).await?;
    health.set(IndexerState::Up);
    Ok(Some((generation, lease)))
}

/// Ships batches of `generation` until it is retired.
async fn follow(
    pool: &PgPool,
    es: &EsClient,
    health: &IndexerHealth,
    generation: &Generation,
    wakeups: &mut DocsWakeups,
) {
    let mut at = generation.checkpoint();
    let mut backoff = FIRST_BACKOFF;
    loop {
        match step(pool, es, health, generation.generation, at).await {
            Ok(Step::Advanced(to)) => {
                at = to;
                backoff = FIRST_BACKOFF;
                health.set(IndexerState::Up);
            }
            Ok(Step::Moved(to)) => at = to,
            // nothing to ship until the projection applies more
            Ok(Step::Idle | Step::Behind) => wakeups.wait().await,
            Err(IndexError::Stopped(status)) => {
                tracing::info!(
                    generation = generation.generation,
                    status,
                    "search indexer generation replaced"
                );
                return;
            }
            Err(error) => {
                tracing::warn!(%error, retry_in = ?backoff, "search indexer batch failed; retrying from the checkpoint");
                health.failed(&error);
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(es.settings().max_backoff);
                if let Some(row) = reload(pool, generation.generation).await {
                    at = row.checkpoint();
                }
            }
        }
    }
}

async fn reload(pool: &PgPool, generation: i32) -> Option<Generation> {
    generations(pool, NAME)
        .await
        .ok()?
        .into_iter()
        .find(|g| g.generation == generation)
}
