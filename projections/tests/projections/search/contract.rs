//! The indexer and the searches against a recording server that answers
//! with real Elasticsearch bodies: the exact requests (templates, indices,
//! bulk lines with external versions, the alias swap, search bodies) and
//! what the indexer does with partial failures, version conflicts on
//! replay, whole-request failures and parked documents.

use std::time::Duration;

use bazaar_event_store::Position;
use bazaar_projections::generation::{generations, live, Generation};
use bazaar_projections::search::es::generation::NAME;
use bazaar_projections::search::es::indexer::{step, Step};
use bazaar_projections::search::es::mappings::template;
use bazaar_projections::search::es::parked::{open, redrive, Redriven};
use bazaar_projections::search::es::rebuild::{ensure_live, rebuild};
use bazaar_projections::search::es::{DocKind, EsClient, EsSettings, IndexerHealth};
use bazaar_testkit::fixtures::line;
use bazaar_testkit::world::World;
use serde_json::{json, Value};
use sqlx::PgPool;

use super::mock_es::{BulkReply, MockEs, Recorded, UNAVAILABLE};
use super::scenario::{catch_up, four_orders};

fn client(mock: &MockEs) -> EsClient {
    let mut settings = EsSettings::new(&mock.url);
    settings.replicas = 0;
    settings.max_backoff = Duration::from_millis(20);
    EsClient::new(settings).unwrap()
}

/// `(id, version, doc)` of every search document, orders then stock.
async fn documents(pool: &PgPool) -> Vec<(String, i64, Value)> {
    sqlx::query_as(
        "select id, version, doc from ( \
            select 1 as kind, order_id as id, version, doc from read.search_orders \
            union all select 2, stock_id, version, doc from read.search_stock) d order by kind, id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn generation(pool: &PgPool, number: i32) -> Generation {
    let all = generations(pool, NAME).await.unwrap();
    all.into_iter().find(|g| g.generation == number).unwrap()
}

fn bulks(requests: &[Recorded]) -> Vec<&Recorded> {
    requests.iter().filter(|r| r.path == "/_bulk").collect()
}

/// `(action, source)` pairs of a bulk request.
fn items(bulk: &Recorded) -> Vec<(Value, Value)> {
    let lines = bulk.lines();
    lines
        .chunks(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect()
}

fn action(index: &str, id: &str, version: i64) -> Value {
    json!({"index": {"_index": index, "_id": id, "version": version, "version_type": "external"}})
}

fn index_of(id: &str, generation: i32) -> String {
    let kind = if id.contains('@') { "stock" } else { "orders" };
    format!("bazaar-{kind}-v1-{generation}")
}

#[sqlx::test(migrations = "../migrations")]
async fn the_first_build_installs_templates_copies_every_document_and_adds_the_aliases(
    pool: PgPool,
) {
    four_orders(&World::new(&pool)).await;
    let mock = MockEs::start().await;
    let es = client(&mock);
    let built = ensure_live(&pool, &es, &IndexerHealth::new())
        .await
        .unwrap();
    assert_eq!((built.generation, built.status.as_str()), (1, "live"));
    let requests = mock.take();
    let calls: Vec<(&str, &str)> = requests
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str()))
        .collect();
    assert_eq!(
        calls,
        [
            ("PUT", "/_index_template/bazaar-orders-v1"),
            ("PUT", "/_index_template/bazaar-stock-v1"),
            ("PUT", "/bazaar-orders-v1-1"),
            ("PUT", "/bazaar-stock-v1-1"),
            ("POST", "/_bulk"),
            ("POST", "/_bulk"),
            ("GET", "/_alias/bazaar-orders"),
            ("GET", "/_alias/bazaar-stock"),
            ("POST", "/_aliases"),
        ]
    );
    assert_eq!(requests[0].json(), template(&es, DocKind::Orders));
    assert_eq!(
        requests[0].json()["index_patterns"],
        json!(["bazaar-orders-v1-*"])
    );
    assert_eq!(
        requests[0].json()["template"]["mappings"]["dynamic"],
        "strict"
    );
    assert_eq!(requests[1].json(), template(&es, DocKind::Stock));
    let sent: Vec<(Value, Value)> = bulks(&requests).into_iter().flat_map(items).collect();
    let expected: Vec<(Value, Value)> = documents(&pool)
        .await
        .into_iter()
        .map(|(id, version, doc)| (action(&index_of(&id, 1), &id, version), doc))
        .collect();
    assert_eq!(sent.len(), 7);
    assert_eq!(
        sent, expected,
        "one line per document, its stream's last sequence as external version"
    );
    assert_eq!(
        requests[8].json(),
        json!({"actions": [
            {"add": {"index": "bazaar-orders-v1-1", "alias": "bazaar-orders"}},
            {"add": {"index": "bazaar-stock-v1-1", "alias": "bazaar-stock"}},
        ]})
    );
    let docs = live(&pool, "search").await.unwrap().unwrap();
    assert_eq!(built.checkpoint(), docs.checkpoint());
}

/// A stock received and an order placed after the first build: three
/// documents to ship (o-5, apple@w1, fig@w1).
async fn three_changes(pool: &PgPool) -> (World, MockEs, EsClient, Position) {
    let world = World::new(pool);
    four_orders(&world).await;
    let mock = MockEs::start().await;
    let es = client(&mock);
    let built = ensure_live(pool, &es, &IndexerHealth::new()).await.unwrap();
    mock.take();
    world.receive("fig", 3).await;
    world
        .place("o-5", "buyer-4", vec![line("vendor-a", "apple", 1, 200)])
        .await;
    world.settle(bazaar_testkit::fixtures::t0()).await;
    catch_up(&world).await;
    (world, mock, es, built.checkpoint())
}

async fn head(pool: &PgPool) -> i64 {
    sqlx::query_scalar("select max(global_position) from events")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_partial_bulk_failure_parks_the_refused_item_retries_the_rejected_one_then_checkpoints(
    pool: PgPool,
) {
    let (_world, mock, es, at) = three_changes(&pool).await;
    mock.script_bulk(BulkReply::Items(vec![
        "created",
        "mapper_parsing",
        "rejected",
    ]));
    let health = IndexerHealth::new();
    let Step::Advanced(to) = step(&pool, &es, &health, 1, at).await.unwrap() else {
        panic!("no progress")
    };
    let requests = mock.take();
    let sent = bulks(&requests);
    assert_eq!(sent.len(), 2, "the rejected item is sent again, alone");
    let ids = |bulk: &Recorded| {
        items(bulk)
            .iter()
            .map(|(a, _)| a["index"]["_id"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(sent[0]),
        [json!("o-5"), json!("apple@w1"), json!("fig@w1")]
    );
    assert_eq!(items(sent[1]), items(sent[0])[2..].to_vec());
    assert_eq!(
        to.global_position,
        head(&pool).await,
        "the checkpoint moved past the whole batch"
    );
    assert_eq!(generation(&pool, 1).await.checkpoint(), to);
    let parked = open(&pool, 10).await.unwrap();
    assert_eq!(parked.len(), 1);
    let apple = &parked[0];
    assert_eq!(
        (
            apple.doc_id.as_str(),
            apple.status,
            apple.index_name.as_str()
        ),
        ("apple@w1", 400, "bazaar-stock-v1-1")
    );
    assert_eq!(
        apple.error_type.as_deref(),
        Some("mapper_parsing_exception")
    );
    assert!(
        apple.error_reason.contains("failed to parse field [total]")
            && apple.error_reason.contains("For input string")
    );
    let report = health.report();
    assert_eq!((report.indexed, report.retried, report.parked), (2, 1, 1));
    // once fixed, a re-drive sends its current version and resolves it
    let redriven = redrive(&pool, &es, None).await.unwrap();
    assert_eq!(
        redriven,
        Redriven {
            resolved: 1,
            still_parked: 0
        }
    );
    let resent = mock.take();
    let (sent_action, _) = items(bulks(&resent)[0]).remove(0);
    assert_eq!(sent_action["index"]["_id"], "apple@w1");
    assert_eq!(sent_action["index"]["version"], json!(apple.version));
    assert!(open(&pool, 10).await.unwrap().is_empty());
}

#[sqlx::test(migrations = "../migrations")]
async fn a_replay_answered_with_version_conflicts_is_done_and_parks_nothing(pool: PgPool) {
    four_orders(&World::new(&pool)).await;
    let mock = MockEs::start().await;
    let es = client(&mock);
    ensure_live(&pool, &es, &IndexerHealth::new())
        .await
        .unwrap();
    let first: Vec<(Value, Value)> = bulks(&mock.take()).into_iter().flat_map(items).collect();
    // the checkpoint is lost: every event is shipped again
    sqlx::query("update projection set tx_id = '0'::xid8, position = 0 where projection_name = $1")
        .bind(NAME)
        .execute(&pool)
        .await
        .unwrap();
    mock.script_bulk(BulkReply::Items(vec!["version_conflict"; 7]));
    let health = IndexerHealth::new();
    let Step::Advanced(to) = step(&pool, &es, &health, 1, Position::START).await.unwrap() else {
        panic!()
    };
    assert_eq!(step(&pool, &es, &health, 1, to).await.unwrap(), Step::Idle);
    let replayed: Vec<(Value, Value)> = bulks(&mock.take()).into_iter().flat_map(items).collect();
    assert_eq!(
        replayed, first,
        "the same documents with the same external versions"
    );
    assert_eq!(health.report().conflicts, 7);
    assert!(open(&pool, 10).await.unwrap().is_empty());
    assert_eq!(to.global_position, head(&pool).await);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_failed_request_is_sent_again_and_an_item_that_is_not_the_documents_fault_moves_nothing(
    pool: PgPool,
) {
    let (world, mock, es, at) = three_changes(&pool).await;
    mock.script_bulk(BulkReply::Whole(503, UNAVAILABLE));
    let health = IndexerHealth::new();
    let Step::Advanced(to) = step(&pool, &es, &health, 1, at).await.unwrap() else {
        panic!()
    };
    let bulks_sent = mock.take();
    let bulks = bulks(&bulks_sent);
    assert_eq!(bulks.len(), 2);
    assert_eq!(bulks[0].body, bulks[1].body);
    world.receive("kiwi", 1).await;
    catch_up(&world).await;
    mock.script_bulk(BulkReply::Items(vec!["index_missing"]));
    let failed = step(&pool, &es, &health, 1, to).await;
    assert!(failed.unwrap_err().to_string().contains("no such index"));
    assert_eq!(generation(&pool, 1).await.checkpoint(), to, "nothing moved");
    assert!(open(&pool, 10).await.unwrap().is_empty(), "nothing parked");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_rebuild_fills_new_indices_then_swaps_both_aliases_in_one_request(pool: PgPool) {
    four_orders(&World::new(&pool)).await;
    let mock = MockEs::start().await;
    let es = client(&mock);
    ensure_live(&pool, &es, &IndexerHealth::new())
        .await
        .unwrap();
    mock.take();
    let mut copied = 0;
    let built = rebuild(&pool, &es, &IndexerHealth::new(), |n| copied = n)
        .await
        .unwrap();
    assert_eq!((built, copied), (2, 7));
    let requests = mock.take();
    let into: Vec<String> = bulks(&requests)
        .into_iter()
        .flat_map(items)
        .map(|(a, _)| a["index"]["_index"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        into.iter().all(|index| index.ends_with("-v1-2")),
        "{into:?}"
    );
    let swaps: Vec<&Recorded> = requests.iter().filter(|r| r.path == "/_aliases").collect();
    assert_eq!(swaps.len(), 1);
    assert_eq!(
        swaps[0].json(),
        json!({"actions": [
            {"remove": {"index": "bazaar-orders-v1-1", "alias": "bazaar-orders"}},
            {"add": {"index": "bazaar-orders-v1-2", "alias": "bazaar-orders"}},
            {"remove": {"index": "bazaar-stock-v1-1", "alias": "bazaar-stock"}},
            {"add": {"index": "bazaar-stock-v1-2", "alias": "bazaar-stock"}},
        ]})
    );
    let last = requests.last().unwrap();
    assert_eq!(
        (last.method.as_str(), last.path.as_str()),
        ("DELETE", "/bazaar-orders-v1-1,bazaar-stock-v1-1")
    );
    assert_eq!(mock.alias("bazaar-orders"), ["bazaar-orders-v1-2"]);
    assert_eq!(generation(&pool, 1).await.status, "retired");
    assert_eq!(generation(&pool, 2).await.status, "live");
}
