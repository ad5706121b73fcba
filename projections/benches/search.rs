//! Latency of the Postgres search fallback, run by `scripts/bench-search.sh`.
//!
//! Seeds `BENCH_ORDERS` (default 100,000) order documents into a fresh
//! `search` generation through the projection's own write (buyers, vendors,
//! titles, statuses and dates drawn from a fixed pseudo-random sequence, so
//! every run searches the same data), then times each kind of search
//! `BENCH_RUNS` times (default 200) and prints p50/p95/p99 in milliseconds,
//! one JSON line per kind.
//!
//! `DATABASE_URL` must name a scratch database; with `BENCH_REUSE` set, the
//! documents already seeded there are searched again.

use std::time::Instant;

use bazaar_event_store::PgSettings;
use bazaar_projections::generation::ensure_live;
use bazaar_projections::search::document::{LineDoc, OrderDoc, VendorPart};
use bazaar_projections::search::request::{OrderQuery, OrderSearch, Scope};
use bazaar_projections::search::store::{write_order, SearchDocs};
use bazaar_projections::search::Search;
use chrono::{Duration, TimeZone, Utc};
use sqlx::PgPool;

const WORDS: &[&str] = &[
    "apple", "bread", "cheese", "olive", "oil", "honey", "coffee", "tea", "rice", "salt", "pepper",
    "wine", "butter", "pasta", "flour", "sugar", "lemon", "garlic", "tomato", "basil",
];
const STATUSES: &[(&str, &str)] = &[
    ("AWAITING_PAYMENT", "CREATED"),
    ("PAID", "PAID"),
    ("SHIPPED", "SHIPPED"),
    ("DELIVERED", "DELIVERED"),
    ("COMPLETED", "COMPLETED"),
    ("CANCELLED", "CANCELLED"),
];

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A deterministic xorshift sequence.
struct Draw(u64);

impl Draw {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

fn order(n: u64, draw: &mut Draw) -> OrderDoc {
    let placed = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
        + Duration::minutes(draw.next(525_600) as i64);
    let (status, part_status) = STATUSES[draw.next(STATUSES.len() as u64) as usize];
    let mut line_no = 0;
    let vendors: Vec<VendorPart> = (0..1 + draw.next(3))
        .map(|_| {
            let lines: Vec<LineDoc> = (0..1 + draw.next(4))
                .map(|_| {
                    line_no += 1;
                    let word = WORDS[draw.next(WORDS.len() as u64) as usize];
                    let (quantity, unit_price) =
                        (1 + draw.next(5) as u32, 100 + draw.next(5_000) as i64);
                    LineDoc {
                        line_no,
                        product_id: format!("p-{word}-{}", draw.next(100)),
                        sku: format!("sku-{word}-{}", draw.next(100)),
                        warehouse_id: "w1".into(),
                        title: format!(
                            "{word} {} grade",
                            WORDS[draw.next(WORDS.len() as u64) as usize]
                        ),
                        quantity,
                        unit_price,
                        line_total: unit_price * i64::from(quantity),
                        shipped: 0,
                        returned: 0,
                        refunded: 0,
                    }
                })
                .collect();
            VendorPart {
                vendor_id: format!("vendor-{}", draw.next(50)),
                status: part_status.into(),
                subtotal: lines.iter().map(|l| l.line_total).sum(),
                refunded: 0,
                currency: "EUR".into(),
                placed_at: placed,
                tracking: None,
                packed_at: None,
                shipped_at: None,
                delivered_at: None,
                completed_at: None,
                cancelled_at: None,
                lines,
                text: String::new(),
            }
        })
        .collect();
    let mut vendors = vendors;
    vendors.sort_by(|a, b| a.vendor_id.cmp(&b.vendor_id));
    vendors.dedup_by(|a, b| a.vendor_id == b.vendor_id);
    let mut doc = OrderDoc {
        order_id: format!("o-{n:07}"),
        buyer_id: format!("buyer-{}", draw.next(5_000)),
        status: status.into(),
        currency: "EUR".into(),
        total: vendors.iter().map(|v| v.subtotal).sum(),
        refunded: 0,
        placed_at: placed,
        paid_at: None,
        cancelled_at: None,
        updated_at: placed,
        vendors,
        text: String::new(),
    };
    doc.refresh_text();
    doc
}

async fn seed(pool: &PgPool, orders: u64) {
    let generation = ensure_live(pool, &SearchDocs).await.unwrap();
    let schema = generation.schema();
    let mut draw = Draw(0x9E37_79B9_7F4A_7C15);
    let started = Instant::now();
    for chunk in (0..orders).collect::<Vec<_>>().chunks(1_000) {
        let mut tx = bazaar_event_store::pool::begin(pool).await.unwrap();
        sqlx::raw_sql(&format!("set local search_path = {schema}, public"))
            .execute(&mut *tx)
            .await
            .unwrap();
        for n in chunk {
            write_order(&mut tx, &order(*n, &mut draw), 1)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }
    sqlx::raw_sql(&format!(
        "analyze {schema}.search_orders; analyze {schema}.search_order_vendors"
    ))
    .execute(pool)
    .await
    .unwrap();
    eprintln!(
        "seeded {orders} orders in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn time(search: &Search, name: &str, runs: u64, make: impl Fn(u64) -> OrderSearch) {
    let mut ms = Vec::new();
    let mut hits = 0;
    for run in 0..runs {
        let request = make(run);
        let started = Instant::now();
        let page = search.orders(&request).await.unwrap();
        ms.push(started.elapsed().as_secs_f64() * 1_000.0);
        hits += page.hits.len();
    }
    ms.sort_by(f64::total_cmp);
    println!(
        "{{\"search\": \"{name}\", \"runs\": {runs}, \"p50_ms\": {:.2}, \"p95_ms\": {:.2}, \"p99_ms\": {:.2}, \"mean_hits\": {:.1}}}",
        percentile(&ms, 0.5),
        percentile(&ms, 0.95),
        percentile(&ms, 0.99),
        hits as f64 / runs as f64
    );
}

async fn deep_cursor(search: &Search, pages: u32) -> Option<String> {
    let mut cursor = None;
    for _ in 0..pages {
        let query = OrderQuery {
            cursor: cursor.clone(),
            ..OrderQuery::default()
        };
        cursor = search
            .orders(&OrderSearch {
                scope: Scope::All,
                query,
            })
            .await
            .unwrap()
            .next_cursor;
    }
    cursor
}

#[tokio::main]
async fn main() {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL names a scratch database");
    let pool = bazaar_event_store::connect(&PgSettings::new(url)).unwrap();
    bazaar_event_store::migrate(&pool).await.unwrap();
    let (orders, runs) = (env_or("BENCH_ORDERS", 100_000), env_or("BENCH_RUNS", 200));
    let seeded: i64 = sqlx::query_scalar(
        "select count(*) from pg_views where schemaname = 'read' and viewname = 'search_orders'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    if std::env::var("BENCH_REUSE").is_ok() && seeded == 1 {
        eprintln!("seeded: reusing the documents already there");
    } else {
        seed(&pool, orders).await;
    }
    let search = Search::postgres(pool.clone());
    let plain = |scope: Scope, query: OrderQuery| OrderSearch { scope, query };
    let word = |run: u64| Some(WORDS[run as usize % WORDS.len()].to_owned());
    time(&search, "buyer: first page with facets", runs, |r| {
        plain(
            Scope::Buyer(format!("buyer-{}", r % 5_000)),
            OrderQuery::default(),
        )
    })
    .await;
    time(&search, "vendor: first page with facets", runs, |r| {
        plain(
            Scope::Vendor(format!("vendor-{}", r % 50)),
            OrderQuery::default(),
        )
    })
    .await;
    time(&search, "vendor: text + status", runs, |r| {
        let query = OrderQuery {
            text: word(r),
            status: vec!["PAID".into()],
            ..OrderQuery::default()
        };
        plain(Scope::Vendor(format!("vendor-{}", r % 50)), query)
    })
    .await;
    time(&search, "admin: text, first page with facets", runs, |r| {
        plain(
            Scope::All,
            OrderQuery {
                text: word(r),
                ..OrderQuery::default()
            },
        )
    })
    .await;
    time(
        &search,
        "admin: status + amount range + 30 days",
        runs,
        |r| {
            let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
                + Duration::days((r % 300) as i64);
            let query = OrderQuery {
                status: vec!["DELIVERED".into()],
                currency: Some("EUR".into()),
                amount_min: Some(5_000),
                amount_max: Some(20_000),
                placed_from: Some(from),
                placed_before: Some(from + Duration::days(30)),
                ..OrderQuery::default()
            };
            plain(Scope::All, query)
        },
    )
    .await;
    let deep = deep_cursor(&search, 500).await;
    time(&search, "admin: page 501 (cursor)", runs, |_| {
        plain(
            Scope::All,
            OrderQuery {
                cursor: deep.clone(),
                ..OrderQuery::default()
            },
        )
    })
    .await;
}
