//! Waiting for new events: an in-process signal, a Postgres `LISTEN`, and
//! polling as the fallback (notifications are hints and can be missed).

use std::time::Duration;

use bazaar_event_store::wakeup::CHANNEL;
use bazaar_event_store::Notifier;
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::watch;

/// How long a reader waits without any signal before reading again.
pub const POLL: Duration = Duration::from_millis(500);

/// The signals one worker waits on.
pub struct Wakeups {
    local: Option<watch::Receiver<u64>>,
    listener: Option<PgListener>,
    poll: Duration,
}

impl Wakeups {
    /// Signals from `notifier` (appends in this process) and, if it can
    /// listen, from other processes through `pool`.
    pub async fn new(pool: &PgPool, notifier: Option<&Notifier>) -> Self {
        let listener = match PgListener::connect_with(pool).await {
            Ok(mut listener) => match listener.listen(CHANNEL).await {
                Ok(()) => Some(listener),
                Err(error) => {
                    tracing::warn!(%error, "cannot LISTEN; polling only");
                    None
                }
            },
            Err(error) => {
                tracing::warn!(%error, "cannot LISTEN; polling only");
                None
            }
        };
        Self {
            local: notifier.map(Notifier::subscribe),
            listener,
            poll: POLL,
        }
    }

    /// The same signals with another polling interval.
    pub fn with_poll(mut self, poll: Duration) -> Self {
        self.poll = poll;
        self
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
                Some(receiver) => {
                    if receiver.changed().await.is_err() {
                        std::future::pending::<()>().await;
                    }
                }
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
    }
}
