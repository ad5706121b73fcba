//! Rebuilding the indices without downtime.
//!
//! A rebuild installs the templates, creates the next generation's indices
//! (the templates give them their mappings), notes the `search`
//! projection's checkpoint, copies every document from `read.search_*`,
//! then ships the documents of every event after that checkpoint (a
//! document copied at a newer version is simply answered 409), marks the
//! generation live and swaps both aliases in one `_aliases` request. The
//! worker re-points the aliases at the live generation whenever it starts,
//! so a crash between the database switch and the alias swap heals itself.
//! The first generation is built the same way.

use bazaar_event_store::Position;
use sqlx::PgPool;

use super::client::{DocKind, EsClient};
use super::error::IndexError;
use super::generation::{create_generation, live_generation, switch, NAME};
use super::health::IndexerHealth;
use super::indexer::{step, Step};
use super::indices::{create_indices, delete_indices, install_templates, point_aliases};
use super::parked::park;
use super::ship::{load, ship};
use crate::generation::Generation;
use crate::search::store::SearchDocs;

/// Documents copied per bulk request by a rebuild.
const COPY_BATCH: i64 = 500;

/// Makes sure a live generation exists, building the first one if not.
pub async fn ensure_live(
    pool: &PgPool,
    es: &EsClient,
    health: &IndexerHealth,
) -> Result<Generation, IndexError> {
    if let Some(live) = live_generation(pool).await? {
        return Ok(live);
    }
    build(pool, es, health, true, |_| {}).await?;
    live_generation(pool)
        .await?
        .ok_or_else(|| IndexError::Stopped("missing after its build".to_owned()))
}

/// Rebuilds both indices into a new generation and swaps the aliases to
/// it; returns the generation. `progress` gets the number of documents
/// copied so far.
pub async fn rebuild(
    pool: &PgPool,
    es: &EsClient,
    health: &IndexerHealth,
    progress: impl FnMut(u64),
) -> Result<i32, IndexError> {
    build(pool, es, health, false, progress).await
}

/// One build at a time across processes (an advisory lock held by a
/// connection of its own); a first build (`bootstrap`) that finds a live
/// generation once it holds the lock builds nothing.
async fn build(
    pool: &PgPool,
    es: &EsClient,
    health: &IndexerHealth,
    bootstrap: bool,
    mut progress: impl FnMut(u64),
) -> Result<i32, IndexError> {
    let mut lock = pool.acquire().await?.detach();
    sqlx::query("select pg_advisory_lock(hashtext('search-es-rebuild'))")
        .execute(&mut lock)
        .await?;
    if let Some(live) = live_generation(pool).await?.filter(|_| bootstrap) {
        return Ok(live.generation);
    }
    install_templates(es).await?;
    let (generation, abandoned) = create_generation(pool).await?;
    create_indices(es, generation).await?;
    let start = copy_all(pool, es, health, generation, &mut progress).await?;
    catch_up(pool, es, health, generation, start).await?;
    let replaced = switch(pool, generation).await?;
    point_aliases(es, generation).await?;
    for old in replaced.into_iter().chain(abandoned) {
        if let Err(error) = delete_indices(es, old).await {
            tracing::warn!(%error, generation = old, "cannot delete replaced search indices");
        }
    }
    drop(lock);
    Ok(generation)
}

/// Copies every document, starting the generation's checkpoint at the
/// `search` projection's checkpoint read before the copy.
async fn copy_all(
    pool: &PgPool,
    es: &EsClient,
    health: &IndexerHealth,
    generation: i32,
    progress: &mut impl FnMut(u64),
) -> Result<Position, IndexError> {
    let docs = crate::generation::ensure_live(pool, &SearchDocs).await?;
    let start = docs.checkpoint();
    sqlx::query("update projection set tx_id = $3::text::xid8, position = $4 where projection_name = $1 and generation = $2")
        .bind(NAME)
        .bind(generation)
        .bind(start.tx_id.to_string())
        .bind(start.global_position)
        .execute(pool)
        .await?;
    let mut copied = 0;
    for kind in DocKind::ALL {
        let mut after = String::new();
        loop {
            let ids = page_ids(pool, kind, &after).await?;
            let Some(last) = ids.last().cloned() else {
                break;
            };
            let refused = ship(es, health, generation, load(pool, kind, &ids).await?).await?;
            let mut tx = bazaar_event_store::pool::begin(pool).await?;
            for item in &refused {
                park(&mut tx, es, generation, item, start).await?;
            }
            tx.commit().await?;
            copied += ids.len() as u64;
            progress(copied);
            after = last;
        }
    }
    Ok(start)
}

async fn page_ids(pool: &PgPool, kind: DocKind, after: &str) -> sqlx::Result<Vec<String>> {
    let sql = match kind {
        DocKind::Orders => {
            "select order_id from read.search_orders where order_id > $1 order by 1 limit $2"
        }
        DocKind::Stock => {
            "select stock_id from read.search_stock where stock_id > $1 order by 1 limit $2"
        }
    };
    sqlx::query_scalar(sql)
        .bind(after)
        .bind(COPY_BATCH)
        .fetch_all(pool)
        .await
}

/// Ships events after `at` until the log's readable end, applying the
/// `search` projection first when it is behind (a rebuild may run where
/// no worker does).
async fn catch_up(
    pool: &PgPool,
    es: &EsClient,
    health: &IndexerHealth,
    generation: i32,
    mut at: Position,
) -> Result<(), IndexError> {
    loop {
        match step(pool, es, health, generation, at).await? {
            Step::Advanced(to) | Step::Moved(to) => at = to,
            Step::Idle => return Ok(()),
            Step::Behind => {
                let docs = crate::generation::ensure_live(pool, &SearchDocs).await?;
                crate::runtime::catch_up(pool, &SearchDocs, docs.generation, |_| {})
                    .await
                    .map_err(|e| IndexError::Stopped(format!("search projection: {e}")))?;
            }
        }
    }
}
