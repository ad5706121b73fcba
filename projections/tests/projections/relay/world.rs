//! Events to relay (from the real aggregates, or raw inserts for volume)
//! and a relay running in the background, stopped when dropped.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bazaar_commands::saga::checkout::{CheckoutPolicy, CheckoutSaga};
use bazaar_commands::saga::{run_once, Saga as _};
use bazaar_commands::WriteSide;
use bazaar_domain::ids::{BatchId, BuyerId, PaymentId, ProductId, Sku, VendorId, WarehouseId};
use bazaar_domain::inventory::{stock_id, InventoryReservationCommand as Stock};
use bazaar_domain::money::{Currency, FeeRate};
use bazaar_domain::order::{LineInput, OrderCommand};
use bazaar_event_store::trace_context::TraceParent;
use bazaar_event_store::{load_checkpoint, read_after, EventMetadata, Position, RecordedEvent};
use bazaar_projections::relay::{self, RelayHealth, RelaySettings, SUBSCRIPTION};
use bazaar_projections::wakeups::Wakeups;
use bazaar_testkit::fixtures::{eur, t0};
use bazaar_testkit::world::caught_up;
use chrono::{Duration as Span, NaiveDate};
use sqlx::PgPool;
use tokio::sync::oneshot;
use uuid::Uuid;

/// Topic prefix of every relay test.
pub(crate) const PREFIX: &str = "test.";

/// The aggregate types the checkout flow writes, plus the raw test type.
pub(crate) const TYPES: [&str; 5] = [
    "Order",
    "InventoryReservation",
    "PaymentSplit",
    "Escrow",
    "Ticker",
];

/// The relay's topic of each of [`TYPES`].
pub(crate) fn topics() -> Vec<String> {
    TYPES.iter().map(|t| format!("{PREFIX}{t}")).collect()
}

/// Metadata of a command a client sent inside a trace of its own.
fn meta(actor: &str) -> EventMetadata {
    let mut meta = EventMetadata::for_command(Uuid::now_v7(), actor);
    meta.traceparent = Some(TraceParent::new_root().to_string());
    meta
}

/// Checks out `orders` one-line orders of apples and pays them; the saga
/// reserves stock, splits payments and funds escrows. Every aggregate type
/// gets events.
pub(crate) async fn checkouts(pool: &PgPool, orders: usize) {
    let app = Arc::new(WriteSide::new(pool.clone()));
    let t0 = t0();
    let (sku, warehouse) = (
        Sku::parse("apple").unwrap(),
        WarehouseId::parse("w1").unwrap(),
    );
    let receive = Stock::ReceiveBatch {
        batch: BatchId::parse("b-apple").unwrap(),
        sku: sku.clone(),
        warehouse: warehouse.clone(),
        vendor: VendorId::parse("v-stock").unwrap(),
        quantity: 1_000,
        expires_on: NaiveDate::from_ymd_opt(2027, 1, 1),
        at: t0 - Span::days(1),
    };
    let stock = stock_id(&sku, &warehouse);
    app.stock
        .execute(&stock, receive, &meta("vendor:v-1"))
        .await
        .unwrap();
    for n in 0..orders {
        let id = format!("order-{n}");
        let line = LineInput {
            product: ProductId::parse("p-apple").unwrap(),
            sku: sku.clone(),
            warehouse: warehouse.clone(),
            vendor: VendorId::parse("vendor-a").unwrap(),
            title: "apples".to_owned(),
            quantity: 2,
            unit_price: eur(250),
        };
        let place = OrderCommand::PlaceOrder {
            buyer: BuyerId::parse("buyer-1").unwrap(),
            currency: Currency::parse("EUR").unwrap(),
            fee_rate: FeeRate::from_bps(1_000).unwrap(),
            lines: vec![line],
            payment_due_at: t0 + Span::minutes(30),
            at: t0,
        };
        app.orders
            .execute(&id, place, &meta("buyer:buyer-1"))
            .await
            .unwrap();
        let pay = OrderCommand::ConfirmPayment {
            payment_id: PaymentId::parse(format!("pay-{n}")).unwrap(),
            amount: eur(500),
            at: t0 + Span::minutes(5),
        };
        app.orders
            .execute(&id, pay, &meta("system:payments"))
            .await
            .unwrap();
    }
    let saga = CheckoutSaga::new(Arc::clone(&app), CheckoutPolicy::default());
    loop {
        if run_once(pool, &saga, 500).await.unwrap() > 0 {
            continue;
        }
        if caught_up(pool, CheckoutSaga::NAME).await {
            return;
        }
        // another database's open transaction holds the horizon back
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Appends `per_stream` events to each of `streams` new streams of
/// `aggregate_type`, round-robin, one transaction per event (so batches mix
/// streams and transactions); returns the stream ids.
pub(crate) async fn raw_events(
    pool: &PgPool,
    aggregate_type: &str,
    streams: usize,
    per_stream: i64,
) -> Vec<String> {
    let ids: Vec<String> = (0..streams).map(|_| Uuid::now_v7().to_string()).collect();
    for sequence in 1..=per_stream {
        for id in &ids {
            raw_event(pool, aggregate_type, id, sequence).await;
        }
    }
    ids
}

/// Appends event `sequence` of stream `aggregate_type`/`id`.
pub(crate) async fn raw_event(pool: &PgPool, aggregate_type: &str, id: &str, sequence: i64) {
    let metadata = serde_json::to_value(meta("system:test").to_map()).unwrap();
    sqlx::query(
        "insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
         values ($1, $2, $3, 'Ticked', '1.0', $4, $5)",
    )
    .bind(aggregate_type)
    .bind(id)
    .bind(sequence)
    .bind(serde_json::json!({"Ticked": {"n": sequence}}))
    .bind(metadata)
    .execute(pool)
    .await
    .unwrap();
}

/// Every event committed after `after`, in commit order; waits while the
/// read horizon (the oldest transaction running anywhere in the cluster)
/// still holds some back.
pub(crate) async fn events_after(pool: &PgPool, after: Position) -> Vec<RecordedEvent> {
    let committed = count_after(pool, after).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let readable = readable_after(pool, after).await;
        if readable.len() >= committed || Instant::now() > deadline {
            return readable;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// How many events were committed after `after`, readable or not.
pub(crate) async fn count_after(pool: &PgPool, after: Position) -> usize {
    let n: i64 = sqlx::query_scalar(
        "select count(*) from events where (tx_id, global_position) > ($1::text::xid8, $2)",
    )
    .bind(after.tx_id.to_string())
    .bind(after.global_position)
    .fetch_one(pool)
    .await
    .unwrap();
    usize::try_from(n).unwrap()
}

async fn readable_after(pool: &PgPool, after: Position) -> Vec<RecordedEvent> {
    let mut all = Vec::new();
    let mut at = after;
    loop {
        let batch = read_after(pool, at, 1_000).await.unwrap();
        let Some(last) = batch.last() else {
            return all;
        };
        at = last.position;
        all.extend(batch);
    }
}

/// The relay's checkpoint.
pub(crate) async fn checkpoint(pool: &PgPool) -> Position {
    load_checkpoint(pool, SUBSCRIPTION).await.unwrap()
}

/// Waits until the relay has passed every committed event.
pub(crate) async fn wait_caught_up(pool: &PgPool, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while !caught_up(pool, SUBSCRIPTION).await {
        let at = checkpoint(pool).await;
        assert!(Instant::now() < deadline, "relay stuck at {at}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Test settings: short delivery timeout and back-off, small batches.
pub(crate) fn settings(brokers: &str) -> RelaySettings {
    let mut settings = RelaySettings::new(brokers);
    settings.topic_prefix = PREFIX.to_owned();
    settings.delivery_timeout = Duration::from_secs(3);
    settings.max_backoff = Duration::from_secs(1);
    settings.batch_size = 100;
    settings
}

/// A relay running in the background until dropped.
pub(crate) struct RunningRelay {
    pub(crate) health: RelayHealth,
    _stop: oneshot::Sender<()>,
}

pub(crate) fn spawn_relay(pool: &PgPool, settings: RelaySettings) -> RunningRelay {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(std::env::var("TEST_LOG").unwrap_or_default())
            .with_test_writer()
            .try_init();
    }
    let health = RelayHealth::on();
    let (stop, stopped) = oneshot::channel::<()>();
    let wakeups = Wakeups::polling(Duration::from_millis(20));
    tokio::spawn(relay::run(
        pool.clone(),
        settings,
        health.clone(),
        wakeups,
        async {
            let _ = stopped.await;
        },
    ));
    RunningRelay {
        health,
        _stop: stop,
    }
}
