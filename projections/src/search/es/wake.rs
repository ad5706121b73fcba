//! What wakes the indexer: the `search` projection committing a batch.
//!
//! The indexer ships the documents the projection wrote, so new events in
//! the log are of no use to it until the projection has applied them;
//! waking on appends (and backing off while the projection is behind)
//! would add a pause to every document between the two hops. It wakes
//! instead when the projection's checkpoint moves: in this process, on the
//! position its worker records in [`Reached`] once the batch committed;
//! from other processes, on the `NOTIFY` [`DOCS_CHANNEL`] every search
//! batch sends in its own transaction (so it arrives only once committed).
//! Notifications are hints and can be missed: it also reads again after
//! [`POLL`] without a signal.

use std::time::Duration;

use bazaar_event_store::Position;
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::watch;

use crate::reached::Reached;
use crate::search::store::{SearchDocs, DOCS_CHANNEL};
use crate::wakeups::POLL;
use crate::Projection;

/// The `search` projection's moves, as recorded in this process.
struct Local {
    reached: Reached,
    changes: watch::Receiver<u64>,
    last: Option<Position>,
}

impl Local {
    /// Returns once the recorded `search` position differs from the last
    /// one seen.
    async fn moved(&mut self) {
        loop {
            if self.changes.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
            let now = self.reached.position(SearchDocs::NAME);
            if now != self.last {
                self.last = now;
                return;
            }
        }
    }
}

/// The signals the indexer waits on.
pub struct DocsWakeups {
    local: Option<Local>,
    listener: Option<PgListener>,
    poll: Duration,
}

impl DocsWakeups {
    /// Moves recorded by this process's workers on `pool`'s database, and
    /// notifications from every process (if it can listen).
    pub async fn new(pool: &PgPool) -> Self {
        let reached = Reached::of(pool);
        let local = Local {
            changes: reached.subscribe(),
            last: reached.position(SearchDocs::NAME),
            reached,
        };
        Self {
            local: Some(local),
            listener: listen(pool).await,
            poll: POLL,
        }
    }

    /// Polling only (tests, tools).
    pub fn polling(poll: Duration) -> Self {
        Self {
            local: None,
            listener: None,
            poll,
        }
    }

    /// Returns after a signal or the poll interval, whichever comes first.
    pub async fn wait(&mut self) {
        let local = async {
            match &mut self.local {
                Some(local) => local.moved().await,
                None => std::future::pending().await,
            }
        };
        let remote = async {
            match &mut self.listener {
                // a lost connection is re-established by the next recv
                Some(listener) => drop(listener.try_recv().await),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = local => {}
            () = remote => {}
            () = tokio::time::sleep(self.poll) => {}
        }
        // one read covers every commit signalled so far
        if let Some(listener) = &mut self.listener {
            while listener.next_buffered().is_some() {}
        }
    }
}

async fn listen(pool: &PgPool) -> Option<PgListener> {
    match listening(pool).await {
        Ok(listener) => Some(listener),
        Err(error) => {
            tracing::warn!(%error, "search indexer cannot LISTEN; polling only");
            None
        }
    }
}

async fn listening(pool: &PgPool) -> sqlx::Result<PgListener> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(DOCS_CHANNEL).await?;
    Ok(listener)
}
