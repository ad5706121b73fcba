//! Group commit: the appends of concurrently running commands written
//! together, in one statement, one transaction, one WAL flush.
//!
//! A command's append is queued to the [`GroupCommit`] of its pool and
//! waits for its answer. Two writer tasks take turns at the queue: each
//! takes everything that queued while the other flushed (up to
//! [`MAX_BATCH`] commands; there is no timer, so a lone command waits for
//! nothing) and writes it with [`statement`]. So the batch grows with the
//! load, and one commit's fsync is shared by every command in it.
//! A command may carry a receipt (the HTTP response its idempotency key
//! replays, [`crate::receipt`]): the statement completes the key too, so
//! the response is stored exactly when the command's events are.
//!
//! Why this is safe: the statement is all or nothing, and each command's
//! rows in it are exactly the rows its own append would write, so a batch
//! that commits is the same as its commands committing one after another.
//! A batch that Postgres refuses (one command's stream conflict, a command
//! id used twice, a sequence gap) wrote nothing; it is split in halves and
//! each half written again, down to single commands, so the loser gets the
//! error its own append would have got and every other command commits.
//! A failure that leaves the outcome unknown (the connection dropped during
//! the statement) is reported to every command of the batch, as it would
//! be for a single append.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot, Mutex as AsyncMutex};

use crate::append::{Appended, Batch};
use crate::error::{Error, Result};
use crate::snapshot::Snapshot;

mod statement;
mod stats;

use statement::{landed_of, write_all, Write};
pub use stats::BatchSizes;
use stats::Stats;

/// Most commands written by one statement.
pub const MAX_BATCH: usize = 256;
/// Writer tasks per pool: one fills a batch while the other flushes.
/// More were measured (4 and 8): the batches shrink and the rate does
/// not rise, see `docs/adr/0007-group-commit.md`.
const WRITERS: usize = 2;

type Reply = oneshot::Sender<Result<Vec<Appended>>>;

struct Pending {
    write: Write,
    reply: Reply,
}

/// The group-commit writer of one pool; clones share it.
#[derive(Clone)]
pub struct GroupCommit {
    inner: Arc<Inner>,
}

struct Inner {
    pool: PgPool,
    queue: Mutex<Option<mpsc::UnboundedSender<Pending>>>,
    stats: Arc<Stats>,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit")
            .field("batches", &self.batch_sizes())
            .finish()
    }
}

impl GroupCommit {
    /// A writer over `pool`; its tasks start with the first append.
    pub fn new(pool: PgPool) -> Self {
        Self {
            inner: Arc::new(Inner {
                pool,
                queue: Mutex::new(None),
                stats: Arc::default(),
            }),
        }
    }

    /// The sizes of the batches written so far.
    pub fn batch_sizes(&self) -> BatchSizes {
        self.inner.stats.sizes()
    }

    /// Queues one command's events (and its snapshot) and waits until they
    /// are committed or refused.
    pub(crate) async fn append(
        &self,
        batch: Batch,
        snapshot: Option<Snapshot>,
    ) -> Result<Vec<Appended>> {
        let (reply, answer) = oneshot::channel();
        let pending = Pending {
            write: Write { batch, snapshot },
            reply,
        };
        self.sender()
            .send(pending)
            .map_err(|_| writer_gone("the group-commit writer stopped"))?;
        answer
            .await
            .map_err(|_| writer_gone("the group-commit writer dropped an append"))?
    }

    /// The queue, starting the writers if none run (first use, or their
    /// runtime ended).
    fn sender(&self) -> mpsc::UnboundedSender<Pending> {
        let mut queue = self
            .inner
            .queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(sender) = queue.as_ref().filter(|s| !s.is_closed()) {
            return sender.clone();
        }
        let (sender, receiver) = mpsc::unbounded_channel();
        let receiver = Arc::new(AsyncMutex::new(receiver));
        for _ in 0..WRITERS {
            let writer = Writer {
                pool: self.inner.pool.clone(),
                stats: Arc::clone(&self.inner.stats),
                queue: Arc::clone(&receiver),
            };
            tokio::spawn(writer.run());
        }
        *queue = Some(sender.clone());
        sender
    }
}

fn writer_gone(reason: &str) -> Error {
    Error::Database(sqlx::Error::Io(std::io::Error::other(reason.to_owned())))
}

struct Writer {
    pool: PgPool,
    stats: Arc<Stats>,
    queue: Arc<AsyncMutex<mpsc::UnboundedReceiver<Pending>>>,
}

impl Writer {
    async fn run(self) {
        while let Some(batch) = self.next_batch().await {
            self.stats.record(batch.len());
            flush(&self.pool, batch).await;
        }
    }

    /// Waits for one append, then takes whatever else queued meanwhile.
    async fn next_batch(&self) -> Option<Vec<Pending>> {
        let mut queue = self.queue.lock().await;
        let first = queue.recv().await?;
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(pending) => batch.push(pending),
                Err(_) => break,
            }
        }
        Some(batch)
    }
}

type Flush<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Writes `batch`, splitting it on a refusal; answers every command.
fn flush(pool: &PgPool, batch: Vec<Pending>) -> Flush<'_> {
    Box::pin(async move {
        let writes: Vec<&Write> = batch.iter().map(|p| &p.write).collect();
        match write_all(pool, &writes).await {
            Ok(landed) => {
                for pending in batch {
                    let appended = landed_of(&pending.write, &landed);
                    let _ = pending.reply.send(appended);
                }
            }
            Err(error) if batch.len() > 1 && error.as_database_error().is_some() => {
                // refused as a whole, so nothing was written: split it
                let mut first = batch;
                let second = first.split_off(first.len() / 2);
                futures::future::join(flush(pool, first), flush(pool, second)).await;
            }
            Err(error) => answer_failure(batch, error),
        }
    })
}

/// Tells each command of a failed batch why: a single command gets its own
/// classified error; a batch whose outcome is unknown gets the cause.
fn answer_failure(batch: Vec<Pending>, error: sqlx::Error) {
    if let [single] = batch.as_slice() {
        let classified = single.write.batch.classify(error);
        if let Some(pending) = batch.into_iter().next() {
            let _ = pending.reply.send(Err(classified));
        }
        return;
    }
    let cause = error.to_string();
    tracing::warn!(%cause, commands = batch.len(), "group commit failed");
    let mut original = Some(error);
    for pending in batch {
        let error = match original.take() {
            Some(error) => Error::from(error),
            None => writer_gone(&cause),
        };
        let _ = pending.reply.send(Err(error));
    }
}
