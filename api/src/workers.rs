//! The background workers `bazaar serve` and `bazaar workers` run next to
//! (or without) the API: the projections, the checkout saga and the durable
//! scheduler. Each is elected across processes (advisory locks) or claims
//! its work (`SKIP LOCKED`), so any number of processes may run them.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bazaar_commands::saga::checkout::{CheckoutPolicy, CheckoutSaga};
use bazaar_commands::{saga, scheduler, Bazaar};
use bazaar_event_store::Notifier;
use bazaar_projections::registry;
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
}

/// Runs the projections, the checkout saga and the scheduler until `stop`.
/// Commands of `app` wake the projections through `notifier` at once.
pub async fn run(pool: PgPool, app: Arc<Bazaar>, notifier: Notifier, stop: Stop) {
    let checkout = CheckoutSaga::new(Arc::clone(&app), CheckoutPolicy::default());
    tokio::join!(
        registry::run_all(&pool, Some(&notifier), || stop.wait()),
        saga::run_worker(pool.clone(), checkout, SAGA_POLL, stop.wait()),
        scheduler::run_worker(pool.clone(), app, SCHEDULER_POLL, stop.wait()),
    );
    tracing::info!("workers stopped");
}

/// The write side, wired to wake this process's projections.
pub fn write_side(pool: &PgPool) -> (Arc<Bazaar>, Notifier) {
    let notifier = Notifier::new(pool.clone());
    (
        Arc::new(Bazaar::with_notifier(pool.clone(), notifier.clone())),
        notifier,
    )
}
