//! The positions the live read models have reached, known in memory, so a
//! read-your-writes wait does not ask the database.
//!
//! Workers in this process record each checkpoint after its batch commits
//! ([`Reached::record`]); positions reached by workers in other processes
//! are followed by a short poll of the `projection` table, only while a
//! query waits and memory alone does not answer ([`Reached::wait_for`]).
//!
//! Never stale: a position is recorded only once the batch that reached it
//! has committed, and a rebuild switches readers to its generation only
//! when that generation has reached every position of the ones it replaces,
//! whose batches it holds off while it switches (see [`crate::rebuild`]).
//! So the generation the `read` views show has applied at least every
//! position remembered here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use bazaar_event_store::Position;
use sqlx::PgPool;
use tokio::sync::watch;

/// How often a waiting query reads the checkpoints of workers in other
/// processes.
pub const POLL: Duration = Duration::from_millis(5);

/// The highest position each read model is known to have applied; cheap to
/// clone and share between the workers and the queries of one process.
#[derive(Debug, Clone)]
pub struct Reached {
    positions: Arc<Mutex<HashMap<String, Position>>>,
    changed: Arc<watch::Sender<u64>>,
}

impl Default for Reached {
    fn default() -> Self {
        Self {
            positions: Arc::default(),
            changed: Arc::new(watch::channel(0).0),
        }
    }
}

/// The shared [`Reached`] of each database this process talks to.
static SHARED: OnceLock<Mutex<HashMap<String, Reached>>> = OnceLock::new();

impl Reached {
    /// Nothing known yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The one `Reached` of this process for `pool`'s database: what the
    /// workers of this process record ([`crate::worker::run`]) and what
    /// its queries wait on, without passing a handle from one to the other.
    /// Keyed by server and database, so two databases (tests) never mix.
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
        shared.entry(key).or_default().clone()
    }

    /// `projection` has applied everything up to `position` (committed).
    pub fn record(&self, projection: &str, position: Position) {
        let mut positions = self.positions.lock().unwrap_or_else(|e| e.into_inner());
        let known = positions.entry(projection.to_owned()).or_insert(position);
        if position > *known {
            *known = position;
        }
        drop(positions);
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver that sees every position recorded from now on (of any
    /// projection: read [`Reached::position`] to tell which moved).
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// The highest position `projection` is known to have applied.
    pub fn position(&self, projection: &str) -> Option<Position> {
        let positions = self.positions.lock().unwrap_or_else(|e| e.into_inner());
        positions.get(projection).copied()
    }

    /// Whether every one of `projections` is known to have applied `min`.
    pub fn all_reached(&self, projections: &[&str], min: Position) -> bool {
        let positions = self.positions.lock().unwrap_or_else(|e| e.into_inner());
        projections
            .iter()
            .all(|name| positions.get(*name).is_some_and(|at| *at >= min))
    }

    /// Records the checkpoints of the live generations, whoever moved them.
    pub async fn refresh(&self, pool: &PgPool) -> sqlx::Result<()> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "select projection_name, tx_id::text, position from projection where status = 'live'",
        )
        .fetch_all(pool)
        .await?;
        for (name, tx_id, position) in rows {
            if let Ok(tx_id) = tx_id.parse() {
                self.record(&name, Position::new(tx_id, position));
            }
        }
        Ok(())
    }

    /// Waits until every one of `projections` has applied `min`, for at
    /// most `bound`; `false` if the bound passed first. Answers from memory
    /// when it can; otherwise reads the checkpoints once at once, then wakes
    /// on every position recorded here and reads them again every [`POLL`].
    pub async fn wait_for(
        &self,
        pool: &PgPool,
        projections: &[&str],
        min: Position,
        bound: Duration,
    ) -> sqlx::Result<bool> {
        let deadline = Instant::now() + bound;
        let mut changed = self.changed.subscribe();
        if !self.all_reached(projections, min) {
            // not known here (workers elsewhere, or none recorded yet)
            self.refresh(pool).await?;
        }
        loop {
            if self.all_reached(projections, min) {
                return Ok(true);
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(false);
            }
            let poll = POLL.min(deadline - now);
            tokio::select! {
                _ = changed.changed() => {}
                () = tokio::time::sleep(poll) => self.refresh(pool).await?,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_only_moves_forward_and_every_projection_must_reach_it() {
        let reached = Reached::new();
        reached.record("orders", Position::new(10, 7));
        reached.record("orders", Position::new(9, 8));
        assert_eq!(reached.position("orders"), Some(Position::new(10, 7)));

        assert!(reached.all_reached(&["orders"], Position::new(10, 7)));
        assert!(!reached.all_reached(&["orders"], Position::new(10, 8)));
        assert!(!reached.all_reached(&["orders", "stock"], Position::new(1, 1)));
        assert!(reached.all_reached(&[], Position::new(99, 99)));
    }
}
