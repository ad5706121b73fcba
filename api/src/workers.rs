//! The background workers `bazaar serve` and `bazaar workers` run next to
//! (or without) the API: the projections, the checkout saga, the durable
//! scheduler and, when Kafka is configured, the Kafka relay (which `bazaar
//! relay` also runs alone). Each is elected across processes (advisory
//! locks) or claims its work (`SKIP LOCKED`), so any number of processes
//! may run them.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bazaar_commands::saga::checkout::{CheckoutPolicy, CheckoutSaga};
use bazaar_commands::{saga, scheduler, Bazaar};
use bazaar_event_store::Notifier;
use bazaar_projections::registry;
use bazaar_projections::relay::{self, RelayHealth, RelaySettings};
use bazaar_projections::wakeups::Wakeups;
use sqlx::PgPool;
use tokio::sync::watch;

/// How often an idle saga looks for new events.
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
            crate::startup::shutdown_signal().await;
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

/// The health handle of `relay`, `off` when there is none.
pub fn relay_health(relay: &Relay) -> RelayHealth {
    relay
        .as_ref()
        .map_or_else(RelayHealth::off, |(_, health)| health.clone())
}

/// Runs the projections, the checkout saga, the scheduler and the Kafka
/// relay (if configured) until `stop`. Commands of `app` wake the
/// projections and the relay through `notifier` at once.
pub async fn run(pool: PgPool, app: Arc<Bazaar>, notifier: Notifier, relay: Relay, stop: Stop) {
    let checkout = CheckoutSaga::new(Arc::clone(&app), CheckoutPolicy::default());
    tokio::join!(
        registry::run_all(&pool, Some(&notifier), || stop.wait()),
        saga::run_worker(pool.clone(), checkout, SAGA_POLL, stop.wait()),
        scheduler::run_worker(pool.clone(), app, SCHEDULER_POLL, stop.wait()),
        run_relay(&pool, relay, Some(&notifier), stop.wait()),
    );
    tracing::info!("workers stopped");
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

/// The write side, wired to wake this process's projections.
pub fn write_side(pool: &PgPool) -> (Arc<Bazaar>, Notifier) {
    let notifier = Notifier::new(pool.clone());
    (
        Arc::new(Bazaar::with_notifier(pool.clone(), notifier.clone())),
        notifier,
    )
}
