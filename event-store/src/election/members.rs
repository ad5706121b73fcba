//! Spreading the elected parts over the worker processes.
//!
//! Without this, every process competes for every part and the first one
//! to start wins them all: a second process only stands by. Instead each
//! worker process registers in `worker_members` (its parts, a heartbeat
//! every [`HEARTBEAT`]) and, from the members alive (a heartbeat younger
//! than [`EXPIRY`]), every process computes the same spread ([`spread`]):
//! each part goes to the member with the highest rendezvous score for it
//! among those with fewer than their fair share, so the parts are spread
//! evenly and each member gets at least one when there are as many parts
//! as members. A process only competes for its own parts.
//!
//! When a member joins, the others hand over the parts that are now its
//! own ([`super::Lease::lost`] reports [`super::Lost::Moved`]). When a
//! member dies without leaving (SIGKILL, a lost machine), its locks go
//! with its sessions at once, and its parts are spread over the others
//! when its heartbeat expires: a take-over within [`EXPIRY`] plus one
//! [`HEARTBEAT`] plus the check and the election (under 10 s; see
//! `docs/operations.md`). A process that leaves in order deletes its row,
//! and its parts move at the others' next heartbeat.
//!
//! A process that never joins (tests, tools, `bazaar relay`) competes for
//! every part, as before.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::watch;
use uuid::Uuid;

/// How often a member renews its heartbeat and reads the others'.
pub const HEARTBEAT: Duration = Duration::from_secs(1);
/// How old a heartbeat may be before its member counts as gone.
pub const EXPIRY: Duration = Duration::from_secs(5);
/// Rows of members gone longer than this are deleted.
const FORGET_AFTER: &str = "1 hour";
/// Heartbeats between two such deletes (a minute): the rows of gone
/// members only take space, since liveness is by heartbeat age, so there
/// is no need to look for them every second.
const FORGET_EVERY: u64 = 60;

/// Which parts this process may compete for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Share {
    /// Not a member: every part.
    Every,
    /// A member: only these (none before the first spread is known).
    Only(BTreeSet<String>),
}

#[derive(Debug)]
struct Inner {
    share: watch::Sender<Share>,
    held: Mutex<BTreeSet<String>>,
}

/// This process's membership among the worker processes of one database:
/// the parts it may compete for and the parts it holds. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Members(Arc<Inner>);

/// The shared [`Members`] of each database this process talks to.
static SHARED: OnceLock<Mutex<HashMap<String, Members>>> = OnceLock::new();

impl Members {
    fn new() -> Self {
        Self(Arc::new(Inner {
            share: watch::channel(Share::Every).0,
            held: Mutex::default(),
        }))
    }

    /// The one `Members` of this process for `pool`'s database, keyed by
    /// server and database so two databases (tests) never mix.
    pub fn of(pool: &PgPool) -> Self {
        let options = pool.connect_options();
        let key = format!(
            "{}:{}/{}",
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or_default()
        );
        let shared = SHARED.get_or_init(Mutex::default);
        let mut shared = shared.lock().unwrap_or_else(|e| e.into_inner());
        shared.entry(key).or_insert_with(Self::new).clone()
    }

    /// Whether this process may compete for `part`.
    pub fn mine(&self, part: &str) -> bool {
        match &*self.0.share.borrow() {
            Share::Every => true,
            Share::Only(parts) => parts.contains(part),
        }
    }

    /// The parts this process holds now.
    pub fn held(&self) -> Vec<String> {
        self.held_set().iter().cloned().collect()
    }

    fn held_set(&self) -> std::sync::MutexGuard<'_, BTreeSet<String>> {
        self.0.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn hold(&self, part: &str, held: bool) {
        let mut set = self.held_set();
        if held {
            set.insert(part.to_owned());
        } else {
            set.remove(part);
        }
    }

    /// Completes after `pause`, or earlier when this process's share changes.
    pub(super) fn changed_or(&self, pause: Duration) -> impl Future<Output = ()> + Send + 'static {
        let mut share = self.0.share.subscribe();
        async move {
            let _ = tokio::time::timeout(pause, share.changed()).await;
        }
    }

    fn set_share(&self, share: Share) {
        self.0.share.send_if_modified(|now| {
            let changed = *now != share;
            *now = share;
            changed
        });
    }

    /// Registers this process as a worker member running `parts` and keeps
    /// its heartbeat and its share until `stop` completes; then leaves (its
    /// row deleted, its share back to every part).
    /// Until the first heartbeat, this process competes for nothing: the
    /// share is set before the future is returned, so workers started next
    /// to it never grab every part first.
    pub fn join(
        pool: &PgPool,
        parts: Vec<String>,
        stop: impl Future<Output = ()>,
    ) -> impl Future<Output = ()> {
        let members = Self::of(pool);
        members.set_share(Share::Only(BTreeSet::new()));
        members.membership(pool.clone(), parts, stop)
    }

    async fn membership(self, pool: PgPool, parts: Vec<String>, stop: impl Future<Output = ()>) {
        let (members, pool) = (self, &pool);
        let id = Uuid::now_v7();
        tracing::info!(member = %id, parts = parts.len(), "joined the worker processes");
        tokio::pin!(stop);
        let mut tick = tokio::time::interval(HEARTBEAT);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        for beats in 0u64.. {
            tokio::select! {
                () = &mut stop => break,
                _ = tick.tick() => {}
            }
            match members.beat(pool, id, &parts).await {
                Ok(share) => members.set_share(Share::Only(share)),
                // the database is away: keep the share; the leases notice
                // on their own sessions
                Err(error) => tracing::warn!(%error, "worker heartbeat failed; retrying"),
            }
            if beats % FORGET_EVERY == 0 {
                forget_gone(pool).await;
            }
        }
        let _ = sqlx::query("delete from worker_members where member_id = $1")
            .bind(id)
            .execute(pool)
            .await;
        members.set_share(Share::Every);
    }

    /// One heartbeat: renews this member's row (with the parts it holds)
    /// and returns its share of the parts among the members alive.
    async fn beat(
        &self,
        pool: &PgPool,
        id: Uuid,
        parts: &[String],
    ) -> sqlx::Result<BTreeSet<String>> {
        let held = self.held();
        sqlx::query(
            "insert into worker_members (member_id, host, pid, parts, held) \
             values ($1, $2, $3, $4, $5) \
             on conflict (member_id) do update \
               set heartbeat_at = clock_timestamp(), held = excluded.held",
        )
        .bind(id)
        .bind(host())
        .bind(std::process::id() as i32)
        .bind(parts)
        .bind(&held)
        .execute(pool)
        .await?;
        let alive: Vec<(Uuid, Vec<String>)> = sqlx::query_as(
            "select member_id, parts from worker_members \
              where heartbeat_at > clock_timestamp() - make_interval(secs => $1)",
        )
        .bind(EXPIRY.as_secs_f64())
        .fetch_all(pool)
        .await?;
        Ok(spread(&alive).remove(&id).unwrap_or_default())
    }
}

/// Deletes the rows of members gone longer than [`FORGET_AFTER`]; a failure
/// only leaves them for the next time.
async fn forget_gone(pool: &PgPool) {
    let forgotten = sqlx::query(&format!(
        "delete from worker_members where heartbeat_at < clock_timestamp() - interval '{FORGET_AFTER}'"
    ))
    .execute(pool)
    .await;
    if let Err(error) = forgotten {
        tracing::warn!(%error, "deleting gone worker members failed; retrying later");
    }
}

fn host() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .unwrap_or_default()
}

/// Every member's share of the parts: the same answer in every process
/// that sees the same members. Parts go in name order, each to the
/// member running it with the highest rendezvous score among those still
/// below their fair share, or the highest-scoring one if all of those are
/// full. The fair share is `parts / members`, and one more for as many
/// members as the division leaves over, so 9 parts on 4 members are
/// 3, 2, 2, 2 (never 3, 3, 3, 0).
pub fn spread(members: &[(Uuid, Vec<String>)]) -> BTreeMap<Uuid, BTreeSet<String>> {
    let parts: BTreeSet<&String> = members.iter().flat_map(|(_, p)| p).collect();
    let count = members.len().max(1);
    let (base, mut extra) = (parts.len() / count, parts.len() % count);
    let mut shares: BTreeMap<Uuid, BTreeSet<String>> = members
        .iter()
        .map(|(id, _)| (*id, BTreeSet::new()))
        .collect();
    for part in parts {
        let mut candidates: Vec<Uuid> = members
            .iter()
            .filter(|(_, runs)| runs.contains(part))
            .map(|(id, _)| *id)
            .collect();
        candidates.sort_by_key(|id| std::cmp::Reverse((score(id, part), *id)));
        let held = |id: &Uuid| shares.get(id).map_or(0, BTreeSet::len);
        let below = candidates
            .iter()
            .find(|id| held(id) < base || (held(id) == base && extra > 0));
        if let Some(owner) = below.or(candidates.first()) {
            if held(owner) == base && below.is_some() {
                extra -= 1;
            }
            shares.entry(*owner).or_default().insert(part.clone());
        }
    }
    shares
}

/// FNV-1a over the member and the part: stable across processes and builds.
fn score(member: &Uuid, part: &str) -> u64 {
    member
        .as_bytes()
        .iter()
        .chain(part.as_bytes())
        .fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
            (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("part-{i}")).collect()
    }

    #[test]
    fn every_part_goes_to_exactly_one_member_and_each_gets_its_fair_share() {
        for count in 1..6 {
            let members: Vec<_> = (0..count).map(|_| (Uuid::now_v7(), parts(9))).collect();
            let shares = spread(&members);
            let mut all: Vec<&String> = shares.values().flatten().collect();
            all.sort();
            assert_eq!(all, parts(9).iter().collect::<Vec<_>>());
            let fair = 9usize.div_ceil(count);
            assert!(
                shares.values().all(|s| !s.is_empty() && s.len() <= fair),
                "{shares:?}"
            );
        }
    }

    #[test]
    fn every_process_computes_the_same_spread_whatever_the_order_it_reads() {
        let members: Vec<_> = (0..3).map(|_| (Uuid::now_v7(), parts(8))).collect();
        let mut reversed = members.clone();
        reversed.reverse();
        assert_eq!(spread(&members), spread(&reversed));
    }

    #[test]
    fn a_part_only_goes_to_a_member_running_it() {
        let saga_only = (Uuid::now_v7(), vec!["saga".to_owned()]);
        let everything = (Uuid::now_v7(), vec!["saga".to_owned(), "relay".to_owned()]);
        let shares = spread(&[saga_only.clone(), everything.clone()]);
        assert!(shares[&everything.0].contains("relay"));
        assert!(!shares[&saga_only.0].contains("relay"));
    }
}
