//! The elected relay's loop: read a batch after the checkpoint, publish it,
//! move the checkpoint once every record is delivered; on any failure, drop
//! the producer, back off and publish again from the checkpoint.
//!
//! While idle it waits for new events like a projection worker (signal,
//! `LISTEN`, polling; short re-reads while the read horizon holds committed
//! events back) and probes the broker every [`PROBE_EVERY`], so that
//! `/health/ready` reports Kafka down (and up again) even when nothing is
//! being published.

use std::time::{Duration, Instant};

use bazaar_event_store::{held_back, load_checkpoint, read_after, save_checkpoint, Position};
use sqlx::PgPool;

use super::error::RelayError;
use super::health::RelayHealth;
use super::publisher::Publisher;
use super::{RelaySettings, SUBSCRIPTION};
use crate::wakeups::Wakeups;

/// How often an idle relay checks that a broker answers.
pub const PROBE_EVERY: Duration = Duration::from_secs(5);
/// First pause after a failure; it doubles up to the configured maximum.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// First pause before re-reading events the horizon holds back.
const FIRST_RECHECK: Duration = Duration::from_millis(2);
/// Longest such pause.
const MAX_RECHECK: Duration = Duration::from_millis(100);

/// The relay's state between steps.
struct Relay<'a> {
    pool: &'a PgPool,
    settings: &'a RelaySettings,
    health: &'a RelayHealth,
    publisher: Option<Publisher>,
    at: Position,
    backoff: Duration,
    recheck: Duration,
    last_probe: Option<Instant>,
}

/// Relays until cancelled; never returns on its own.
pub async fn follow(
    pool: &PgPool,
    settings: &RelaySettings,
    health: &RelayHealth,
    wakeups: &mut Wakeups,
) {
    let mut relay = Relay {
        pool,
        settings,
        health,
        publisher: None,
        at: Position::START,
        backoff: FIRST_BACKOFF,
        recheck: FIRST_RECHECK,
        last_probe: None,
    };
    let mut loaded = false;
    loop {
        let outcome = if loaded {
            relay.step().await
        } else {
            relay.reload().await.map(|()| Step::Reloaded)
        };
        match outcome {
            Ok(Step::Reloaded) => loaded = true,
            Ok(Step::Published(n)) => relay.published(n),
            Ok(Step::Idle) => relay.idle(wakeups).await,
            Err(error) => {
                relay.failed(&error).await;
                loaded = false;
            }
        }
    }
}

/// What one step did.
enum Step {
    /// The checkpoint was (re)loaded.
    Reloaded,
    /// A batch of this many events was delivered and checkpointed.
    Published(usize),
    /// Nothing to publish.
    Idle,
}

impl Relay<'_> {
    async fn reload(&mut self) -> Result<(), RelayError> {
        self.at = load_checkpoint(self.pool, SUBSCRIPTION).await?;
        Ok(())
    }

    /// Publishes the next batch and moves the checkpoint past it.
    async fn step(&mut self) -> Result<Step, RelayError> {
        let events = read_after(self.pool, self.at, self.settings.batch_size).await?;
        let Some(last) = events.last() else {
            return Ok(Step::Idle);
        };
        let publisher = match &mut self.publisher {
            Some(publisher) => publisher,
            empty => empty.insert(Publisher::connect(self.settings)?),
        };
        publisher.publish(&events).await?;
        save_checkpoint(self.pool, SUBSCRIPTION, last.position).await?;
        self.at = last.position;
        Ok(Step::Published(events.len()))
    }

    fn published(&mut self, n: usize) {
        crate::metrics::relayed(n);
        if self.health.is_down() {
            tracing::info!("kafka relay delivers again");
        }
        tracing::debug!(events = n, at = %self.at, "kafka relay published a batch");
        self.health.set_up();
        self.backoff = FIRST_BACKOFF;
        self.recheck = FIRST_RECHECK;
    }

    /// Reports the failure, forgets the producer, waits before the retry.
    async fn failed(&mut self, error: &RelayError) {
        crate::metrics::relay_failed();
        tracing::warn!(%error, retry_in = ?self.backoff, "kafka relay failed; retrying from the checkpoint");
        self.health.set_down(error);
        if let Some(publisher) = self.publisher.take() {
            publisher.discard();
        }
        tokio::time::sleep(self.backoff).await;
        self.backoff = (self.backoff * 2).min(self.settings.max_backoff);
        self.last_probe = None;
    }

    /// Nothing readable: probe the broker if due, then wait for events.
    async fn idle(&mut self, wakeups: &mut Wakeups) {
        if self.last_probe.is_none_or(|at| at.elapsed() >= PROBE_EVERY) {
            self.last_probe = Some(Instant::now());
            if let Err(error) = self.probe().await {
                self.failed(&error).await;
                return;
            }
            self.health.set_up();
        }
        if held_back(self.pool, self.at).await.unwrap_or(false) {
            tokio::time::sleep(self.recheck).await;
            self.recheck = (self.recheck * 2).min(MAX_RECHECK);
        } else {
            wakeups.wait().await;
        }
    }

    async fn probe(&mut self) -> Result<(), RelayError> {
        let publisher = match &mut self.publisher {
            Some(publisher) => publisher,
            empty => empty.insert(Publisher::connect(self.settings)?),
        };
        publisher.probe().await
    }
}
