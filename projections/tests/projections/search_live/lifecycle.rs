//! The indexer's life against a live server: a rebuild swapping the
//! aliases while orders keep arriving, documents refused and re-driven,
//! and the server stopped and started again under load. After each,
//! Elasticsearch holds exactly the search projection's documents (nothing
//! lost, nothing stale).

use std::time::{Duration, Instant};

use bazaar_event_store::Position;
use bazaar_projections::registry::catch_up_live;
use bazaar_projections::search::es::generation::live_generation;
use bazaar_projections::search::es::health::IndexerState;
use bazaar_projections::search::es::indexer::{step, Step};
use bazaar_projections::search::es::parked::{open, redrive, Redriven};
use bazaar_projections::search::es::rebuild::{ensure_live, rebuild};
use bazaar_projections::search::es::{DocKind, EsClient, IndexerHealth};
use bazaar_testkit::search::{clean_up, converge, in_elasticsearch, in_postgres, refresh, Cluster};
use bazaar_testkit::world::World;
use elasticsearch::indices::IndicesGetAliasParts;
use serde_json::Value;
use sqlx::PgPool;

use super::load::{under_load, Load};
use super::market::{place, stock};

/// A client that backs off at most 200 ms, so catching up after a failure
/// does not wait for the production maximum.
fn quick_client(cluster: &Cluster) -> EsClient {
    let mut settings = cluster.settings();
    settings.max_backoff = Duration::from_millis(200);
    EsClient::new(settings).unwrap()
}

/// Stock and `count` orders, applied to the search projection.
async fn opening(pool: &PgPool, count: usize) {
    let world = World::new(pool);
    stock(&world).await;
    for i in 0..count {
        place(&world, i).await;
    }
    catch_up_live(pool, "search").await.unwrap();
}

async fn indices_behind(es: &EsClient, kind: DocKind) -> Vec<String> {
    let alias = es.alias(kind);
    let sent = es
        .client()
        .indices()
        .get_alias(IndicesGetAliasParts::Name(&[&alias]))
        .send()
        .await
        .unwrap();
    let body: Value = sent.json().await.unwrap();
    body.as_object().unwrap().keys().cloned().collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_rebuild_while_orders_arrive_swaps_the_aliases_and_loses_nothing(pool: PgPool) {
    let cluster = Cluster::start().await;
    let es = quick_client(&cluster);
    opening(&pool, 20).await;
    let load = Load::default();
    let (generation, placed) = under_load(&load, &pool, &es, 20, async {
        load.wait_for(10).await;
        let generation = rebuild(&pool, &es, &IndexerHealth::new(), |_| {})
            .await
            .unwrap();
        load.wait_for(10).await;
        let placed = load.stop_writing().await;
        converge(&pool, &es).await;
        (generation, placed)
    })
    .await;

    assert_eq!(generation, 2);
    assert_eq!(in_postgres(&pool, DocKind::Orders).await.len(), 20 + placed);
    for kind in DocKind::ALL {
        assert_eq!(indices_behind(&es, kind).await, [es.index(kind, 2)]);
    }
    assert_eq!(live_generation(&pool).await.unwrap().unwrap().generation, 2);
    clean_up(&es).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_refused_document_is_parked_the_indexer_moves_on_and_a_redrive_ships_it(pool: PgPool) {
    let cluster = Cluster::start().await;
    let es = cluster.client();
    opening(&pool, 3).await;
    let live = ensure_live(&pool, &es, &IndexerHealth::new())
        .await
        .unwrap();
    let world = World::new(&pool);
    place(&world, 3).await;
    place(&world, 4).await;
    catch_up_live(&pool, "search").await.unwrap();
    // a field the strict mapping does not know, as a faulty document build would add
    let tamper =
        "update read.search_orders set doc = doc || '{\"surprise\": 1}' where order_id = 'm-3'";
    sqlx::query(tamper).execute(&pool).await.unwrap();

    let health = IndexerHealth::new();
    let Step::Advanced(to) = step(&pool, &es, &health, live.generation, live.checkpoint())
        .await
        .unwrap()
    else {
        panic!("the indexer did not move on")
    };
    let parked = open(&pool, 10).await.unwrap();
    assert_eq!(parked.len(), 1, "{parked:?}");
    assert_eq!((parked[0].doc_id.as_str(), parked[0].status), ("m-3", 400));
    assert_eq!(
        parked[0].error_type.as_deref(),
        Some("strict_dynamic_mapping_exception")
    );
    assert_eq!(
        live_generation(&pool).await.unwrap().unwrap().checkpoint(),
        to
    );
    assert!(to > Position::START);
    assert_eq!(health.report().parked, 1);
    refresh(&es).await;
    let indexed = in_elasticsearch(&es, DocKind::Orders).await;
    assert!(!indexed.contains_key("m-3") && indexed.contains_key("m-4"));

    let again = redrive(&pool, &es, None).await.unwrap();
    assert_eq!(
        again,
        Redriven {
            resolved: 0,
            still_parked: 1
        }
    );
    let fix = "update read.search_orders set doc = doc - 'surprise' where order_id = 'm-3'";
    sqlx::query(fix).execute(&pool).await.unwrap();
    let fixed = redrive(&pool, &es, None).await.unwrap();
    assert_eq!(
        fixed,
        Redriven {
            resolved: 1,
            still_parked: 0
        }
    );
    assert!(open(&pool, 10).await.unwrap().is_empty());
    converge(&pool, &es).await;
    clean_up(&es).await;
}

/// Waits until the indexer has failed a batch more than `before` times.
async fn failing(health: &IndexerHealth, before: u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let report = health.report();
        if report.failed_batches > before && matches!(report.state, IndexerState::Down(_)) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the indexer never noticed: {report:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the indexer has a live generation.
async fn went_live(pool: &PgPool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while live_generation(pool).await.unwrap().is_none() {
        assert!(Instant::now() < deadline, "the indexer never went live");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn checkpoint(pool: &PgPool) -> Position {
    live_generation(pool).await.unwrap().unwrap().checkpoint()
}

#[sqlx::test(migrations = "../migrations")]
async fn elasticsearch_stopped_under_load_holds_the_checkpoint_then_catches_up(pool: PgPool) {
    // a server this test can stop, whatever ELASTICSEARCH_URL says
    let mut cluster = Cluster::local().await;
    let es = quick_client(&cluster);
    opening(&pool, 10).await;
    let load = Load::default();
    let (held, placed) = under_load(&load, &pool, &es, 10, async {
        load.wait_for(10).await;
        // the indexer must be live (its generation made) before the server
        // goes: on a busy machine that can take longer than ten orders
        went_live(&pool).await;
        let before = load.health.report().failed_batches;
        cluster.server().stop().await;
        failing(&load.health, before).await;
        let held = checkpoint(&pool).await;
        load.wait_for(15).await;
        assert_eq!(
            checkpoint(&pool).await,
            held,
            "the checkpoint moved while down"
        );
        cluster.server().start_again().await;
        load.wait_for(10).await;
        let placed = load.stop_writing().await;
        converge(&pool, &es).await;
        (held, placed)
    })
    .await;

    assert_eq!(
        in_elasticsearch(&es, DocKind::Orders).await.len(),
        10 + placed
    );
    assert!(checkpoint(&pool).await > held);
    assert!(open(&pool, 10).await.unwrap().is_empty());
}
