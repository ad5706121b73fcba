//! Commit-to-searchable lag: orders placed through the executors (in
//! process, no HTTP, no saga) at each of `BENCH_LAG_RATES` per second
//! (default 100 and 1,000) for `BENCH_SECONDS` (default 10), while every
//! projection worker and the Elasticsearch indexer run in process as in
//! `bazaar serve`. Per order, from its command's answer (its commit):
//!
//! - to its document in `read.search_orders` (the first hop);
//! - to shipped: the indexer's checkpoint (`search-es`) at or past the
//!   order's position, so its bulk request was answered (both hops);
//! - to the first `_search` that finds it (searchable: shipped, then made
//!   visible by the index's refresh, every 1 s by default).
//!
//! The observer reads Postgres every 10 ms, and searches every
//! [`SEARCH_EVERY`] (each search costs the server, which the indexer shares).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bazaar_commands::WriteSide;
use bazaar_domain::ids::{BuyerId, ProductId, Sku, VendorId, WarehouseId};
use bazaar_domain::money::{Currency, FeeRate};
use bazaar_domain::order::{LineInput, OrderCommand};
use bazaar_event_store::{Notifier, Position};
use bazaar_projections::registry;
use bazaar_projections::search::es::health::IndexerState;
use bazaar_projections::search::es::worker::{self, DocsWakeups};
use bazaar_projections::search::es::{DocKind, EsClient, IndexerHealth};
use bazaar_testkit::fixtures::{eur, meta};
use chrono::{Duration as Span, Utc};
use elasticsearch::SearchParts;
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio::sync::{mpsc, watch};

/// How often the observer reads Postgres.
const OBSERVE: Duration = Duration::from_millis(10);
/// How often it searches.
const SEARCH_EVERY: Duration = Duration::from_millis(100);

fn place(n: u64) -> OrderCommand {
    let word = super::docs::WORDS[n as usize % super::docs::WORDS.len()];
    let line = LineInput {
        product: ProductId::parse(format!("p-{word}")).unwrap(),
        sku: Sku::parse(format!("sku-{word}")).unwrap(),
        warehouse: WarehouseId::parse("w1").unwrap(),
        vendor: VendorId::parse(format!("vendor-{}", n % 50)).unwrap(),
        title: format!("{word} grade"),
        quantity: 1 + n as u32 % 3,
        unit_price: eur(199 + n as i64 % 1_000),
    };
    OrderCommand::PlaceOrder {
        buyer: BuyerId::parse(format!("buyer-{}", n % 5_000)).unwrap(),
        currency: Currency::parse("EUR").unwrap(),
        fee_rate: FeeRate::from_bps(1_000).unwrap(),
        lines: vec![line],
        payment_due_at: Utc::now() + Span::hours(1),
        at: Utc::now(),
    }
}

/// Runs the workers and the indexer, then one phase per rate.
pub(crate) async fn measure(pool: &PgPool, es: &EsClient, rates: &[u64], seconds: u64) {
    let notifier = Notifier::new(pool.clone());
    let app = Arc::new(WriteSide::with_notifier(pool.clone(), notifier.clone()));
    let (stop, stopped) = watch::channel(false);
    let wait = || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        }
    };
    let health = IndexerHealth::new();
    let phases = async {
        while health.report().state != IndexerState::Up {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        for &rate in rates {
            tokio::time::sleep(Duration::from_secs(1)).await;
            phase(pool, es, &app, rate, seconds).await;
        }
        let _ = stop.send(true);
    };
    let indexer = async {
        let wakeups = DocsWakeups::new(pool).await;
        worker::run(pool.clone(), es.clone(), health.clone(), wakeups, wait()).await;
    };
    tokio::join!(
        phases,
        registry::run_all(pool, Some(&notifier), wait),
        indexer
    );
}

async fn phase(pool: &PgPool, es: &EsClient, app: &Arc<WriteSide>, rate: u64, seconds: u64) {
    let (committed, seen) = mpsc::unbounded_channel();
    let started = Instant::now();
    let (placed, [hop, shipped, searchable]) = tokio::join!(
        drive(app, rate, seconds, committed),
        observe(pool, es, seen)
    );
    let placed_per_second = placed as f64 / seconds as f64;
    let elapsed = started.elapsed().as_secs_f64();
    let (hop, shipped, searchable) = (summary(hop), summary(shipped), summary(searchable));
    println!(
        "{{\"mode\": \"lag\", \"offered_per_second\": {rate}, \"placed\": {placed}, \
         \"placed_per_second\": {placed_per_second:.1}, \"phase_seconds\": {elapsed:.1}, \
         \"to_search_docs_ms\": {hop}, \"to_shipped_ms\": {shipped}, \
         \"commit_to_searchable_ms\": {searchable}}}"
    );
}

/// p50, p99 and max in milliseconds, as JSON.
fn summary(mut lags: Vec<Duration>) -> Value {
    if lags.is_empty() {
        return Value::Null;
    }
    lags.sort_unstable();
    let at = |p: f64| {
        let i = ((lags.len() as f64 - 1.0) * p).round() as usize;
        (lags[i].as_secs_f64() * 1e4).round() / 10.0
    };
    json!({"n": lags.len(), "p50": at(0.5), "p99": at(0.99), "max": at(1.0)})
}

/// Places orders at `rate`/s for `seconds`; how many were placed.
async fn drive(
    app: &Arc<WriteSide>,
    rate: u64,
    seconds: u64,
    committed: mpsc::UnboundedSender<Committed>,
) -> u64 {
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = tokio::task::JoinSet::new();
    let mut n = 0;
    while Instant::now() < deadline {
        tick.tick().await;
        n += 1;
        let (app, committed) = (Arc::clone(app), committed.clone());
        tasks.spawn(async move {
            let id = format!("lag-{rate}-{n}");
            let meta = meta("system:bench");
            let outcome = app.orders.execute(&id, place(n), &meta).await.ok()?;
            let at = Instant::now();
            let _ = committed.send((id, outcome.last_position?, at));
            Some(())
        });
    }
    let mut placed = 0;
    while let Some(done) = tasks.join_next().await {
        placed += u64::from(matches!(done, Ok(Some(()))));
    }
    placed
}

/// An order placed: its id, its event's position, when it was answered.
type Committed = (String, Position, Instant);

/// Orders not seen yet, by when their command was answered.
type Pending = HashMap<String, Instant>;

/// The lags to `read.search_orders`, to shipped and to searchable.
async fn observe(
    pool: &PgPool,
    es: &EsClient,
    mut seen: mpsc::UnboundedReceiver<Committed>,
) -> [Vec<Duration>; 3] {
    let (mut in_docs, mut in_es) = (Pending::new(), Pending::new());
    let mut unshipped: Vec<(Position, Instant)> = Vec::new();
    let (mut hop, mut shipped, mut searchable) = (Vec::new(), Vec::new(), Vec::new());
    let give_up = Duration::from_secs(300);
    let (mut progress, mut searched) = (Instant::now(), Instant::now());
    loop {
        while let Ok((id, position, at)) = seen.try_recv() {
            in_docs.insert(id.clone(), at);
            in_es.insert(id, at);
            unshipped.push((position, at));
        }
        let open = !seen.is_closed() || !seen.is_empty();
        if !open && in_es.is_empty() || progress.elapsed() > give_up {
            break;
        }
        if !in_docs.is_empty() {
            let found = in_search_docs(pool, &in_docs).await;
            take(&mut in_docs, found, &mut hop);
        }
        if let Some(checkpoint) = indexer_checkpoint(pool).await {
            let now = Instant::now();
            unshipped.retain(|(position, at)| {
                let done = *position <= checkpoint;
                if done {
                    shipped.push(now.saturating_duration_since(*at));
                }
                !done
            });
        }
        if !in_es.is_empty() && searched.elapsed() >= SEARCH_EVERY {
            searched = Instant::now();
            let found = searchable_ids(es, &in_es).await;
            if take(&mut in_es, found, &mut searchable) {
                progress = Instant::now();
            }
        }
        tokio::time::sleep(OBSERVE).await;
    }
    [hop, shipped, searchable]
}

/// The indexer's checkpoint: every event up to it is shipped.
async fn indexer_checkpoint(pool: &PgPool) -> Option<Position> {
    let row: Option<(String, i64)> = sqlx::query_as(
        "select tx_id::text, position from projection \
          where projection_name = 'search-es' and status = 'live'",
    )
    .fetch_optional(pool)
    .await
    .ok()?;
    let (tx_id, position) = row?;
    Some(Position::new(tx_id.parse().ok()?, position))
}

/// Moves `found` out of `pending` into `lags`; whether any was pending.
fn take(pending: &mut Pending, found: Vec<String>, lags: &mut Vec<Duration>) -> bool {
    let now = Instant::now();
    let before = lags.len();
    for id in found {
        if let Some(at) = pending.remove(&id) {
            lags.push(now.saturating_duration_since(at));
        }
    }
    lags.len() > before
}

async fn in_search_docs(pool: &PgPool, pending: &Pending) -> Vec<String> {
    let ids: Vec<&str> = pending.keys().map(String::as_str).collect();
    sqlx::query_scalar("select order_id from read.search_orders where order_id = any($1)")
        .bind(&ids)
        .fetch_all(pool)
        .await
        .unwrap_or_default()
}

/// Which of `pending` a search finds now.
async fn searchable_ids(es: &EsClient, pending: &Pending) -> Vec<String> {
    let ids: Vec<&str> = pending.keys().map(String::as_str).collect();
    let alias = es.alias(DocKind::Orders);
    let body = json!({
        "size": ids.len(),
        "_source": ["order_id"],
        "query": {"bool": {"filter": [{"terms": {"order_id": ids}}]}},
    });
    let sent = es
        .client()
        .search(SearchParts::Index(&[&alias]))
        .body(body)
        .send()
        .await;
    let Ok(response) = sent else {
        return Vec::new();
    };
    let Ok(body) = response.json::<Value>().await else {
        return Vec::new();
    };
    body["hits"]["hits"]
        .as_array()
        .map(|hits| {
            hits.iter()
                .filter_map(|h| h["_source"]["order_id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
