//! Elasticsearch and the Postgres fallback on the same data (issue #18):
//! the full application runs with Elasticsearch on (its indexer in
//! process with the other workers, as `bazaar serve` runs it with
//! `ELASTICSEARCH_URL` set), `bazaar simulate` drives a few hundred orders
//! through it, and once the workers are idle and Elasticsearch holds
//! exactly the search projection's documents, every search below is
//! answered by both backends and must agree: hits (ids and the order of
//! the explicit sort key), totals and every facet bucket, the fallback's
//! facets being exact (a few hundred orders, under its 1,000).
//!
//! The server is a noida-db per test (`bazaar_testkit::search`), or the
//! cluster `ELASTICSEARCH_URL` names. The projections' live tests compare
//! the backends on a designed market; this one on what a simulated
//! marketplace made of the real write side, saga and timers.

mod differences;
mod queries;

use std::time::Instant;

use bazaar_projections::search::{Backend, OrderPage, OrderSearch, Search, StockPage, StockSearch};
use bazaar_simulate::{simulate, SimulateArgs};
use bazaar_testkit::app::{admin, spawn_full_searching, workers_idle, TestApp, SECRET};
use bazaar_testkit::search::{clean_up, converge, every_page, Cluster};
use serde_json::json;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

use self::queries::{order_searches, stock_searches, Market};

/// Orders the run places.
const ORDERS: u64 = 200;

fn args(app: &TestApp) -> SimulateArgs {
    let mut args = SimulateArgs::new(&app.address, SECRET, ORDERS);
    args.seed = Some(18);
    args.vendors = 4;
    args.buyers = 8;
    args.agent_sales = 0;
    args.rate = 200.0;
    args.concurrency = 32;
    args.wait_seconds = 120;
    args
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn after_a_simulated_run_elasticsearch_answers_every_search_as_postgres_does(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let started = Instant::now();
    let cluster = Cluster::start().await;
    let es = cluster.client();
    let app = spawn_full_searching(options, es.clone(), |_| {}).await;
    let run = simulate(&args(&app), |_, _| {}).await.expect("the run");
    let report = &run.report;
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    assert!(report.reconciled(), "{:#?}", report.mismatches());
    let simulated = Instant::now();
    workers_idle(&app.pool).await;
    converge(&app.pool, &es).await;
    let shipped = Instant::now();
    let position = search_position(&app.pool).await;

    let market = Market::of(&app.pool, &run.vendors).await;
    assert_eq!(
        market.orders,
        run.tally.order_ids.len(),
        "every order indexed"
    );
    let (from_es, from_pg) = (
        Search::new(app.pool.clone(), Some(es.clone())),
        Search::postgres(app.pool.clone()),
    );
    let mut differ = Vec::new();
    let answered = every_order_search(&from_es, &from_pg, &market, &mut differ).await;
    every_page_of_every_scope(&from_es, &from_pg, &market, &mut differ).await;
    let stock = every_stock_search(&from_es, &from_pg, &market, &mut differ).await;
    the_api_answers_from_elasticsearch(&app, &from_es).await;
    assert_eq!(
        search_position(&app.pool).await,
        position,
        "nothing changed the documents while the backends were compared"
    );
    eprintln!(
        "{} orders ({:?}), {} order and {} stock searches compared; \
         run {:.1}s, idle and shipped {:.1}s later, compared in {:.1}s",
        market.orders,
        report.outcomes,
        answered,
        stock,
        (simulated - started).as_secs_f64(),
        (shipped - simulated).as_secs_f64(),
        shipped.elapsed().as_secs_f64(),
    );
    assert!(
        differ.is_empty(),
        "{} searches differ (elasticsearch's answer, then postgres's):\n{}",
        differ.len(),
        differ.join("\n")
    );
    clean_up(&es).await;
}

/// The search projection's checkpoint: it moves whenever a document changes.
async fn search_position(pool: &PgPool) -> i64 {
    sqlx::query_scalar("select position from projection where projection_name = 'search'")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// A page without what legitimately differs between backends: who
/// answered, and the cursor's encoding (the pages it leads to are compared
/// by `every_page`).
fn comparable(mut page: OrderPage) -> OrderPage {
    page.backend = Backend::Postgres;
    page.next_cursor = page.next_cursor.map(|_| String::new());
    page
}

/// Every order search in every scope; returns how many were answered (a
/// search a scope does not allow must be refused alike). Each search the
/// backends answer differently is added to `differ`, the differences
/// spelled out (`differences`): the test fails listing all of them, not
/// only the first.
async fn every_order_search(
    from_es: &Search,
    from_pg: &Search,
    market: &Market,
    differ: &mut Vec<String>,
) -> usize {
    let mut answered = 0;
    for search in order_searches(market) {
        let (a, b) = (from_es.orders(&search).await, from_pg.orders(&search).await);
        if let (Ok(a), Ok(b)) = (&a, &b) {
            assert_eq!(a.backend, Backend::Elasticsearch);
            exact(b, &search);
            answered += 1;
        }
        let a = a.map(comparable).map_err(|e| e.to_string());
        let b = b.map(comparable).map_err(|e| e.to_string());
        if a != b {
            differ.push(format!("{search:?}:\n{}", differences::orders(&a, &b)));
        }
    }
    answered
}

/// Every page of 9 in every scope, following each backend's cursors: the
/// same orders in the same order, each once.
async fn every_page_of_every_scope(
    from_es: &Search,
    from_pg: &Search,
    market: &Market,
    differ: &mut Vec<String>,
) {
    for scope in market.scopes() {
        let (a, total) = every_page(from_es, &scope, 9).await;
        let (b, _) = every_page(from_pg, &scope, 9).await;
        let distinct: std::collections::BTreeSet<&String> = a.iter().collect();
        assert_eq!(distinct.len(), a.len(), "a page repeated a hit: {scope:?}");
        assert_eq!(a.len() as u64, total, "{scope:?}");
        if a != b {
            differ.push(format!(
                "every page of {scope:?}:\n{}",
                differences::ids(&a, &b)
            ));
        }
    }
}

/// The fallback's first pages count every match: the comparison is with
/// exact facets, not with the newest 1,000.
fn exact(page: &OrderPage, search: &OrderSearch) {
    if search.query.cursor.is_none() {
        let facets = page.facets.as_ref().expect("facets on a first page");
        assert!(facets.exact && page.total.exact, "{search:?}");
        let counted: u64 = facets.status.iter().map(|s| s.count).sum();
        assert_eq!(counted, page.total.value, "{search:?}");
    }
}

async fn every_stock_search(
    from_es: &Search,
    from_pg: &Search,
    market: &Market,
    differ: &mut Vec<String>,
) -> usize {
    let comparable = |page: StockPage| StockPage {
        backend: Backend::Postgres,
        next_cursor: page.next_cursor.map(|_| String::new()),
        ..page
    };
    let searches: Vec<StockSearch> = stock_searches(market);
    for search in &searches {
        let (a, b) = (from_es.stock(search).await, from_pg.stock(search).await);
        if let Ok(a) = &a {
            assert_eq!(a.backend, Backend::Elasticsearch);
        }
        let a = a.map(comparable).map_err(|e| e.to_string());
        let b = b.map(comparable).map_err(|e| e.to_string());
        if a != b {
            differ.push(format!("{search:?}:\n  {a:?}\n  {b:?}"));
        }
    }
    searches.len()
}

/// `POST /v1/search/orders` as an admin answers from Elasticsearch, the
/// page the library gave.
async fn the_api_answers_from_elasticsearch(app: &TestApp, from_es: &Search) {
    let response = app.post_as(&admin(), "/v1/search/orders", &json!({})).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["backend"], "elasticsearch", "{body}");
    let all = OrderSearch {
        scope: bazaar_projections::search::Scope::All,
        query: Default::default(),
    };
    let page = from_es.orders(&all).await.unwrap();
    assert_eq!(body["total"]["value"], page.total.value);
    assert_eq!(body["facets"], serde_json::to_value(&page.facets).unwrap());
}
