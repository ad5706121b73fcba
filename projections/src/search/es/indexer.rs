//! One step of the indexer: the events after the checkpoint (never past
//! the `search` projection's own checkpoint, whose documents it ships),
//! the documents they touched, one bulk request, a verdict per item, and
//! then — only once every item is indexed, already newer or parked — the
//! parked rows and the new checkpoint in one transaction.
//!
//! Reading the documents and sending them is [`super::ship`]'s; parking is
//! [`super::parked`]'s; the checkpoint is [`super::generation`]'s.

use bazaar_event_store::{read_after, Position, RecordedEvent};
use sqlx::PgPool;

use super::client::EsClient;
use super::error::IndexError;
use super::generation::{advance, Advance};
use super::health::IndexerHealth;
use super::parked::park;
use super::ship::{ship, touched_docs};
use crate::generation::live;
use crate::search::store::SearchDocs;
use crate::Projection;

/// What a step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Events up to here were shipped (or parked) and checkpointed.
    Advanced(Position),
    /// Nothing readable after the checkpoint.
    Idle,
    /// Events exist that the `search` projection has not applied yet.
    Behind,
    /// Another worker moved the checkpoint; resume from it.
    Moved(Position),
}

/// One indexer step for `generation`, resuming after `at`.
pub async fn step(
    pool: &PgPool,
    es: &EsClient,
    health: &IndexerHealth,
    generation: i32,
    at: Position,
) -> Result<Step, IndexError> {
    let status = status_of(pool, generation).await?;
    if status != "live" && status != "building" {
        return Err(IndexError::Stopped(status));
    }
    let Some(bound) = live(pool, SearchDocs::NAME).await?.map(|g| g.checkpoint()) else {
        return Ok(Step::Behind);
    };
    let read = read_after(pool, at, es.settings().batch_size).await?;
    let events: Vec<RecordedEvent> = read
        .iter()
        .take_while(|e| e.position <= bound)
        .cloned()
        .collect();
    let Some(last) = events.last() else {
        return Ok(if read.is_empty() {
            Step::Idle
        } else {
            Step::Behind
        });
    };
    let docs = touched_docs(pool, &events).await?;
    let parked = ship(es, health, generation, docs).await?;
    let to = last.position;
    let mut tx = bazaar_event_store::pool::begin(pool).await?;
    for item in &parked {
        park(&mut tx, es, generation, item, to).await?;
    }
    let outcome = advance(&mut tx, generation, at, last, events.len()).await?;
    match outcome {
        Advance::Done => tx.commit().await?,
        Advance::Moved(now) => return Ok(Step::Moved(now)),
        Advance::Stopped(status) => return Err(IndexError::Stopped(status)),
    }
    for item in &parked {
        tracing::error!(
            kind = item.doc.kind.as_str(), id = %item.doc.id, version = item.doc.version,
            status = item.refusal.status, error_type = ?item.refusal.error_type,
            reason = %item.refusal.reason,
            "elasticsearch refused a search document; parked in search_parked"
        );
    }
    Ok(Step::Advanced(to))
}

async fn status_of(pool: &PgPool, generation: i32) -> sqlx::Result<String> {
    sqlx::query_scalar(
        "select status from projection where projection_name = $1 and generation = $2",
    )
    .bind(super::generation::NAME)
    .bind(generation)
    .fetch_one(pool)
    .await
}
