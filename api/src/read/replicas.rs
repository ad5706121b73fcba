//! Hot standbys that answer queries (`BAZAAR_READ_DATABASE_URL`).
//!
//! Commands append to the primary; queries, searches and read-your-writes
//! waits may read streaming replicas of it instead, so that reads stop
//! competing with appends for the primary. A handler takes one
//! [`ReadPool`] per request (`crate::state::AppState::read_pool`) and runs
//! its wait and its statements on it: the wait then answers for the very
//! server that answers the query (another replica may be further behind).
//!
//! Which replica: round robin over those up. A prober asks each replica
//! for its replay state every [`PROBE_EVERY`] on a connection of its own
//! (so a busy pool cannot make a replica look down); one that does not
//! answer within [`PROBE_TIMEOUT`] is down and skipped until it answers
//! again. When every replica is down, queries read the primary: slower for
//! the primary, never stale. Lag does not steer the choice: a lagging
//! replica makes `min_position` queries wait (then 503 `read-model-behind`),
//! never answer stale, and `/health/ready` reports each replica's lag.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bazaar_event_store::PgSettings;
use serde::Serialize;
use sqlx::PgPool;

/// How often each replica's replay state is read.
pub const PROBE_EVERY: Duration = Duration::from_secs(1);
/// How long a replica may take to answer the probe before it is down.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Where one request's queries read: the primary, or one hot standby.
#[derive(Debug, Clone)]
pub struct ReadPool {
    /// The server's pool: run the request's statements on it.
    pub pool: PgPool,
    replica: bool,
}

impl ReadPool {
    /// Queries on the primary (no replica configured, or none up).
    pub fn primary(pool: PgPool) -> Self {
        Self {
            pool,
            replica: false,
        }
    }

    /// Queries on a hot standby: waits read its checkpoints, never what
    /// this process's workers reached on the primary.
    pub fn replica(pool: PgPool) -> Self {
        Self {
            pool,
            replica: true,
        }
    }

    /// Whether this is a hot standby.
    pub fn is_replica(&self) -> bool {
        self.replica
    }
}

/// One replica's state, as `/health/ready` reports it.
#[derive(Debug, Clone, Serialize)]
pub struct ReplicaCheck {
    /// `host:port/database` (never the credentials).
    pub name: String,
    /// `ok` (replaying), `paused` (replay paused: `min_position` queries
    /// wait, then 503), `not-standby` (answers but replays nothing: promoted
    /// or misconfigured) or `down` (skipped until it answers).
    pub status: &'static str,
    /// Seconds since the last transaction it replayed was committed on the
    /// primary; 0 when it has replayed all it received (an idle primary is
    /// not lag). `null` when down or before its first replayed transaction.
    pub replay_lag_seconds: Option<f64>,
    /// WAL bytes received from the primary and not replayed yet.
    pub replay_lag_bytes: Option<i64>,
}

/// The configured hot standbys; cheap to clone. Empty: queries read the
/// primary.
#[derive(Debug, Clone, Default)]
pub struct Replicas {
    members: Arc<[Replica]>,
    next: Arc<AtomicUsize>,
}

#[derive(Debug)]
struct Replica {
    name: String,
    pool: PgPool,
    probe: PgPool,
    up: AtomicBool,
}

/// What the probe reads: standby, paused, lag in seconds and in bytes.
type Replay = (bool, Option<bool>, Option<f64>, Option<i64>);

const REPLAY_STATE: &str = "\
    select pg_is_in_recovery(), \
           case when pg_is_in_recovery() then pg_is_wal_replay_paused() end, \
           case when pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() then 0::float8 \
                else extract(epoch from now() - pg_last_xact_replay_timestamp())::float8 end, \
           pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::bigint";

impl Replicas {
    /// Pools over each standby in `settings` (connected lazily: a replica
    /// that is down at start-up is skipped until it answers). Every replica
    /// is down until its first probe answers.
    pub fn connect(settings: &[PgSettings]) -> bazaar_event_store::Result<Self> {
        let members = settings
            .iter()
            .map(|pg| {
                let options = pg.connect_options()?;
                let name = format!(
                    "{}:{}/{}",
                    options.get_host(),
                    options.get_port(),
                    options.get_database().unwrap_or_default()
                );
                Ok(Replica {
                    name,
                    pool: bazaar_event_store::connect(pg)?,
                    probe: bazaar_event_store::connect(&pg.sized(1))?,
                    up: AtomicBool::new(false),
                })
            })
            .collect::<bazaar_event_store::Result<Vec<_>>>()?;
        Ok(Self {
            members: members.into(),
            next: Arc::default(),
        })
    }

    /// How many replicas are configured.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether no replica is configured.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The next replica that is up, round robin; `None` when none is.
    pub fn pick(&self) -> Option<ReadPool> {
        let count = self.members.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        (0..count)
            .map(|i| &self.members[start.wrapping_add(i) % count])
            .find(|replica| replica.up.load(Ordering::Relaxed))
            .map(|replica| ReadPool::replica(replica.pool.clone()))
    }

    /// Reads every replica's replay state at once, marks each up or down
    /// by whether it answered, and reports them.
    pub async fn check(&self) -> Vec<ReplicaCheck> {
        futures::future::join_all(self.members.iter().map(Replica::check)).await
    }

    /// Probes the replicas every [`PROBE_EVERY`], for ever; logs each one
    /// that goes down or comes back, and when queries fall back to the
    /// primary. Returns at once when no replica is configured.
    pub async fn probe_forever(self) {
        if self.is_empty() {
            return;
        }
        let mut fallback = false;
        loop {
            let checks = self.check().await;
            let none_up = checks.iter().all(|check| check.status == "down");
            if none_up != fallback {
                fallback = none_up;
                if none_up {
                    tracing::warn!("no read replica is up: queries read the primary");
                } else {
                    tracing::info!("queries read the replicas again");
                }
            }
            tokio::time::sleep(PROBE_EVERY).await;
        }
    }
}

impl Replica {
    async fn check(&self) -> ReplicaCheck {
        let probe = sqlx::query_as::<_, Replay>(REPLAY_STATE).fetch_one(&self.probe);
        let replay = match tokio::time::timeout(PROBE_TIMEOUT, probe).await {
            Ok(Ok(replay)) => Ok(replay),
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err(format!("no answer within {PROBE_TIMEOUT:?}")),
        };
        let was_up = self.up.swap(replay.is_ok(), Ordering::Relaxed);
        match (&replay, was_up) {
            (Err(error), true) => {
                tracing::warn!(replica = %self.name, %error, "read replica down: skipped");
            }
            (Ok(_), false) => tracing::info!(replica = %self.name, "read replica up"),
            _ => {}
        }
        let (status, lag_seconds, lag_bytes) = match replay {
            Err(_) => ("down", None, None),
            Ok((false, _, _, _)) => ("not-standby", None, None),
            Ok((true, Some(true), seconds, bytes)) => ("paused", seconds, bytes),
            Ok((true, _, seconds, bytes)) => ("ok", seconds, bytes),
        };
        ReplicaCheck {
            name: self.name.clone(),
            status,
            replay_lag_seconds: lag_seconds,
            replay_lag_bytes: lag_bytes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replicas(up: &[bool]) -> Replicas {
        let members: Vec<Replica> = up
            .iter()
            .enumerate()
            .map(|(i, up)| {
                let url = format!("postgres://u@127.0.0.1:{}/db", 6000 + i);
                let pg = PgSettings::new(url);
                Replica {
                    name: i.to_string(),
                    pool: bazaar_event_store::connect(&pg).unwrap(),
                    probe: bazaar_event_store::connect(&pg).unwrap(),
                    up: AtomicBool::new(*up),
                }
            })
            .collect();
        Replicas {
            members: members.into(),
            next: Arc::default(),
        }
    }

    fn port(pool: &ReadPool) -> u16 {
        assert!(pool.is_replica());
        pool.pool.connect_options().get_port()
    }

    #[tokio::test]
    async fn picks_go_round_the_replicas_that_are_up() {
        let replicas = replicas(&[true, false, true]);
        let ports: Vec<u16> = (0..4).map(|_| port(&replicas.pick().unwrap())).collect();
        assert_eq!(ports, [6000, 6002, 6002, 6000]);
    }

    #[tokio::test]
    async fn no_replica_up_or_none_configured_picks_nothing() {
        assert!(replicas(&[false, false]).pick().is_none());
        assert!(Replicas::default().pick().is_none());
        assert!(Replicas::default().is_empty());
    }
}
