//! The long-running worker of one projection.
//!
//! Any number of processes may run it; an advisory lock on a dedicated
//! connection elects one per generation (the others stand by and take over
//! when its connection — and so its lock — goes away). The elected worker
//! follows under its lease ([`bazaar_event_store::election`]): when the
//! lock's session dies (a Postgres restart, `pg_terminate_backend`) or the
//! projection is spread to another worker process, the batch in flight is
//! cancelled (it rolls back with its checkpoint) and the worker competes
//! again. The elected worker
//! follows the live generation: reads a batch after its checkpoint, applies
//! it exactly once, waits for new events. A poison event leaves the
//! generation `failed`, visible in `bazaar projections status`; the worker
//! then waits for an operator (a rebuild or a fix and restart) instead of
//! skipping it.

use std::future::Future;
use std::time::Duration;

use bazaar_event_store::election::{self, Lease, LockKey};
use bazaar_event_store::{held_back, Position};
use sqlx::PgPool;

use crate::batch::{apply_prepared_batch, Batch};
use crate::generation::{ensure_live, Generation};
use crate::projection::Projection;
use crate::reached::Reached;
use crate::runtime::{CatchUpError, ReadAhead, BATCH_SIZE};
use crate::wakeups::Wakeups;

/// How often a standby worker tries to take over.
const STANDBY: Duration = Duration::from_secs(2);
/// First pause before re-reading events the horizon holds back.
const FIRST_RECHECK: Duration = Duration::from_millis(2);
/// Longest such pause: a horizon held back by a busy system's short write
/// transactions moves on within milliseconds, and every millisecond waited
/// here is lag (2 + 4 + 8 + 16 ms before the pause stops growing).
const MAX_RECHECK: Duration = Duration::from_millis(16);

/// Runs `projection` until `stop` completes, recording its checkpoints in
/// the process's [`Reached`] of `pool`'s database.
pub async fn run<P: Projection>(
    pool: PgPool,
    projection: P,
    wakeups: Wakeups,
    stop: impl Future<Output = ()>,
) {
    let reached = Reached::of(&pool);
    run_reporting(pool, projection, wakeups, reached, stop).await;
}

/// Runs `projection` until `stop` completes, recording in `reached` every
/// checkpoint of the live generation it follows once committed.
pub async fn run_reporting<P: Projection>(
    pool: PgPool,
    projection: P,
    mut wakeups: Wakeups,
    reached: Reached,
    stop: impl Future<Output = ()>,
) {
    tokio::pin!(stop);
    loop {
        let pause = match elect(&pool, &projection).await {
            Ok(Some((generation, mut lease))) => {
                tokio::select! {
                    () = &mut stop => return,
                    _ = lease.lost() => {}
                    () = follow(&pool, &projection, &generation, &mut wakeups, &reached) => {}
                }
                drop(lease);
                Duration::ZERO
            }
            Ok(None) => STANDBY,
            Err(error) => {
                tracing::warn!(projection = P::NAME, %error, "projection worker cannot start; retrying");
                STANDBY
            }
        };
        tokio::select! {
            () = &mut stop => return,
            () = election::standby(&pool, pause) => {}
        }
    }
}

/// The part name of projection `name` among the elected worker parts.
pub fn part(name: &str) -> String {
    format!("projection:{name}")
}

/// The live generation and its lease, if this worker won it and it is not
/// failed.
async fn elect<P: Projection>(
    pool: &PgPool,
    projection: &P,
) -> sqlx::Result<Option<(Generation, Lease)>> {
    if !election::Members::of(pool).mine(&part(P::NAME)) {
        return Ok(None);
    }
    let generation = ensure_live(pool, projection).await?;
    if generation.status == "failed" {
        tracing::error!(projection = P::NAME, error = ?generation.error, "projection failed; waiting for an operator");
        return Ok(None);
    }
    let key = format!("{}:{}", P::NAME, generation.generation);
    let lock = LockKey {
        class: "projection",
        key: &key,
    };
    let lease = election::campaign(pool, &part(P::NAME), lock).await?;
    Ok(lease.map(|lease| (generation, lease)))
}

/// Applies batches to `generation` until it is retired or fails.
///
/// When a read finds nothing, the worker waits for a signal — unless
/// committed events exist that an older transaction elsewhere still holds
/// behind the read horizon: then it re-reads after a short, growing pause,
/// so a signal that arrived too early is never the last word.
async fn follow<P: Projection>(
    pool: &PgPool,
    projection: &P,
    generation: &Generation,
    wakeups: &mut Wakeups,
    reached: &Reached,
) {
    let mut at = generation.checkpoint();
    reached.record(P::NAME, at);
    let mut pause = FIRST_RECHECK;
    let mut ahead = ReadAhead::of::<P>(pool, BATCH_SIZE);
    loop {
        let started = std::time::Instant::now();
        match step(pool, projection, generation.generation, at, &mut ahead).await {
            Ok(Some((next, _))) if next == at => {
                if held_back(pool, at).await.unwrap_or(false) {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(MAX_RECHECK);
                } else {
                    wakeups.wait().await;
                }
            }
            Ok(Some((next, events))) => {
                crate::metrics::batch(P::NAME, events, started.elapsed());
                at = next;
                reached.record(P::NAME, at);
                pause = FIRST_RECHECK;
            }
            Ok(None) => return,
            Err(error) => {
                crate::metrics::batch_failed(P::NAME);
                tracing::warn!(projection = P::NAME, %error, "projection batch failed; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

/// One batch: the new checkpoint and the events read, or `None` when the
/// generation stopped.
///
/// After a full batch (the worker is behind) the next one is read while
/// this one is applied ([`ReadAhead`]); batches stay [`BATCH_SIZE`] short,
/// and a worker that keeps up reads after each commit as before.
async fn step<P: Projection>(
    pool: &PgPool,
    projection: &P,
    generation: i32,
    at: Position,
    ahead: &mut ReadAhead,
) -> Result<Option<(Position, usize)>, CatchUpError> {
    let (events, prepared) = ahead.after(at).await?;
    let Some(last) = events.last() else {
        return Ok(Some((at, 0)));
    };
    if events.len() >= usize::try_from(BATCH_SIZE).unwrap_or(usize::MAX) {
        ahead.start(last.position);
    }
    Ok(
        match apply_prepared_batch(pool, projection, generation, at, &events, prepared).await? {
            Batch::Applied(_) => Some((last.position, events.len())),
            Batch::Moved(to) => Some((to, events.len())),
            Batch::Stopped(_) | Batch::Poisoned { .. } => None,
        },
    )
}
