//! The broker goes away: commands are still accepted, the checkpoint stays
//! where delivery stopped, the relay reports itself down, and once the
//! broker is back every event after the checkpoint is published — none
//! lost, duplicates allowed and told apart by `ce_id`.
//!
//! Tansu's memory storage forgets everything on restart (records and
//! topics), so these tests count what reaches the restarted broker: every
//! event after the checkpoint the relay held while the broker was down. The
//! relay recreates the topics itself (the harness does not).

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bazaar_event_store::{Position, RecordedEvent};
use bazaar_projections::relay::RelayStatus;
use bazaar_testkit::broker::Broker;
use sqlx::PgPool;
use uuid::Uuid;

use super::consume::{applied_in_order, consume, firsts, sequences, Received};
use super::world::{
    checkouts, checkpoint, count_after, events_after, raw_event, settings, spawn_relay, topics,
    wait_caught_up,
};

/// Longer than a failed delivery (3 s) and a back-off (1 s) together.
const OUTAGE: Duration = Duration::from_secs(6);

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn the_checkpoint_stays_while_the_broker_is_down_and_nothing_is_lost(pool: PgPool) {
    let mut broker = Broker::start().await;
    broker.stop().await;
    checkouts(&pool, 3).await; // commands are accepted without Kafka
    let events = events_after(&pool, Position::START).await;

    let relay = spawn_relay(&pool, settings(&broker.address()));
    tokio::time::sleep(OUTAGE).await;
    assert_eq!(checkpoint(&pool).await, Position::START);
    let check = relay.health.check(&pool).await;
    assert_eq!(check.status, RelayStatus::Down, "{check:?}");
    assert!(check.error.is_some());

    broker.restart().await;
    wait_caught_up(&pool, Duration::from_secs(60)).await;
    let ids = events.iter().map(|e| e.event_id).collect();
    let received = consume(&broker.address(), &topics(), &ids, Duration::from_secs(60)).await;

    assert_every_event_arrived(&received, &events);
    assert_eq!(relay.health.check(&pool).await.status, RelayStatus::Ok);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_broker_restart_mid_stream_loses_no_event(pool: PgPool) {
    let mut broker = Broker::start().await;
    let relay = spawn_relay(&pool, settings(&broker.address()));
    let writer = Writer::start(&pool, 8);
    wait_until_relayed(&pool, 200).await;

    broker.stop().await;
    tokio::time::sleep(Duration::from_secs(1)).await; // acks already received may still be checkpointed
    let held = checkpoint(&pool).await;
    tokio::time::sleep(OUTAGE).await;
    let during_outage = count_after(&pool, held).await;
    assert_eq!(
        checkpoint(&pool).await,
        held,
        "the checkpoint moved without a broker"
    );
    assert_eq!(relay.health.check(&pool).await.status, RelayStatus::Down);

    broker.restart().await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    writer.stop().await;
    wait_caught_up(&pool, Duration::from_secs(60)).await;
    let after = events_after(&pool, held).await;
    let ids = after.iter().map(|e| e.event_id).collect();
    let received = consume(&broker.address(), &topics(), &ids, Duration::from_secs(60)).await;

    assert!(during_outage > 0, "nothing was written during the outage");
    assert_every_event_arrived(&received, &after);
}

/// Every event is on its topic at least once; each stream applies in
/// order under the contract's rule; duplicates, if any, share a `ce_id`.
fn assert_every_event_arrived(received: &[Received], events: &[RecordedEvent]) {
    let seen: HashSet<Uuid> = received.iter().map(Received::event_id).collect();
    let lost: Vec<_> = events
        .iter()
        .filter(|e| !seen.contains(&e.event_id))
        .collect();
    assert!(lost.is_empty(), "{} events lost: {lost:?}", lost.len());
    let expected = sequences(events);
    let first = firsts(&expected);
    assert_eq!(applied_in_order(received, &first), expected);
    let duplicates = received.len() - seen.len();
    eprintln!(
        "{} records, {} duplicates by ce_id",
        received.len(),
        duplicates
    );
}

/// Waits until the relay has delivered at least `n` events.
async fn wait_until_relayed(pool: &PgPool, n: i64) {
    tokio::time::timeout(Duration::from_secs(60), async {
        while checkpoint(pool).await.global_position < n {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the relay publishes");
}

/// Appends events to `streams` streams of type `Ticker`, round-robin, until
/// stopped: commands keep arriving whatever Kafka does.
struct Writer {
    running: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Writer {
    fn start(pool: &PgPool, streams: usize) -> Self {
        let running = Arc::new(AtomicBool::new(true));
        let (pool, flag) = (pool.clone(), Arc::clone(&running));
        let task = tokio::spawn(async move {
            let ids: Vec<String> = (0..streams).map(|_| Uuid::now_v7().to_string()).collect();
            let mut sequence = 0;
            while flag.load(Ordering::SeqCst) {
                sequence += 1;
                for id in &ids {
                    raw_event(&pool, "Ticker", id, sequence).await;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        });
        Self { running, task }
    }

    async fn stop(self) {
        self.running.store(false, Ordering::SeqCst);
        self.task.await.unwrap();
    }
}
