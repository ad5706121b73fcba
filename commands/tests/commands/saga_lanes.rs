//! The saga's concurrency: different partitions at once, each partition's
//! events in commit order, and a checkpoint that never passes a reaction
//! that has not completed.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bazaar_commands::saga::worker::Polling;
use bazaar_commands::saga::{run_once, run_worker, Saga};
use bazaar_commands::WriteSide;
use bazaar_domain::ids::{BatchId, Sku, VendorId, WarehouseId};
use bazaar_domain::inventory::InventoryReservationCommand as Stock;
use bazaar_event_store::{load_checkpoint, Position, RecordedEvent};
use bazaar_testkit::fixtures::{meta, stock, t0, WAREHOUSE};
use chrono::NaiveDate;
use sqlx::PgPool;

const NAME: &str = "lanes-test";

/// Records every reaction (stream, sequence) in the order it completed,
/// how many ran at once at most, and fails the reactions it is told to.
#[derive(Default)]
struct Recorder {
    reacted: Mutex<Vec<(String, i64)>>,
    running: AtomicUsize,
    most_at_once: AtomicUsize,
    failing: Mutex<HashSet<(String, i64)>>,
}

/// A shared [`Recorder`]: the test keeps one handle, the saga runs the other.
#[derive(Clone, Default)]
struct Probe(Arc<Recorder>);

impl std::ops::Deref for Probe {
    type Target = Recorder;
    fn deref(&self) -> &Recorder {
        &self.0
    }
}

impl Saga for Probe {
    const NAME: &'static str = NAME;

    fn partition(&self, event: &RecordedEvent) -> Option<String> {
        (event.aggregate_type == "InventoryReservation").then(|| event.aggregate_id.clone())
    }

    async fn react(&self, event: &RecordedEvent) -> Result<(), String> {
        let key = (event.aggregate_id.clone(), event.sequence);
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_at_once.fetch_max(now, Ordering::SeqCst);
        // unequal pauses, so that lanes overtake each other
        let pause = (event.sequence * 7 + event.aggregate_id.len() as i64 * 3) % 11;
        tokio::time::sleep(Duration::from_millis(pause as u64)).await;
        self.running.fetch_sub(1, Ordering::SeqCst);
        if self.failing.lock().unwrap().contains(&key) {
            return Err(format!("told to fail {key:?}"));
        }
        self.reacted.lock().unwrap().push(key);
        Ok(())
    }
}

impl Recorder {
    fn reacted(&self) -> Vec<(String, i64)> {
        self.reacted.lock().unwrap().clone()
    }
}

/// `batches` stock receipts on each of `skus` SKUs, interleaved in commit
/// order: a stream of `batches` events per SKU.
async fn receipts(pool: &PgPool, skus: usize, batches: usize) {
    let app = WriteSide::new(pool.clone());
    for batch in 0..batches {
        for sku in 0..skus {
            let receive = Stock::ReceiveBatch {
                sku: Sku::parse(format!("sku-{sku}")).unwrap(),
                warehouse: WarehouseId::parse(WAREHOUSE).unwrap(),
                vendor: VendorId::parse("v-stock").unwrap(),
                batch: BatchId::parse(format!("b-{batch}")).unwrap(),
                quantity: 1,
                expires_on: NaiveDate::from_ymd_opt(2027, 1, 1),
                at: t0(),
            };
            let id = stock(&format!("sku-{sku}"));
            app.stock
                .execute(&id, receive, &meta("vendor:test"))
                .await
                .unwrap();
        }
    }
}

/// Every stream's sequences, in the order they were reacted to.
fn per_stream(reacted: &[(String, i64)]) -> HashMap<String, Vec<i64>> {
    let mut streams: HashMap<String, Vec<i64>> = HashMap::new();
    for (stream, sequence) in reacted {
        streams.entry(stream.clone()).or_default().push(*sequence);
    }
    streams
}

async fn position_of(pool: &PgPool, stream: &str, sequence: i64) -> Position {
    let (tx_id, position): (String, i64) = sqlx::query_as(
        "select tx_id::text, global_position from events where aggregate_id = $1 and sequence = $2",
    )
    .bind(stream)
    .bind(sequence)
    .fetch_one(pool)
    .await
    .unwrap();
    Position::new(tx_id.parse().unwrap(), position)
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn checkouts_react_at_once_and_each_ones_events_in_commit_order(pool: PgPool) {
    receipts(&pool, 12, 5).await;
    let saga = Probe::default();

    let last = position_of(&pool, &stock("sku-11"), 5).await;

    until(|| async {
        run_once(&pool, &saga, 500).await.unwrap();
        load_checkpoint(&pool, NAME).await.unwrap() >= last
    })
    .await;

    let reacted = saga.reacted();
    assert_eq!(reacted.len(), 60, "every event reacted to once");
    for (stream, sequences) in per_stream(&reacted) {
        assert_eq!(sequences, vec![1, 2, 3, 4, 5], "{stream} out of order");
    }
    assert!(
        saga.most_at_once.load(Ordering::SeqCst) > 1,
        "partitions did not run at once"
    );
    assert_eq!(load_checkpoint(&pool, NAME).await.unwrap(), last);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_failed_step_holds_the_checkpoint_before_it_and_its_checkout_back(pool: PgPool) {
    receipts(&pool, 6, 4).await;
    let saga = Probe::default();
    let broken = stock("sku-0");
    saga.failing.lock().unwrap().insert((broken.clone(), 2));

    // (a run may read nothing while another database's open transaction
    // holds the cluster-wide read horizon back)
    let failure = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            match run_once(&pool, &saga, 500).await {
                Err(failure) => return failure,
                Ok(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    })
    .await
    .expect("the broken step is reached");

    let failed_at = position_of(&pool, &broken, 2).await;
    let checkpoint = load_checkpoint(&pool, NAME).await.unwrap();
    assert!(
        checkpoint < failed_at,
        "the checkpoint passed the failed step"
    );
    assert!(failure.to_string().contains("told to fail"));
    let streams = per_stream(&saga.reacted());
    assert_eq!(streams[&broken], vec![1], "the broken checkout went on");
    for sequences in streams.values() {
        assert!(sequences.windows(2).all(|w| w[0] < w[1]));
    }

    // the step is mended: the next run takes it up from the checkpoint
    saga.failing.lock().unwrap().clear();
    let last = position_of(&pool, &stock("sku-5"), 4).await;
    until(|| async {
        run_once(&pool, &saga, 500).await.unwrap();
        load_checkpoint(&pool, NAME).await.unwrap() >= last
    })
    .await;
    let streams = per_stream(&saga.reacted());
    assert_eq!(streams[&broken], vec![1, 2, 3, 4]);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn the_worker_retries_a_failed_step_in_its_place_and_then_catches_up(pool: PgPool) {
    receipts(&pool, 6, 4).await;
    let saga = Probe::default();
    let broken = stock("sku-3");
    saga.failing.lock().unwrap().insert((broken.clone(), 1));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(run_worker(
        pool.clone(),
        saga.clone(),
        Polling(Duration::from_millis(10)),
        async move { drop(stopped.await) },
    ));

    let everything_else = 6 * 4 - 4;
    until(|| async { saga.reacted().len() >= everything_else }).await;
    let failed_at = position_of(&pool, &broken, 1).await;
    assert!(load_checkpoint(&pool, NAME).await.unwrap() < failed_at);
    assert!(!per_stream(&saga.reacted()).contains_key(&broken));
    saga.failing.lock().unwrap().clear();
    let last = position_of(&pool, &stock("sku-5"), 4).await;
    until(|| async { load_checkpoint(&pool, NAME).await.unwrap() >= last }).await;
    stop.send(()).unwrap();
    worker.await.unwrap();

    assert_eq!(per_stream(&saga.reacted())[&broken], vec![1, 2, 3, 4]);
    assert_eq!(saga.reacted().len(), 24);
}

/// Waits until `done` holds (a minute at most: a hang fails the test).
async fn until<F: std::future::Future<Output = bool>>(mut done: impl FnMut() -> F) {
    tokio::time::timeout(Duration::from_secs(60), async {
        while !done().await {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the saga got there");
}
