//! Electing one process per worker part (each projection, the checkout
//! saga, the Kafka relay, the search indexer), and noticing when the
//! election is lost.
//!
//! A part is held by a session-level advisory lock on a connection taken
//! out of the pool for as long as the part runs (a [`Lease`]). The lock
//! lives exactly as long as that session, so what the holder must watch is
//! the session itself: when Postgres restarts or fails over, or the backend
//! is killed (`pg_terminate_backend`), the lock is gone and another process
//! may win it at once. [`Lease::lost`] checks the session every
//! [`CHECK_EVERY`] with a `select 1` on the lease's own connection; a worker
//! runs its work *under* that future (`select!`), so the work is cancelled
//! within that interval and the worker competes again. Cancelling is safe
//! because every elected worker writes its effects and its checkpoint in
//! one transaction: a batch cut short rolls back, and whoever holds the
//! part next resumes from the last committed checkpoint (and a batch that
//! still raced a new holder finds the checkpoint moved and applies
//! nothing, see the projections' `batch` module).
//!
//! Which process competes for which part is [`members`]'s business: worker
//! processes register and spread the parts over themselves; a lease is also
//! lost when its part now belongs to another member.

pub mod members;

use std::time::Duration;

use sqlx::{PgConnection, PgPool};

pub use members::Members;

/// 1 while this process holds the part (label `part`), 0 after.
pub const PART_HELD: &str = "bazaar_worker_part_held";
/// Leases lost, by part and why (`session` or `moved`).
pub const LEASES_LOST: &str = "bazaar_worker_leases_lost_total";

/// Registers the help texts (call once the exporter is installed).
pub fn describe() {
    metrics::describe_gauge!(
        PART_HELD,
        "1 while this process holds the elected worker part, 0 after"
    );
    metrics::describe_counter!(
        LEASES_LOST,
        "Elections lost while working: the lock's session died, or the part moved to another process"
    );
}

/// How often a holder checks its lease's session.
pub const CHECK_EVERY: Duration = Duration::from_millis(500);
/// How long the check may take before the session counts as lost (a
/// network partition leaves the socket open but silent).
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// What a lock's key is made of: `pg_try_advisory_lock(hashtext(class),
/// hashtext(key))`.
#[derive(Debug, Clone, Copy)]
pub struct LockKey<'a> {
    /// The kind of worker (`projection`, `saga`, `relay`).
    pub class: &'a str,
    /// Which one (a projection's name and generation, a saga's name).
    pub key: &'a str,
}

/// Why a lease ended.
#[derive(Debug)]
pub enum Lost {
    /// The lock's session died (or stopped answering): the lock is gone.
    Session(String),
    /// The part now belongs to another member; this process hands it over.
    Moved,
}

/// A won election: the lock's session, held until dropped (which closes
/// the connection and so releases the lock).
#[derive(Debug)]
pub struct Lease {
    session: PgConnection,
    part: String,
    members: Members,
}

/// Competes for `part` (locked by `lock`): the lease if this process won
/// it, `None` if another process holds it or the part belongs to another
/// member of the workers (see [`members`]).
pub async fn campaign(pool: &PgPool, part: &str, lock: LockKey<'_>) -> sqlx::Result<Option<Lease>> {
    let members = Members::of(pool);
    if !members.mine(part) {
        return Ok(None);
    }
    // the lock lives as long as this session: the connection leaves the
    // pool and is closed when the lease is dropped, releasing the lock
    let mut session = pool.acquire().await?.detach();
    let won: bool = sqlx::query_scalar("select pg_try_advisory_lock(hashtext($1), hashtext($2))")
        .bind(lock.class)
        .bind(lock.key)
        .fetch_one(&mut session)
        .await?;
    if !won {
        return Ok(None);
    }
    members.hold(part, true);
    metrics::gauge!(PART_HELD, "part" => part.to_owned()).set(1.0);
    tracing::info!(part, "elected");
    Ok(Some(Lease {
        session,
        part: part.to_owned(),
        members,
    }))
}

impl Lease {
    /// The part this lease holds.
    pub fn part(&self) -> &str {
        &self.part
    }

    /// Completes once the lease is lost: its session died or stopped
    /// answering, or the part moved to another member. Run the work under
    /// it (`tokio::select!`) so the work stops at once.
    pub async fn lost(&mut self) -> Lost {
        let mut tick = tokio::time::interval(CHECK_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if !self.members.mine(&self.part) {
                tracing::info!(
                    part = self.part,
                    "part moved to another worker process; handing it over"
                );
                metrics::counter!(LEASES_LOST, "part" => self.part.clone(), "why" => "moved")
                    .increment(1);
                return Lost::Moved;
            }
            let check = sqlx::query("select 1").execute(&mut self.session);
            let why = match tokio::time::timeout(CHECK_TIMEOUT, check).await {
                Ok(Ok(_)) => continue,
                Ok(Err(error)) => error.to_string(),
                Err(_) => format!("no answer within {CHECK_TIMEOUT:?}"),
            };
            tracing::warn!(
                part = self.part,
                why,
                "election lost: the lock's session is gone; competing again"
            );
            metrics::counter!(LEASES_LOST, "part" => self.part.clone(), "why" => "session")
                .increment(1);
            return Lost::Session(why);
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.members.hold(&self.part, false);
        metrics::gauge!(PART_HELD, "part" => self.part.clone()).set(0.0);
    }
}

/// Waits `pause`, or less if the spread of parts changed (a member came or
/// went, so this process may now own a part it should compete for).
pub async fn standby(pool: &PgPool, pause: Duration) {
    Members::of(pool).changed_or(pause).await;
}
