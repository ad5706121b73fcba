//! Every order and stock filter, the text syntax, the three scopes, the
//! facets and deep pages, on a few hundred orders made through the write
//! side: Elasticsearch answers each exactly as the Postgres fallback does
//! (whose own tests pin the expected answers), hits, order, totals and
//! every facet bucket.
//!
//! noida-db is not Lucene: only what Elasticsearch's semantics fix is
//! compared (which documents match, the sort by `placed_at` and id, exact
//! counts and sums); scores never enter an answer, and text queries use
//! plain words, never tokens whose splitting depends on the analyzer.

use bazaar_projections::search::es::rebuild::ensure_live;
use bazaar_projections::search::es::{EsClient, IndexerHealth};
use bazaar_projections::search::request::{
    OrderPage, OrderQuery, OrderSearch, Scope, StockPage, StockQuery, StockSearch,
};
use bazaar_projections::search::{Backend, Search};
use bazaar_testkit::search::{clean_up, every_page, refresh, Cluster};
use bazaar_testkit::world::World;
use chrono::{Duration, NaiveDate};
use sqlx::PgPool;

use super::market::{market, placed};

/// Orders the market places.
const ORDERS: usize = 200;

fn text(t: &str) -> OrderQuery {
    OrderQuery {
        text: Some(t.into()),
        ..OrderQuery::default()
    }
}

/// Every filter alone, a few together, and the text syntax.
fn order_queries() -> Vec<OrderQuery> {
    let q = OrderQuery::default;
    vec![
        q(),
        OrderQuery {
            status: vec!["PAID".into()],
            ..q()
        },
        OrderQuery {
            status: vec!["PAYMENT_EXPIRED".into(), "CANCELLED".into()],
            ..q()
        },
        OrderQuery {
            status: vec!["CREATED".into(), "CANCELLED".into()],
            ..q()
        },
        OrderQuery {
            vendor_id: Some("vendor-b".into()),
            ..q()
        },
        OrderQuery {
            buyer_id: Some("buyer-4".into()),
            ..q()
        },
        OrderQuery {
            placed_from: Some(placed(2)),
            ..q()
        },
        OrderQuery {
            placed_before: Some(placed(1) + Duration::minutes(100)),
            ..q()
        },
        OrderQuery {
            placed_from: Some(placed(1)),
            placed_before: Some(placed(3)),
            ..q()
        },
        OrderQuery {
            currency: Some("EUR".into()),
            ..q()
        },
        OrderQuery {
            currency: Some("USD".into()),
            ..q()
        },
        OrderQuery {
            amount_min: Some(1_000),
            ..q()
        },
        OrderQuery {
            amount_max: Some(900),
            ..q()
        },
        OrderQuery {
            amount_min: Some(650),
            amount_max: Some(1_350),
            status: vec!["PAID".into()],
            ..q()
        },
        OrderQuery {
            vendor_id: Some("vendor-c".into()),
            buyer_id: Some("buyer-2".into()),
            ..q()
        },
        text("cheese"),
        // no ids like `m-17` as text: how a hyphenated token is split is the
        // analyzer's business, which noida-db only approximates
        text("cheese apple bread"),
        text("apple bread"),
        text("\"vendor-b bread\""),
        text("cheese -apple"),
        text("apple or cheese"),
        // operators read left to right, as simple_query_string does:
        // `(bread or cheese) -apple`, `(apple bread) or cheese`
        text("bread or cheese -apple"),
        text("apple bread or cheese"),
        text("-cheese or \"vendor-a apple\""),
        OrderQuery {
            size: Some(1),
            ..text("bread")
        },
        OrderQuery {
            size: Some(100),
            status: vec!["PAID".into()],
            ..q()
        },
    ]
}

fn scopes() -> Vec<Scope> {
    vec![
        Scope::All,
        Scope::Buyer("buyer-1".into()),
        Scope::Vendor("vendor-a".into()),
        Scope::Vendor("vendor-c".into()),
    ]
}

/// A page without what legitimately differs between backends.
fn comparable(mut page: OrderPage) -> OrderPage {
    page.backend = Backend::Postgres;
    page.next_cursor = page.next_cursor.map(|_| String::new());
    page
}

async fn indexed_market(pool: &PgPool, cluster: &Cluster) -> (EsClient, Search, Search) {
    let es = cluster.client();
    market(&World::new(pool), ORDERS).await;
    ensure_live(pool, &es, &IndexerHealth::new()).await.unwrap();
    refresh(&es).await;
    let from_es = Search::new(pool.clone(), Some(es.clone()));
    (es, from_es, Search::postgres(pool.clone()))
}

/// One market for every comparison: building it is most of the time.
#[sqlx::test(migrations = "../migrations")]
async fn on_a_few_hundred_orders_elasticsearch_answers_every_search_as_postgres_does(pool: PgPool) {
    let cluster = Cluster::start().await;
    let (es, from_es, from_pg) = indexed_market(&pool, &cluster).await;
    every_filter_scope_and_facet_bucket(&from_es, &from_pg).await;
    every_stock_filter(&from_es, &from_pg).await;
    deep_pages_follow_search_after_to_the_last_order(&from_es, &from_pg).await;
    clean_up(&es).await;
}

async fn every_filter_scope_and_facet_bucket(from_es: &Search, from_pg: &Search) {
    let mut answered = 0;
    for scope in scopes() {
        for query in order_queries() {
            let search = OrderSearch {
                scope: scope.clone(),
                query,
            };
            let (a, b) = (from_es.orders(&search).await, from_pg.orders(&search).await);
            if let Ok(page) = &a {
                assert_eq!(page.backend, Backend::Elasticsearch);
                answered += 1;
            }
            // a query the scope does not allow is refused alike
            let a = a.map(comparable).map_err(|e| e.to_string());
            let b = b.map(comparable).map_err(|e| e.to_string());
            assert_eq!(a, b, "{search:?}");
        }
    }
    let all = OrderSearch {
        scope: Scope::All,
        query: OrderQuery::default(),
    };
    let page = from_es.orders(&all).await.unwrap();
    let facets = page.facets.expect("facets");
    assert_eq!(page.total.value, ORDERS as u64);
    assert!(
        facets.status.len() >= 3 && facets.sales.len() >= 12,
        "{facets:?}"
    );
    assert!(answered > 60, "only {answered} queries answered");
}

async fn every_stock_filter(from_es: &Search, from_pg: &Search) {
    let q = StockQuery::default;
    let queries = [
        q(),
        StockQuery {
            text: Some("cheese".into()),
            ..q()
        },
        StockQuery {
            text: Some("apple or bread".into()),
            ..q()
        },
        StockQuery {
            sku: Some("bread".into()),
            ..q()
        },
        StockQuery {
            warehouse_id: Some("w1".into()),
            ..q()
        },
        StockQuery {
            warehouse_id: Some("w2".into()),
            ..q()
        },
        StockQuery {
            min_available: Some(99_000),
            ..q()
        },
        StockQuery {
            min_available: Some(1_000_000),
            ..q()
        },
        StockQuery {
            expiring_before: NaiveDate::from_ymd_opt(2027, 1, 2),
            ..q()
        },
        StockQuery {
            expiring_before: NaiveDate::from_ymd_opt(2026, 1, 1),
            ..q()
        },
        StockQuery {
            size: Some(1),
            ..q()
        },
    ];
    for scope in [
        Scope::All,
        Scope::Vendor("v-stock".into()),
        Scope::Vendor("vendor-a".into()),
    ] {
        for query in queries.clone() {
            let search = StockSearch {
                scope: scope.clone(),
                query,
            };
            let (a, b) = (from_es.stock(&search).await, from_pg.stock(&search).await);
            let comparable = |page: StockPage| StockPage {
                backend: Backend::Postgres,
                next_cursor: page.next_cursor.map(|_| String::new()),
                ..page
            };
            let a = a.map(comparable).map_err(|e| e.to_string());
            let b = b.map(comparable).map_err(|e| e.to_string());
            assert_eq!(a, b, "{search:?}");
        }
    }
}

async fn deep_pages_follow_search_after_to_the_last_order(from_es: &Search, from_pg: &Search) {
    for scope in [Scope::All, Scope::Vendor("vendor-b".into())] {
        let (a, total) = every_page(from_es, &scope, 7).await;
        let (b, _) = every_page(from_pg, &scope, 7).await;
        assert_eq!(a, b, "{scope:?}");
        assert_eq!(a.len() as u64, total, "{scope:?}");
        let distinct: std::collections::BTreeSet<&String> = a.iter().collect();
        assert_eq!(distinct.len(), a.len(), "a page repeated a hit");
    }
}
