//! Following the log: catching a generation up, and the long-running worker.

use bazaar_event_store::{read_after, Position, RecordedEvent};
use sqlx::PgPool;

use crate::batch::{apply_batch, Batch};
use crate::generation::{generations, Generation};
use crate::projection::Projection;

/// Events read and applied per transaction by a worker following the log.
pub const BATCH_SIZE: i64 = 500;

/// Events read and applied per transaction when catching up from far
/// behind (a rebuild): set-based read models write a batch in a few
/// statements, so larger batches mean fewer round trips and fewer row
/// versions (an order placed and cancelled in one batch is written once).
pub const CATCH_UP_BATCH_SIZE: i64 = 5_000;

/// Why catching up stopped before reaching the head of the log.
#[derive(Debug, thiserror::Error)]
pub enum CatchUpError {
    /// The generation is `retired` or `failed`.
    #[error("generation {generation} of {name} is {status}")]
    Stopped {
        /// The projection.
        name: &'static str,
        /// The generation.
        generation: i32,
        /// Its status.
        status: String,
    },
    /// An event could not be applied; the generation is now `failed`.
    #[error("projection poisoned: {0}")]
    Poisoned(String),
    /// Reading or writing failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// Reading the log failed.
    #[error(transparent)]
    Store(#[from] bazaar_event_store::Error),
    /// The task reading ahead panicked or was cancelled.
    #[error("reading the log ahead failed: {0}")]
    ReadAhead(#[from] tokio::task::JoinError),
}

/// Applies every readable event after `generation`'s checkpoint; returns
/// how many were applied. `progress` is called after each batch with the
/// generation's total of applied events.
pub async fn catch_up<P: Projection>(
    pool: &PgPool,
    projection: &P,
    generation: i32,
    mut progress: impl FnMut(u64),
) -> Result<u64, CatchUpError> {
    let mut row = find(pool, P::NAME, generation).await?;
    let mut at = row.checkpoint();
    let mut applied = 0u64;
    let mut next = prefetch(pool, at);
    loop {
        let events = next.await??;
        let Some(last) = events.last().map(|e| e.position) else {
            return Ok(applied);
        };
        // read the following batch while this one is applied: reading and
        // writing then run on two connections (two cores) at once
        next = prefetch(pool, last);
        match apply_batch(pool, projection, generation, at, &events).await? {
            Batch::Applied(n) => {
                applied += n as u64;
                at = last;
                progress(u64::try_from(row.events_applied).unwrap_or_default() + applied);
            }
            Batch::Moved(to) => {
                next.abort();
                row = find(pool, P::NAME, generation).await?;
                at = to;
                next = prefetch(pool, at);
            }
            Batch::Stopped(status) => {
                next.abort();
                return Err(CatchUpError::Stopped {
                    name: P::NAME,
                    generation,
                    status,
                });
            }
            Batch::Poisoned { position, reason } => {
                next.abort();
                return Err(CatchUpError::Poisoned(format!("at {position}: {reason}")));
            }
        }
    }
}

/// Reads the batch after `at` on a task of its own.
fn prefetch(
    pool: &PgPool,
    at: Position,
) -> tokio::task::JoinHandle<Result<Vec<RecordedEvent>, bazaar_event_store::Error>> {
    let pool = pool.clone();
    tokio::spawn(async move { read_after(&pool, at, CATCH_UP_BATCH_SIZE).await })
}

async fn find(pool: &PgPool, name: &str, generation: i32) -> sqlx::Result<Generation> {
    generations(pool, name)
        .await?
        .into_iter()
        .find(|g| g.generation == generation)
        .ok_or(sqlx::Error::RowNotFound)
}

/// Applies every event committed before the call, waiting while the read
/// horizon (the oldest running transaction, cluster-wide) holds some back;
/// returns how many were applied.
pub async fn catch_up_fully<P: Projection>(
    pool: &PgPool,
    projection: &P,
    generation: i32,
    mut progress: impl FnMut(u64),
) -> Result<u64, CatchUpError> {
    let head: Option<i64> = sqlx::query_scalar("select max(global_position) from events")
        .fetch_one(pool)
        .await?;
    let Some(head) = head else { return Ok(0) };
    let mut applied = 0;
    loop {
        applied += catch_up(pool, projection, generation, &mut progress).await?;
        let row = find(pool, P::NAME, generation).await?;
        // ordered and limited so it walks the commit-order index from the
        // checkpoint (see `bazaar_event_store::held_back`)
        let behind: Option<i32> = sqlx::query_scalar(
            "select 1 from events \
              where (tx_id, global_position) > ($2::text::xid8, $3) and global_position <= $1 \
              order by tx_id, global_position limit 1",
        )
        .bind(head)
        .bind(row.tx_id.to_string())
        .bind(row.position)
        .fetch_optional(pool)
        .await?;
        if behind.is_none() {
            return Ok(applied);
        }
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
}
