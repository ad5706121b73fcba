//! The indexer and the searches against a real Elasticsearch cluster.
//!
//! Elasticsearch cannot run where the rest of the suite runs, so these
//! tests are `#[ignore]`d: a plain `cargo test` lists them as ignored, it
//! never reports them passed. Run them against a cluster with
//!
//! ```sh
//! ELASTICSEARCH_URL=http://127.0.0.1:9200 \
//!   cargo test -p bazaar-projections --test search_live -- --ignored
//! ```
//!
//! Without `ELASTICSEARCH_URL` they fail. Each test uses its own index
//! prefix and deletes its indices and templates at the end.

#![allow(dead_code)]

#[path = "orders/world.rs"]
mod world;

mod search {
    pub(crate) mod scenario;
}

use bazaar_event_store::Position;
use bazaar_projections::search::es::generation::{live_generation, NAME};
use bazaar_projections::search::es::indexer::{step, Step};
use bazaar_projections::search::es::parked::open;
use bazaar_projections::search::es::rebuild::{ensure_live, rebuild};
use bazaar_projections::search::es::{DocKind, EsClient, EsSettings, IndexerHealth};
use bazaar_projections::search::request::{
    OrderPage, OrderQuery, OrderSearch, Scope, StockQuery, StockSearch,
};
use bazaar_projections::search::Search;
use elasticsearch::indices::{
    IndicesDeleteIndexTemplateParts, IndicesDeleteParts, IndicesRefreshParts,
};
use sqlx::PgPool;

use search::scenario::four_orders;
use world::World;

const IGNORED: &str = "needs a real Elasticsearch: set ELASTICSEARCH_URL and run with --ignored";

fn client() -> EsClient {
    let url = std::env::var("ELASTICSEARCH_URL")
        .unwrap_or_else(|_| panic!("ELASTICSEARCH_URL is not set: {IGNORED}"));
    let mut settings = EsSettings::new(url);
    settings.index_prefix = format!("bazaar-test-{}", uuid::Uuid::now_v7().simple());
    settings.replicas = 0;
    EsClient::new(settings).unwrap()
}

async fn refresh(es: &EsClient) {
    let aliases = [es.alias(DocKind::Orders), es.alias(DocKind::Stock)];
    let names: Vec<&str> = aliases.iter().map(String::as_str).collect();
    let sent = es
        .client()
        .indices()
        .refresh(IndicesRefreshParts::Index(&names))
        .send()
        .await
        .unwrap();
    assert!(sent.status_code().is_success());
}

async fn clean_up(es: &EsClient) {
    let pattern = format!("{}-*", es.settings().index_prefix);
    let _ = es
        .client()
        .indices()
        .delete(IndicesDeleteParts::Index(&[&pattern]))
        .send()
        .await;
    for kind in DocKind::ALL {
        let name = es.template(kind);
        let parts = IndicesDeleteIndexTemplateParts::Name(&name);
        let _ = es
            .client()
            .indices()
            .delete_index_template(parts)
            .send()
            .await;
    }
}

/// A page without what legitimately differs between backends.
fn comparable(mut page: OrderPage) -> OrderPage {
    page.backend = bazaar_projections::search::Backend::Postgres;
    page.next_cursor = page.next_cursor.map(|_| String::new());
    page
}

fn queries() -> Vec<(Scope, OrderQuery)> {
    let text = |t: &str| OrderQuery {
        text: Some(t.into()),
        ..OrderQuery::default()
    };
    vec![
        (Scope::All, OrderQuery::default()),
        (Scope::Buyer("buyer-1".into()), OrderQuery::default()),
        (Scope::Vendor("vendor-a".into()), OrderQuery::default()),
        (Scope::Vendor("vendor-a".into()), text("bread")),
        (Scope::All, text("bread -apple")),
        (Scope::All, text("cheese or bread")),
        (
            Scope::All,
            OrderQuery {
                status: vec!["PAID".into()],
                ..OrderQuery::default()
            },
        ),
        (
            Scope::All,
            OrderQuery {
                currency: Some("EUR".into()),
                amount_min: Some(900),
                ..OrderQuery::default()
            },
        ),
        (
            Scope::All,
            OrderQuery {
                size: Some(1),
                ..OrderQuery::default()
            },
        ),
    ]
}

#[sqlx::test(migrations = "../migrations")]
#[ignore = "needs a real Elasticsearch: set ELASTICSEARCH_URL and run with --ignored"]
async fn elasticsearch_answers_every_search_as_postgres_does(pool: PgPool) {
    let es = client();
    four_orders(&World::new(&pool)).await;
    ensure_live(&pool, &es, &IndexerHealth::new())
        .await
        .unwrap();
    refresh(&es).await;
    let (from_es, from_pg) = (
        Search::new(pool.clone(), Some(es.clone())),
        Search::postgres(pool.clone()),
    );
    for (scope, query) in queries() {
        let search = OrderSearch { scope, query };
        let (a, b) = (
            from_es.orders(&search).await.unwrap(),
            from_pg.orders(&search).await.unwrap(),
        );
        assert_eq!(comparable(a), comparable(b), "{search:?}");
    }
    let stock = StockSearch {
        scope: Scope::All,
        query: StockQuery::default(),
    };
    let (mut a, b) = (
        from_es.stock(&stock).await.unwrap(),
        from_pg.stock(&stock).await.unwrap(),
    );
    a.backend = b.backend;
    assert_eq!(a, b);
    clean_up(&es).await;
}

#[sqlx::test(migrations = "../migrations")]
#[ignore = "needs a real Elasticsearch: set ELASTICSEARCH_URL and run with --ignored"]
async fn a_replay_meets_version_conflicts_and_a_rebuild_swaps_the_aliases(pool: PgPool) {
    let es = client();
    four_orders(&World::new(&pool)).await;
    ensure_live(&pool, &es, &IndexerHealth::new())
        .await
        .unwrap();
    sqlx::query("update projection set tx_id = '0'::xid8, position = 0 where projection_name = $1")
        .bind(NAME)
        .execute(&pool)
        .await
        .unwrap();
    let health = IndexerHealth::new();
    let Step::Advanced(_) = step(&pool, &es, &health, 1, Position::START).await.unwrap() else {
        panic!()
    };
    let report = health.report();
    assert_eq!(
        (report.conflicts, report.indexed, report.parked),
        (7, 0, 0),
        "{report:?}"
    );
    assert!(open(&pool, 10).await.unwrap().is_empty());
    assert_eq!(
        rebuild(&pool, &es, &IndexerHealth::new(), |_| {})
            .await
            .unwrap(),
        2
    );
    assert_eq!(live_generation(&pool).await.unwrap().unwrap().generation, 2);
    refresh(&es).await;
    let all = OrderSearch {
        scope: Scope::All,
        query: OrderQuery::default(),
    };
    let page = Search::new(pool.clone(), Some(es.clone()))
        .orders(&all)
        .await
        .unwrap();
    assert_eq!(page.total.value, 4);
    clean_up(&es).await;
}
