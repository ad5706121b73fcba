//! One number bounds every connection a process opens.
//!
//! A process holds connections in four places: the API's pool (commands
//! and queries), the idempotency records' pool (asynchronous commit), the
//! workers' pool (projection batches, the saga's and the scheduler's reads,
//! and one `LISTEN` connection per waiting worker, held for good), and the
//! election leases: one session per elected worker (projections, saga,
//! relay, indexer) holding an advisory lock, taken out of the workers' pool
//! and closed when the lease ends. [`Budget::split`] divides the process's
//! budget between them so that their sum never exceeds it; operators plan
//! `max_connections` with the formula in `docs/operations.md`.

/// What a process runs, in connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Needs {
    /// Whether it serves the API.
    pub api: bool,
    /// Whether it runs any worker.
    pub workers: bool,
    /// Election leases it may hold at once (one per elected worker).
    pub leases: u32,
    /// `LISTEN` connections its workers hold.
    pub listeners: u32,
}

/// How a budget is divided; the four parts add up to at most the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// The API's pool.
    pub api: u32,
    /// The idempotency records' pool.
    pub idempotency: u32,
    /// The workers' pool, listeners included.
    pub workers: u32,
    /// Election leases, opened beside the workers' pool.
    pub leases: u32,
}

/// Connections the workers' pool keeps for work beside its listeners when
/// the API shares the process (all that is left otherwise).
pub const WORKERS_WORKING_SET: u32 = 4;

/// The budget is too small for what the process runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a connection budget of {budget} is too small for this process: it needs at least {needed} ({why})")]
pub struct TooSmall {
    /// The budget given.
    pub budget: u32,
    /// The smallest that works.
    pub needed: u32,
    /// What takes the connections.
    pub why: String,
}

impl Budget {
    /// Divides `total` connections for a process that runs `needs`: leases
    /// and listeners first, a working set for the workers, and the rest to
    /// the API (two thirds) and its idempotency records (one third).
    pub fn split(total: u32, needs: Needs) -> Result<Self, TooSmall> {
        let leases = if needs.workers { needs.leases } else { 0 };
        let fixed = if needs.workers {
            leases + needs.listeners
        } else {
            0
        };
        let working = match (needs.api, needs.workers) {
            (_, false) => 0,
            (true, true) => WORKERS_WORKING_SET,
            (false, true) => 2,
        };
        let api_min = if needs.api { 3 } else { 0 };
        let needed = fixed + working + api_min;
        if total < needed.max(1) {
            return Err(TooSmall {
                budget: total,
                needed: needed.max(1),
                why: format!(
                    "{leases} election leases, {} listeners, {working} for the workers' \
                     batches, {api_min} for the API",
                    needs.listeners
                ),
            });
        }
        let workers = match (needs.api, needs.workers) {
            (_, false) => 0,
            (true, true) => needs.listeners + working,
            (false, true) => total - leases,
        };
        let rest = total - leases - workers;
        let (api, idempotency) = if needs.api {
            (rest - rest / 3, rest / 3)
        } else {
            (0, 0)
        };
        Ok(Self {
            api,
            idempotency,
            workers,
            leases,
        })
    }

    /// Every connection the process may hold at once.
    pub fn total(&self) -> u32 {
        self.api + self.idempotency + self.workers + self.leases
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVE: Needs = Needs {
        api: true,
        workers: true,
        leases: 6,
        listeners: 5,
    };

    #[test]
    fn the_parts_never_add_up_to_more_than_the_budget() {
        for total in 18..200 {
            let budget = Budget::split(total, SERVE).unwrap();
            assert!(budget.total() <= total, "{total}: {budget:?}");
            assert!(
                budget.api >= 2 && budget.idempotency >= 1,
                "{total}: {budget:?}"
            );
        }
    }

    #[test]
    fn serve_at_the_default_keeps_most_for_the_api() {
        let budget = Budget::split(40, SERVE).unwrap();
        assert_eq!(
            budget,
            Budget {
                api: 17,
                idempotency: 8,
                workers: 9,
                leases: 6
            }
        );
    }

    #[test]
    fn an_api_replica_or_a_worker_process_takes_it_all() {
        let api = Needs {
            api: true,
            ..Needs::default()
        };
        assert_eq!(Budget::split(12, api).unwrap().total(), 12);
        let workers = Needs {
            api: false,
            ..SERVE
        };
        let budget = Budget::split(20, workers).unwrap();
        assert_eq!((budget.workers, budget.leases, budget.api), (14, 6, 0));
    }

    #[test]
    fn a_budget_below_the_fixed_part_is_refused_with_the_minimum() {
        let error = Budget::split(10, SERVE).unwrap_err();
        assert_eq!(error.needed, 18);
    }
}
