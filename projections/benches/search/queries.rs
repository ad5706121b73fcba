//! The searches every backend is timed on: the same requests in the same
//! order, each kind `BENCH_RUNS` times one after another, p50/p95/p99 in
//! milliseconds, one JSON line per kind.

use std::time::Instant;

use bazaar_projections::search::request::{OrderQuery, OrderSearch, Scope};
use bazaar_projections::search::Search;
use chrono::{Duration, TimeZone, Utc};

use super::docs::WORDS;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Times `runs` searches made by `make`, printing one JSON line.
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
        "{{\"backend\": {}, \"search\": \"{name}\", \"runs\": {runs}, \"p50_ms\": {:.2}, \"p95_ms\": {:.2}, \"p99_ms\": {:.2}, \"mean_hits\": {:.1}}}",
        serde_json::to_string(&search.backend()).unwrap(),
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

fn plain(scope: Scope, query: OrderQuery) -> OrderSearch {
    OrderSearch { scope, query }
}

fn word(run: u64) -> Option<String> {
    Some(WORDS[run as usize % WORDS.len()].to_owned())
}

/// Every kind of search, `runs` times each, against `search`'s backend;
/// the deep page is the one after `deep` pages.
pub(crate) async fn run_all(search: &Search, runs: u64, deep: u32) {
    time(search, "buyer: first page with facets", runs, |r| {
        plain(
            Scope::Buyer(format!("buyer-{}", r % 5_000)),
            OrderQuery::default(),
        )
    })
    .await;
    time(search, "vendor: first page with facets", runs, |r| {
        plain(
            Scope::Vendor(format!("vendor-{}", r % 50)),
            OrderQuery::default(),
        )
    })
    .await;
    time(search, "vendor: text + status", runs, |r| {
        let query = OrderQuery {
            text: word(r),
            status: vec!["PAID".into()],
            ..OrderQuery::default()
        };
        plain(Scope::Vendor(format!("vendor-{}", r % 50)), query)
    })
    .await;
    time(search, "admin: text, first page with facets", runs, |r| {
        let query = OrderQuery {
            text: word(r),
            ..OrderQuery::default()
        };
        plain(Scope::All, query)
    })
    .await;
    time(
        search,
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
    let name = format!("admin: page {} (cursor)", deep + 1);
    let cursor = deep_cursor(search, deep).await;
    time(search, &name, runs, |_| {
        let query = OrderQuery {
            cursor: cursor.clone(),
            ..OrderQuery::default()
        };
        plain(Scope::All, query)
    })
    .await;
}
