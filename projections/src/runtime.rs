//! Following the log: catching a generation up, and the long-running worker.

use bazaar_event_store::{read_after_of, Position, RecordedEvent};
use sqlx::PgPool;

use crate::batch::{apply_prepared_batch, Batch};
use crate::generation::{generations, Generation};
use crate::projection::{Prepared, Projection};

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
///
/// The batch after the one being applied is read meanwhile (see
/// [`ReadAhead`]); it is used only if the checkpoint then is the last event
/// it was read after, so a batch that finds the checkpoint moved, or the
/// generation stopped, drops it unread.
pub async fn catch_up<P: Projection>(
    pool: &PgPool,
    projection: &P,
    generation: i32,
    mut progress: impl FnMut(u64),
) -> Result<u64, CatchUpError> {
    let mut row = find(pool, P::NAME, generation).await?;
    let mut at = row.checkpoint();
    let mut applied = 0u64;
    let mut ahead = ReadAhead::of::<P>(pool, CATCH_UP_BATCH_SIZE);
    loop {
        let (events, prepared) = ahead.after(at).await?;
        let Some(last) = events.last().map(|e| e.position) else {
            return Ok(applied);
        };
        ahead.start(last);
        match apply_prepared_batch(pool, projection, generation, at, &events, prepared).await? {
            Batch::Applied(n) => {
                applied += n as u64;
                at = last;
                progress(u64::try_from(row.events_applied).unwrap_or_default() + applied);
            }
            Batch::Moved(to) => {
                row = find(pool, P::NAME, generation).await?;
                at = to;
            }
            Batch::Stopped(status) => {
                return Err(CatchUpError::Stopped {
                    name: P::NAME,
                    generation,
                    status,
                });
            }
            Batch::Poisoned { position, reason } => {
                return Err(CatchUpError::Poisoned(format!("at {position}: {reason}")));
            }
        }
    }
}

/// The next batch of the log, read on a task (and a pooled connection) of
/// its own while the caller applies the current one, so Postgres reads the
/// log on one backend while it writes the read model on another: reading,
/// folding and writing overlap instead of taking turns.
///
/// A batch read ahead is keyed by the position it was read after and
/// handed out only for that position; asked for any other, it is dropped
/// (its task aborted) and the batch read afresh. So exactly-once does not
/// rest on it: [`apply_batch`] still checks the checkpoint it was read
/// after. One batch ahead is enough: on two cores the reading backend
/// already keeps pace with the writing one.
///
/// The task that reads a batch also prepares it ([`Projection::prepare`]:
/// the orders model decodes its payloads there), so that work too overlaps
/// the writing of the batch before instead of following it.
pub(crate) struct ReadAhead {
    pool: PgPool,
    limit: i64,
    aggregate_types: &'static [&'static str],
    prepare: fn(&[RecordedEvent]) -> Option<Prepared>,
    pending: Option<(Position, Reading)>,
}

/// A batch as read and prepared.
pub(crate) type ReadBatch = (Vec<RecordedEvent>, Option<Prepared>);

type Events = Result<ReadBatch, bazaar_event_store::Error>;

/// A read in flight, aborted when dropped.
struct Reading(tokio::task::JoinHandle<Events>);

impl Drop for Reading {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl ReadAhead {
    /// Reads batches of up to `limit` events of `pool`'s log for `P`: in
    /// full only those of [`Projection::AGGREGATE_TYPES`], each batch
    /// prepared by [`Projection::prepare`].
    pub(crate) fn of<P: Projection>(pool: &PgPool, limit: i64) -> Self {
        Self {
            pool: pool.clone(),
            limit,
            aggregate_types: P::AGGREGATE_TYPES,
            prepare: P::prepare,
            pending: None,
        }
    }

    /// Starts reading the batch after `at`, unless it is being read.
    pub(crate) fn start(&mut self, at: Position) {
        if !matches!(&self.pending, Some((after, _)) if *after == at) {
            self.pending = Some((at, self.read(at)));
        }
    }

    /// The batch after `at`: the one read ahead if it was read after `at`,
    /// else one read now.
    pub(crate) async fn after(&mut self, at: Position) -> Result<ReadBatch, CatchUpError> {
        let mut reading = match self.pending.take() {
            Some((after, reading)) if after == at => reading,
            _ => self.read(at),
        };
        Ok((&mut reading.0).await??)
    }

    fn read(&self, at: Position) -> Reading {
        let (pool, limit, types) = (self.pool.clone(), self.limit, self.aggregate_types);
        let prepare = self.prepare;
        Reading(tokio::spawn(async move {
            let events = read_after_of(&pool, at, limit, types).await?;
            let prepared = if events.is_empty() {
                None
            } else {
                prepare(&events)
            };
            Ok((events, prepared))
        }))
    }
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
