//! Projection benchmarks, run by `scripts/bench-projections.sh`.
//!
//! - `rebuild`: fills the store with `BENCH_EVENTS` (default 1,000,000) Order
//!   events — real checkout streams written through the executors, cloned
//!   with `INSERT … SELECT` under new ids — then rebuilds the `orders` read
//!   model from zero, beside the raw `INSERT … SELECT` copy of the same rows.
//! - `lag`: places orders at `BENCH_RATE` commands/s (default 1,000) for
//!   `BENCH_SECONDS` while the projection workers run in-process (as in
//!   `bazaar serve`), and measures per command the time from its commit to
//!   its row in `read.orders`.
//!
//! - `rebuild_all`: every read model rebuilt over a log of real checkouts
//!   (see `mixed`).
//!
//! `DATABASE_URL` must name a scratch database; `BENCH_MODES` picks modes.

#[path = "projections/mixed.rs"]
mod mixed;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bazaar_commands::WriteSide;
use bazaar_domain::ids::{BuyerId, ProductId, Sku, VendorId, WarehouseId};
use bazaar_domain::money::{Currency, FeeRate};
use bazaar_domain::order::{LineInput, OrderCommand};
use bazaar_event_store::{EventMetadata, Notifier};
use bazaar_projections::read_models::orders::Orders;
use bazaar_projections::wakeups::Wakeups;
use bazaar_projections::{registry, worker};
use bazaar_testkit::bench::{env_or, scratch_pool};
use bazaar_testkit::fixtures::{self, eur};
use chrono::{Duration as Span, Utc};
use sqlx::PgPool;
use tokio::sync::{mpsc, watch};

fn place(lines: usize) -> OrderCommand {
    let line = |n: usize| LineInput {
        product: ProductId::parse(format!("p-{n}")).unwrap(),
        sku: Sku::parse(format!("sku-{n}")).unwrap(),
        warehouse: WarehouseId::parse("w1").unwrap(),
        vendor: VendorId::parse(format!("vendor-{}", n % 3)).unwrap(),
        title: format!("item {n}"),
        quantity: 1 + n as u32 % 3,
        unit_price: eur(199 + n as i64),
    };
    OrderCommand::PlaceOrder {
        buyer: BuyerId::parse("buyer-bench").unwrap(),
        currency: Currency::parse("EUR").unwrap(),
        fee_rate: FeeRate::from_bps(1_000).unwrap(),
        lines: (0..lines).map(line).collect(),
        payment_due_at: Utc::now() + Span::hours(1),
        at: Utc::now(),
    }
}

/// Metadata of a benchmark's command.
fn meta() -> EventMetadata {
    fixtures::meta("system:bench")
}

/// Seeds real order streams (placed, then cancelled), then clones them up to
/// `total` events with one `INSERT … SELECT`.
async fn seed(pool: &PgPool, app: &WriteSide, total: u64) {
    for n in 0..500 {
        let id = format!("seed-{n}");
        app.orders
            .execute(&id, place(1 + n % 4), &meta())
            .await
            .expect("place");
        let cancel = OrderCommand::CancelOrder {
            reason: "bench".into(),
            at: Utc::now(),
        };
        app.orders
            .execute(&id, cancel, &meta())
            .await
            .expect("cancel");
    }
    let copies = total.div_ceil(1_000);
    let started = Instant::now();
    sqlx::query(
        "insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
         select e.aggregate_type, e.aggregate_id || '-' || n, e.sequence, e.event_type, e.event_version, \
                e.payload, e.metadata \
           from events e cross join generate_series(1, $1::bigint) n \
          order by n, e.aggregate_id, e.sequence",
    )
    .bind(i64::try_from(copies).unwrap())
    .execute(pool)
    .await
    .expect("clone");
    eprintln!(
        "seeded {} events in {:.1}s",
        count(pool).await,
        started.elapsed().as_secs_f64()
    );
}

async fn count(pool: &PgPool) -> i64 {
    sqlx::query_scalar("select count(*) from events")
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn rebuild(pool: &PgPool, app: &WriteSide) {
    seed(pool, app, env_or("BENCH_EVENTS", 1_000_000)).await;
    let events = count(pool).await as f64;
    let copy = insert_select_rate(pool, events).await;
    let started = Instant::now();
    registry::rebuild(pool, "orders", |_, _| {})
        .await
        .expect("rebuild");
    let rate = events / started.elapsed().as_secs_f64();
    println!(
        "{{\"mode\":\"rebuild\",\"projection\":\"orders\",\"events\":{events},\"events_per_second\":{rate:.0},\
         \"insert_select_rows_per_second\":{copy:.0},\"ratio\":{:.3}}}",
        rate / copy
    );
}

/// Rows per second of a raw `INSERT … SELECT` copy of the log.
async fn insert_select_rate(pool: &PgPool, events: f64) -> f64 {
    sqlx::raw_sql("drop table if exists events_copy; create table events_copy as select * from events with no data")
        .execute(pool)
        .await
        .unwrap();
    let started = Instant::now();
    sqlx::query("insert into events_copy select * from events")
        .execute(pool)
        .await
        .unwrap();
    events / started.elapsed().as_secs_f64()
}

/// Places orders at `rate`/s for `seconds`; the observer records when each
/// order's row appears in `read.orders`.
async fn lag(pool: &PgPool) {
    let notifier = Notifier::new(pool.clone());
    let app = Arc::new(WriteSide::with_notifier(pool.clone(), notifier.clone()));
    let (stop, stopped) = watch::channel(false);
    let wait = || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        }
    };
    let (committed, seen) = mpsc::unbounded_channel();
    let load = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let result = tokio::join!(drive(Arc::clone(&app), committed), observe(pool, seen));
        let _ = stop.send(true);
        result.1
    };
    let workers = async {
        if std::env::var("BENCH_ONLY_ORDERS").is_ok() {
            let wakeups = Wakeups::new(pool, Some(&notifier)).await;
            worker::run(pool.clone(), Orders, wakeups, wait()).await;
        } else {
            registry::run_all(pool, Some(&notifier), wait).await;
        }
    };
    let (mut lags, ()) = tokio::join!(load, workers);
    report_lag(&mut lags);
}

async fn drive(app: Arc<WriteSide>, committed: mpsc::UnboundedSender<(String, Instant)>) {
    let (rate, seconds) = (
        env_or::<u64>("BENCH_RATE", 1_000),
        env_or::<u64>("BENCH_SECONDS", 20),
    );
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..rate * seconds {
        tick.tick().await;
        let (app, committed) = (Arc::clone(&app), committed.clone());
        tasks.spawn(async move {
            let id = format!("lag-{n}");
            app.orders
                .execute(&id, place(1), &meta())
                .await
                .expect("place");
            let _ = committed.send((id, Instant::now()));
        });
    }
    while tasks.join_next().await.is_some() {}
}

async fn observe(
    pool: &PgPool,
    mut seen: mpsc::UnboundedReceiver<(String, Instant)>,
) -> Vec<Duration> {
    let mut pending: HashMap<String, Instant> = HashMap::new();
    let mut lags = Vec::new();
    let mut open = true;
    while open || !pending.is_empty() {
        while let Ok((id, at)) = seen.try_recv() {
            pending.insert(id, at);
        }
        open = !seen.is_closed() || !seen.is_empty();
        if pending.is_empty() {
            tokio::time::sleep(Duration::from_millis(1)).await;
            continue;
        }
        let ids: Vec<String> = pending.keys().cloned().collect();
        let found: Vec<String> =
            sqlx::query_scalar("select order_id from read.orders where order_id = any($1)")
                .bind(&ids)
                .fetch_all(pool)
                .await
                .unwrap();
        let now = Instant::now();
        for id in found {
            if let Some(at) = pending.remove(&id) {
                lags.push(now.saturating_duration_since(at));
            }
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    lags
}

fn report_lag(lags: &mut [Duration]) {
    lags.sort_unstable();
    let pct =
        |p: f64| lags[((lags.len() as f64 * p) as usize).min(lags.len() - 1)].as_secs_f64() * 1e3;
    println!(
        "{{\"mode\":\"lag\",\"commands\":{},\"rate\":{},\"p50_ms\":{:.1},\"p99_ms\":{:.1},\"max_ms\":{:.1}}}",
        lags.len(),
        env_or::<u64>("BENCH_RATE", 1_000),
        pct(0.50),
        pct(0.99),
        pct(1.0)
    );
}

fn main() {
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(async {
            let pool = scratch_pool(40).await;
            let app = Arc::new(WriteSide::new(pool.clone()));
            let modes = std::env::var("BENCH_MODES").unwrap_or_else(|_| "lag,rebuild".into());
            for mode in modes.split(',') {
                match mode {
                    "rebuild" => rebuild(&pool, &app).await,
                    "lag" => lag(&pool).await,
                    "rebuild_all" => mixed::rebuild_all(&pool).await,
                    other => panic!("unknown mode {other}"),
                }
            }
        });
}
