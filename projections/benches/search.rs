//! Search benchmarks, run by `scripts/bench-search.sh`. `BENCH_MODES`
//! picks them (comma-separated; default `postgres`):
//!
//! - `postgres`: seeds `BENCH_ORDERS` (default 100,000) order documents
//!   into a fresh `search` generation through the projection's own write
//!   (`docs`), then times each kind of search `BENCH_RUNS` times (default
//!   200) on the Postgres fallback (`queries`): p50/p95/p99 in
//!   milliseconds, one JSON line per kind.
//! - `elasticsearch`: the same documents (seeded unless already there)
//!   copied into new indices at `ELASTICSEARCH_URL` by the indexer's own
//!   rebuild, refreshed, and the same searches timed there (`BENCH_ES_RUNS`
//!   times each, default `BENCH_RUNS`: a slow server may need fewer).
//!
//! The deep page is the one after `BENCH_DEEP_PAGES` (default 500) pages.
//! - `lag`: commit-to-searchable lag at each of `BENCH_LAG_RATES` orders
//!   per second (`lag`), on an empty log.
//!
//! `DATABASE_URL` must name a scratch database; with `BENCH_REUSE` set, the
//! documents already seeded there are searched again.

#[path = "search/docs.rs"]
mod docs;
#[path = "search/lag.rs"]
mod lag;
#[path = "search/queries.rs"]
mod queries;

use std::time::Instant;

use bazaar_projections::search::es::health::IndexerHealth;
use bazaar_projections::search::es::rebuild::rebuild;
use bazaar_projections::search::es::{DocKind, EsClient, EsSettings};
use bazaar_projections::search::Search;
use bazaar_testkit::bench::{env_or, scratch_pool};
use elasticsearch::indices::IndicesRefreshParts;
use sqlx::PgPool;

/// The documents of `BENCH_ORDERS` orders, seeded once per database.
async fn documents(pool: &PgPool) {
    let seeded: i64 =
        sqlx::query_scalar("select count(*) from read.search_orders where order_id like 'o-%'")
            .fetch_one(pool)
            .await
            .unwrap_or(0);
    if seeded > 0 && std::env::var("BENCH_REUSE").is_ok() {
        eprintln!("seeded: reusing the {seeded} documents already there");
    } else if seeded > 0 {
        eprintln!("seeded: {seeded} documents by the previous mode");
    } else {
        docs::seed(pool, env_or("BENCH_ORDERS", 100_000)).await;
    }
}

/// The cluster at `ELASTICSEARCH_URL` (one node: no replicas).
fn cluster() -> EsClient {
    let url = std::env::var("ELASTICSEARCH_URL").expect("ELASTICSEARCH_URL for this mode");
    let mut settings = EsSettings::new(url);
    settings.replicas = 0;
    settings.index_prefix = format!("bazaar-bench-{}", std::process::id());
    EsClient::new(settings).expect("ELASTICSEARCH_URL")
}

/// Copies the documents into new indices, refreshes them.
async fn index(pool: &PgPool, es: &EsClient) {
    let started = Instant::now();
    let generation = rebuild(pool, es, &IndexerHealth::new(), |_| {})
        .await
        .expect("rebuild");
    let aliases = [es.alias(DocKind::Orders), es.alias(DocKind::Stock)];
    let names: Vec<&str> = aliases.iter().map(String::as_str).collect();
    let refreshed = es
        .client()
        .indices()
        .refresh(IndicesRefreshParts::Index(&names))
        .send()
        .await
        .expect("refresh");
    assert!(refreshed.status_code().is_success());
    eprintln!(
        "indexed generation {generation} in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    let pool = scratch_pool(40).await;
    let runs = env_or("BENCH_RUNS", 200);
    let deep = u32::try_from(env_or::<u64>("BENCH_DEEP_PAGES", 500)).expect("BENCH_DEEP_PAGES");
    let modes = std::env::var("BENCH_MODES").unwrap_or_else(|_| "postgres".into());
    for mode in modes.split(',') {
        match mode {
            "postgres" => {
                documents(&pool).await;
                queries::run_all(&Search::postgres(pool.clone()), runs, deep).await;
            }
            "elasticsearch" => {
                documents(&pool).await;
                let es = cluster();
                index(&pool, &es).await;
                let runs = env_or("BENCH_ES_RUNS", runs);
                queries::run_all(&Search::new(pool.clone(), Some(es)), runs, deep).await;
            }
            "lag" => {
                let rates: Vec<u64> = std::env::var("BENCH_LAG_RATES")
                    .unwrap_or_else(|_| "100,1000".into())
                    .split(',')
                    .map(|r| r.trim().parse().expect("BENCH_LAG_RATES: numbers"))
                    .collect();
                lag::measure(&pool, &cluster(), &rates, env_or("BENCH_SECONDS", 10)).await;
            }
            other => panic!("unknown mode {other}"),
        }
    }
}
