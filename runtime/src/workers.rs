//! The background workers `bazaar serve` and `bazaar workers` run next to
//! (or without) the API: the projections, the checkout saga, the durable
//! scheduler and, when Kafka is configured, the Kafka relay (which `bazaar
//! relay` also runs alone). Each is elected across processes (advisory
//! locks) or claims its work (`SKIP LOCKED`), so any number of processes
//! may run them. The elected parts are spread over the processes that run
//! them (each joins `worker_members`), and an elected part stops at once
//! when its lock's session dies, to compete again: see
//! [`bazaar_event_store::election`].

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bazaar_commands::saga::checkout::{CheckoutPolicy, CheckoutSaga};
use bazaar_commands::saga::Saga;
use bazaar_commands::{saga, scheduler, WriteSide};
use bazaar_event_store::election::Members;
use bazaar_event_store::pool::Needs;
use bazaar_event_store::Notifier;
use bazaar_projections::registry;
use bazaar_projections::relay::{self, RelayHealth, RelaySettings};
use bazaar_projections::search::es::{worker as indexer, EsClient, IndexerHealth};
use bazaar_projections::wakeups::Wakeups;
use bazaar_projections::worker as projection_worker;
use sqlx::PgPool;
use tokio::sync::watch;

/// How often an idle saga looks for new events when no signal came (a
/// signal wakes it at once).
const SAGA_POLL: Duration = Duration::from_millis(100);
/// How often the scheduler looks for due timers.
const SCHEDULER_POLL: Duration = Duration::from_millis(500);

/// A shutdown signal every worker can wait on.
#[derive(Clone)]
pub struct Stop(watch::Receiver<bool>);

impl Stop {
    /// A signal and the handle that raises it.
    pub fn new() -> (watch::Sender<bool>, Self) {
        let (sender, receiver) = watch::channel(false);
        (sender, Self(receiver))
    }

    /// Completes once the signal is raised (or its sender is gone).
    pub fn wait(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut receiver = self.0.clone();
        async move {
            let _ = receiver.wait_for(|stop| *stop).await;
        }
    }

    /// A signal raised by Ctrl-C or SIGTERM.
    pub fn on_signal() -> Self {
        let (raise, stop) = Self::new();
        tokio::spawn(async move {
            bazaar_api::startup::shutdown_signal().await;
            let _ = raise.send(true);
        });
        stop
    }
}

/// The Kafka relay a process runs (its settings, and the health handle
/// `/health/ready` reads), or `None` when Kafka is not configured.
pub type Relay = Option<(RelaySettings, RelayHealth)>;

/// The relay part of `settings`, logging when it is off.
pub fn relay_from(settings: &crate::config::Settings) -> Relay {
    let relay = settings.kafka.relay().map(|s| (s, RelayHealth::on()));
    if relay.is_none() {
        tracing::info!("kafka relay off: KAFKA_BROKERS is not set");
    }
    relay
}

/// The Elasticsearch indexer a process runs (its client, and the health
/// handle with its counters), or `None` when Elasticsearch is not configured.
pub type Indexer = Option<(EsClient, IndexerHealth)>;

/// The indexer part of `settings`, logging when it is off.
pub fn indexer_from(settings: &crate::config::Settings) -> anyhow::Result<Indexer> {
    let Some(es) = settings.search.elasticsearch() else {
        tracing::info!(
            "elasticsearch off: ELASTICSEARCH_URL is not set; search answers from postgres"
        );
        return Ok(None);
    };
    let client = EsClient::new(es).map_err(|e| anyhow::anyhow!("ELASTICSEARCH_URL: {e}"))?;
    Ok(Some((client, IndexerHealth::new())))
}

/// The health handle of `relay`, `off` when there is none.
pub fn relay_health(relay: &Relay) -> RelayHealth {
    relay
        .as_ref()
        .map_or_else(RelayHealth::off, |(_, health)| health.clone())
}

/// One kind of background work, for `bazaar workers --only`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Part {
    /// The read models' projectors.
    Projections,
    /// The checkout saga.
    Saga,
    /// The durable scheduler's timers.
    Scheduler,
    /// The Kafka relay (if `KAFKA_BROKERS` is set).
    Relay,
    /// The Elasticsearch indexer (if `ELASTICSEARCH_URL` is set).
    Indexer,
}

/// Which parts a process runs: all of them when none is named.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parts(Vec<Part>);

impl Parts {
    /// Every part.
    pub fn all() -> Self {
        Self::default()
    }

    /// Only `parts` (every part if empty).
    pub fn only(parts: Vec<Part>) -> Self {
        Self(parts)
    }

    /// Whether this process runs `part`.
    pub fn runs(&self, part: Part) -> bool {
        self.0.is_empty() || self.0.contains(&part)
    }
}

/// The connections a process running `parts` (with a relay and an indexer
/// if configured, and the API if `api`) holds beside its pools' work:
/// an election lease per elected worker, a `LISTEN` per waiting one.
pub fn needs(parts: &Parts, (relay, indexer): (bool, bool), api: bool) -> Needs {
    let projections = registry::NAMES.len() as u32;
    let mut needs = Needs {
        api,
        ..Needs::default()
    };
    let mut add = |part: Part, on: bool, leases: u32, listeners: u32| {
        if on && parts.runs(part) {
            needs.workers = true;
            needs.leases += leases;
            needs.listeners += listeners;
        }
    };
    add(Part::Projections, true, projections, projections);
    add(Part::Saga, true, 1, 0);
    add(Part::Scheduler, true, 0, 0);
    add(Part::Relay, relay, 1, 1);
    add(Part::Indexer, indexer, 1, 1);
    needs
}

/// Runs the projections, the checkout saga, the scheduler, the Kafka
/// relay and the Elasticsearch indexer (each if configured and among
/// `parts`) until `stop`. Commands of `app` wake the projections, the
/// relay and the indexer through `notifier` at once.
pub async fn run(
    pool: PgPool,
    app: Arc<WriteSide>,
    notifier: Notifier,
    (relay, indexer): (Relay, Indexer),
    stop: Stop,
) {
    run_parts(pool, app, notifier, (relay, indexer), &Parts::all(), stop).await;
}

/// Like [`run`], for the parts named only, so each can scale apart.
pub async fn run_parts(
    pool: PgPool,
    app: Arc<WriteSide>,
    notifier: Notifier,
    (relay, indexer): (Relay, Indexer),
    parts: &Parts,
    stop: Stop,
) {
    let checkout = CheckoutSaga::new(Arc::clone(&app), CheckoutPolicy::default());
    let relay = relay.filter(|_| parts.runs(Part::Relay));
    let indexer = indexer.filter(|_| parts.runs(Part::Indexer));
    let elected = elected_parts(parts, (relay.is_some(), indexer.is_some()));
    // joined before the workers start, so they never grab every part first
    let membership = (!elected.is_empty()).then(|| Members::join(&pool, elected, stop.wait()));
    tokio::join!(
        async {
            if let Some(membership) = membership {
                membership.await;
            }
        },
        async {
            if parts.runs(Part::Projections) {
                registry::run_all(&pool, Some(&notifier), || stop.wait()).await;
            }
        },
        async {
            if parts.runs(Part::Saga) {
                let wake = SagaWake(
                    Wakeups::new(&pool, Some(&notifier))
                        .await
                        .with_poll(SAGA_POLL),
                );
                saga::run_worker(pool.clone(), checkout, wake, stop.wait()).await;
            }
        },
        async {
            if parts.runs(Part::Scheduler) {
                scheduler::run_worker(pool.clone(), app, SCHEDULER_POLL, stop.wait()).await;
            }
        },
        run_relay(&pool, relay, Some(&notifier), stop.wait()),
        run_indexer(&pool, indexer, stop.wait()),
    );
    tracing::info!("workers stopped");
}

/// The elected parts (spread over the worker processes, see
/// [`bazaar_event_store::election::members`]) a process running `parts`
/// competes for, with the relay and the indexer if configured. The
/// scheduler is not among them: it claims its timers (`SKIP LOCKED`).
pub fn elected_parts(parts: &Parts, (relay, indexer): (bool, bool)) -> Vec<String> {
    let mut elected = Vec::new();
    if parts.runs(Part::Projections) {
        elected.extend(
            registry::NAMES
                .iter()
                .map(|name| projection_worker::part(name)),
        );
    }
    if parts.runs(Part::Saga) {
        elected.push(saga::worker::part(CheckoutSaga::NAME));
    }
    if relay && parts.runs(Part::Relay) {
        elected.push(relay::PART.to_owned());
    }
    if indexer && parts.runs(Part::Indexer) {
        elected.push(indexer::PART.to_owned());
    }
    elected
}

/// Wakes the saga on the projections' signals: appends in this process
/// and `NOTIFY`s from others.
struct SagaWake(Wakeups);

impl saga::Wake for SagaWake {
    fn wait(&mut self) -> impl Future<Output = ()> + Send {
        self.0.wait()
    }
}

/// Runs the Kafka relay until `stop`, if there is one.
pub async fn run_relay(
    pool: &PgPool,
    relay: Relay,
    notifier: Option<&Notifier>,
    stop: impl Future<Output = ()>,
) {
    let Some((settings, health)) = relay else {
        return;
    };
    let wakeups = Wakeups::new(pool, notifier).await;
    relay::run(pool.clone(), settings, health, wakeups, stop).await;
}

/// Runs the Elasticsearch indexer until `stop`, if there is one. It wakes
/// when the `search` projection commits (recorded in this process, or
/// notified by another), not on appends: it ships what that projection wrote.
pub async fn run_indexer(pool: &PgPool, indexer: Indexer, stop: impl Future<Output = ()>) {
    let Some((es, health)) = indexer else {
        return;
    };
    let wakeups = indexer::DocsWakeups::new(pool).await;
    indexer::run(pool.clone(), es, health, wakeups, stop).await;
}

/// What the workers still have to do: events the checkout saga or a live
/// projection has not applied yet, and timers due; at most `limit` rows of
/// (worker, global position or 0, what), empty when they are idle. Timers
/// due later (payouts a day on, inspections) are not work yet. Each
/// worker's events are found by walking the commit-order index from its
/// checkpoint (ordered, limited), never by scanning the log; due timers
/// by the index on `due_at`, which `now()` can use and the volatile
/// `clock_timestamp()` cannot (it walked every pending timer).
pub async fn outstanding(pool: &PgPool, limit: i64) -> sqlx::Result<Vec<(String, i64, String)>> {
    sqlx::query_as(
        "(select 'checkout saga' as worker, e.global_position, e.aggregate_type || ' ' || e.event_type as what \
            from (select coalesce(max(c.tx_id), '0'::xid8) as tx_id, coalesce(max(c.position), 0) as position \
                    from subscription_checkpoint c where c.subscription_name = 'checkout-saga') c \
            cross join lateral ( \
                  select global_position, aggregate_type, event_type from events e \
                   where (e.tx_id, e.global_position) > (c.tx_id, c.position) \
                   order by e.tx_id, e.global_position limit $1) e) \
         union all \
         (select 'projection ' || p.projection_name, e.global_position, e.aggregate_type || ' ' || e.event_type \
            from projection p \
            cross join lateral ( \
                  select global_position, aggregate_type, event_type from events e \
                   where (e.tx_id, e.global_position) > (p.tx_id, p.position) \
                   order by e.tx_id, e.global_position limit $1) e \
           where p.status = 'live' limit $1) \
         union all \
         (select 'scheduler', 0, 'timer due on ' || s.aggregate_type || ' ' || s.aggregate_id \
            from scheduled_command s \
           where s.status = 'pending' and s.due_at <= now() limit $1) \
         order by 1, 2 limit $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// The write side, wired to wake this process's projections.
pub fn write_side(pool: &PgPool) -> (Arc<WriteSide>, Notifier) {
    let notifier = Notifier::new(pool.clone());
    (
        Arc::new(WriteSide::with_notifier(pool.clone(), notifier.clone())),
        notifier,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_elected_worker_counts_a_lease_and_every_waiting_one_a_listener() {
        let all = needs(&Parts::all(), (true, false), true);
        assert_eq!(
            (all.leases, all.listeners, all.api, all.workers),
            (9, 8, true, true)
        );
        let saga = needs(&Parts::only(vec![Part::Saga]), (true, true), false);
        assert_eq!((saga.leases, saga.listeners), (1, 0));
        let scheduler = needs(&Parts::only(vec![Part::Scheduler]), (false, false), false);
        assert!(scheduler.workers && scheduler.leases == 0);
    }

    #[test]
    fn no_part_named_means_every_part() {
        assert!(Parts::all().runs(Part::Saga));
        let only = Parts::only(vec![Part::Projections, Part::Relay]);
        assert!(only.runs(Part::Projections) && only.runs(Part::Relay));
        assert!(!only.runs(Part::Saga) && !only.runs(Part::Scheduler) && !only.runs(Part::Indexer));
    }
}
