//! The long-running saga process: elected, reading ahead, reacting to many
//! partitions at once.
//!
//! Any number of processes may run it; an advisory lock, held by a
//! dedicated session, elects one and the others stand by; the leader
//! reacts under its lease ([`bazaar_event_store::election`]) and stops at
//! once when the lock's session dies or the saga is spread to another
//! worker process, to compete again. One elected
//! process is enough: its reactions wait on the database, not on its CPU,
//! and it keeps up to [`LANES`] of them running (see
//! `docs/adr/0006-concurrent-saga.md` for the figures).
//!
//! The leader reads ahead of its reactions, up to [`WINDOW`] events, as
//! soon as a wake-up says something was appended, so a new checkout starts
//! while older ones are still in flight. It saves the checkpoint at most
//! every [`SAVE_EVERY`] (and whenever it falls idle): a crash replays at
//! most that much more, harmlessly.

use std::future::Future;
use std::time::Duration;

use bazaar_event_store::election::{self, Lease, LockKey};
use bazaar_event_store::{held_back, load_checkpoint, read_after, save_checkpoint, Position};
use sqlx::PgPool;
use tokio::sync::watch;
use tokio::time::Instant;

use super::reactor::{Reaction, Reactor};
use super::{Saga, LANES};

/// Events read ahead of the checkpoint at most.
pub const WINDOW: usize = 2_000;
/// Events read per query.
const BATCH: usize = 500;
/// How often a moving checkpoint is saved.
pub const SAVE_EVERY: Duration = Duration::from_millis(50);
/// How often a standby saga worker tries to take over.
const STANDBY: Duration = Duration::from_secs(2);
/// First pause before re-reading events the read horizon holds back; it
/// doubles up to [`MAX_RECHECK`].
const FIRST_RECHECK: Duration = Duration::from_millis(2);
/// Longest such pause.
const MAX_RECHECK: Duration = Duration::from_millis(16);
/// First pause before a failed reaction is tried again; it doubles up to
/// [`MAX_RETRY`].
const FIRST_RETRY: Duration = Duration::from_secs(1);
/// Longest such pause.
const MAX_RETRY: Duration = Duration::from_secs(30);

/// What wakes an idle saga: a signal that events were appended, or a
/// polling interval (signals are hints and may be missed).
pub trait Wake: Send {
    /// Returns after a signal or the polling interval.
    fn wait(&mut self) -> impl Future<Output = ()> + Send;
}

/// Polling only, every so often.
#[derive(Debug, Clone, Copy)]
pub struct Polling(pub Duration);

impl Wake for Polling {
    async fn wait(&mut self) {
        tokio::time::sleep(self.0).await;
    }
}

/// Appends signalled in this process (a `Notifier`'s receiver), with
/// polling as the fallback.
impl Wake for (watch::Receiver<u64>, Duration) {
    async fn wait(&mut self) {
        let (receiver, poll) = self;
        tokio::select! {
            changed = receiver.changed() => {
                if changed.is_err() {
                    tokio::time::sleep(*poll).await;
                }
            }
            () = tokio::time::sleep(*poll) => {}
        }
    }
}

/// Runs the saga until `shutdown` completes, woken by `wake`. Any number
/// of processes may run it: an advisory lock, held by a dedicated session,
/// elects one; the others stand by and take over when its session ends.
pub async fn run_worker<S: Saga>(
    pool: PgPool,
    saga: S,
    mut wake: impl Wake,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        match elect(&pool, S::NAME).await {
            Ok(Some(mut lease)) => {
                tokio::select! {
                    () = &mut shutdown => return,
                    _ = lease.lost() => {}
                    () = lead(&pool, &saga, &mut wake) => {}
                }
                drop(lease);
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(saga = S::NAME, %error, "saga cannot start; retrying"),
        }
        tokio::select! {
            () = &mut shutdown => return,
            () = election::standby(&pool, STANDBY) => {}
        }
    }
}

/// The part name of saga `name` among the elected worker parts.
pub fn part(name: &str) -> String {
    format!("saga:{name}")
}

/// The session holding the saga's lock, if this process won it.
async fn elect(pool: &PgPool, name: &str) -> sqlx::Result<Option<Lease>> {
    let lock = LockKey {
        class: "saga",
        key: name,
    };
    election::campaign(pool, &part(name), lock).await
}

/// The leader's progress: how far it has read, and the checkpoint.
struct Progress {
    read: Position,
    unsaved: Option<Position>,
    saved_at: Instant,
    recheck: Duration,
}

/// Reacts to events while this process holds the lock; returns when the
/// database fails it, to be elected again.
async fn lead<S: Saga>(pool: &PgPool, saga: &S, wake: &mut impl Wake) {
    let read = match load_checkpoint(pool, S::NAME).await {
        Ok(at) => at,
        Err(error) => {
            return tracing::warn!(saga = S::NAME, %error, "saga cannot load its checkpoint")
        }
    };
    let mut progress = Progress {
        read,
        unsaved: None,
        saved_at: Instant::now(),
        recheck: FIRST_RECHECK,
    };
    let mut reactor = Reactor::new(saga, LANES);
    let mut woken = true;
    loop {
        let read = if woken {
            read_ahead(pool, &mut reactor, &mut progress)
                .await
                .unwrap_or_else(|error| {
                    tracing::warn!(saga = S::NAME, %error, "saga cannot read the log; retrying");
                    0
                })
        } else {
            0
        };
        if let Err(error) = save(pool, S::NAME, &mut reactor, &mut progress).await {
            return tracing::warn!(saga = S::NAME, %error, "saga cannot save its checkpoint");
        }
        let room = reactor.backlog() < WINDOW;
        if read > 0 && room {
            finish_ready(&mut reactor);
            continue;
        }
        let held_back = woken && room && held_back(pool, progress.read).await.unwrap_or(false);
        woken = wait(&mut reactor, &mut progress, wake, held_back).await;
    }
}

/// Reads the next events into the reactor while the window has room;
/// returns how many.
async fn read_ahead<S: Saga>(
    pool: &PgPool,
    reactor: &mut Reactor<S>,
    progress: &mut Progress,
) -> bazaar_event_store::Result<usize> {
    let room = WINDOW.saturating_sub(reactor.backlog()).min(BATCH);
    if room == 0 {
        return Ok(0);
    }
    let events = read_after(pool, progress.read, room as i64).await?;
    if let Some(last) = events.last() {
        progress.read = last.position;
        progress.recheck = FIRST_RECHECK;
    }
    let read = events.len();
    reactor.admit(events);
    Ok(read)
}

/// Saves the checkpoint if it moved and the last save is old enough or
/// the reactor fell idle.
async fn save<S: Saga>(
    pool: &PgPool,
    name: &str,
    reactor: &mut Reactor<S>,
    progress: &mut Progress,
) -> bazaar_event_store::Result<()> {
    if let Some(to) = reactor.advance() {
        progress.unsaved = Some(to);
    }
    let due = progress.saved_at.elapsed() >= SAVE_EVERY || !reactor.busy();
    if let (Some(to), true) = (progress.unsaved, due) {
        save_checkpoint(pool, name, to).await?;
        progress.unsaved = None;
        progress.saved_at = Instant::now();
    }
    Ok(())
}

/// Takes the reactions that have already finished, without waiting.
fn finish_ready<S: Saga>(reactor: &mut Reactor<S>) {
    while let Some(Some(reaction)) = futures::FutureExt::now_or_never(reactor.next()) {
        finished(reactor, reaction);
    }
}

/// Waits for the next thing to do: a reaction finishing, new events, a
/// re-read of events the horizon held back, or a checkpoint to save.
/// Returns whether the log should be read again.
async fn wait<S: Saga>(
    reactor: &mut Reactor<S>,
    progress: &mut Progress,
    wake: &mut impl Wake,
    held_back: bool,
) -> bool {
    let room = reactor.backlog() < WINDOW;
    let save_at = progress.saved_at + SAVE_EVERY;
    let busy = reactor.busy();
    tokio::select! {
        Some(reaction) = reactor.next(), if busy => {
            finished(reactor, reaction);
            false
        }
        () = wake.wait(), if room && !held_back => true,
        () = tokio::time::sleep(progress.recheck), if held_back => {
            progress.recheck = (progress.recheck * 2).min(MAX_RECHECK);
            true
        }
        () = tokio::time::sleep_until(save_at), if progress.unsaved.is_some() => false,
        else => true,
    }
}

/// Records a finished reaction; a failed one is retried after a pause
/// that grows with its failures, its partition waiting meanwhile.
fn finished<S: Saga>(reactor: &mut Reactor<S>, reaction: Reaction) {
    crate::metrics::reaction(S::NAME, reaction.result.is_ok());
    match &reaction.result {
        Ok(()) => reactor.completed(reaction),
        Err(reason) => {
            let pause = FIRST_RETRY
                .saturating_mul(1 << reaction.failures.min(5))
                .min(MAX_RETRY);
            tracing::error!(
                saga = S::NAME,
                event_id = %reaction.event.event_id,
                event_type = %reaction.event.event_type,
                %reason,
                retry_in = ?pause,
                "saga reaction failed; its checkout waits and the checkpoint stays before it"
            );
            reactor.retry(reaction, pause);
        }
    }
}
