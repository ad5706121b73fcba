//! The indexer and the searches against a live Elasticsearch API.
//!
//! Every run starts a noida-db server per test (`bazaar_testkit::search`;
//! `scripts/elasticsearch.sh` installs it, `scripts/test.sh` calls that),
//! so these tests always run and fail, never skip, when no server starts.
//! With `ELASTICSEARCH_URL` set they run against that cluster instead:
//!
//! ```sh
//! ELASTICSEARCH_URL=http://127.0.0.1:9200 \
//!   cargo test -p bazaar-projections --test projections -- search_live
//! ```
//!
//! Each test uses its own index prefix and deletes its indices and
//! templates at the end. noida-db is not Lucene (scoring and analyzers are
//! approximations): the tests assert what Elasticsearch's semantics
//! guarantee (sets of hits, orders by explicit sort keys, exact counts),
//! never scores.

mod lifecycle;
mod load;
mod market;
mod queries;

use bazaar_event_store::Position;
use bazaar_projections::search::es::generation::{live_generation, NAME};
use bazaar_projections::search::es::indexer::{step, Step};
use bazaar_projections::search::es::parked::open;
use bazaar_projections::search::es::rebuild::{ensure_live, rebuild};
use bazaar_projections::search::es::IndexerHealth;
use bazaar_projections::search::request::{
    OrderPage, OrderQuery, OrderSearch, Scope, StockQuery, StockSearch,
};
use bazaar_projections::search::Search;
use bazaar_testkit::search::{clean_up, refresh, Cluster};
use bazaar_testkit::world::World;
use sqlx::PgPool;

use crate::search::scenario::four_orders;

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
async fn elasticsearch_answers_every_search_as_postgres_does(pool: PgPool) {
    let cluster = Cluster::start().await;
    let es = cluster.client();
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
async fn a_replay_meets_version_conflicts_and_a_rebuild_swaps_the_aliases(pool: PgPool) {
    let cluster = Cluster::start().await;
    let es = cluster.client();
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
