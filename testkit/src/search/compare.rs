//! Every document in Elasticsearch against the search projection's: what
//! "nothing lost, nothing stale" means after a rebuild or an outage.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bazaar_projections::search::es::{DocKind, EsClient};
use elasticsearch::SearchParts;
use serde_json::{json, Value};
use sqlx::PgPool;

use super::refresh;

/// Documents by id.
pub type Docs = BTreeMap<String, Value>;

/// Every document behind `kind`'s alias (at most 10,000: the tests make fewer).
pub async fn in_elasticsearch(es: &EsClient, kind: DocKind) -> Docs {
    let alias = es.alias(kind);
    let sent = es
        .client()
        .search(SearchParts::Index(&[&alias]))
        .body(json!({ "size": 10_000, "query": { "match_all": {} } }))
        .send()
        .await
        .unwrap();
    let body: Value = sent.json().await.unwrap();
    let hits = body["hits"]["hits"].as_array().cloned().unwrap_or_default();
    hits.into_iter()
        .map(|hit| {
            (
                hit["_id"].as_str().unwrap().to_owned(),
                hit["_source"].clone(),
            )
        })
        .collect()
}

/// Every document of `kind` in the search projection.
pub async fn in_postgres(pool: &PgPool, kind: DocKind) -> Docs {
    let sql = match kind {
        DocKind::Orders => "select order_id, doc from read.search_orders",
        DocKind::Stock => "select stock_id, doc from read.search_stock",
    };
    let rows: Vec<(String, Value)> = sqlx::query_as(sql).fetch_all(pool).await.unwrap();
    rows.into_iter().collect()
}

/// Waits (a minute at most) until Elasticsearch holds exactly the search
/// projection's documents, of both kinds; fails showing what differs.
pub async fn converge(pool: &PgPool, es: &EsClient) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut differences = Vec::new();
        for kind in DocKind::ALL {
            refresh(es).await;
            let (a, b) = (
                in_elasticsearch(es, kind).await,
                in_postgres(pool, kind).await,
            );
            if a != b {
                differences.push(describe(kind, &a, &b));
            }
        }
        if differences.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "elasticsearch never matched postgres:\n{}",
            differences.join("\n")
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn describe(kind: DocKind, es: &Docs, pg: &Docs) -> String {
    let missing: Vec<&String> = pg.keys().filter(|id| !es.contains_key(*id)).collect();
    let extra: Vec<&String> = es.keys().filter(|id| !pg.contains_key(*id)).collect();
    let stale: Vec<&String> = pg
        .iter()
        .filter(|(id, doc)| es.get(*id).is_some_and(|d| d != *doc))
        .map(|(id, _)| id)
        .collect();
    format!(
        "{}: {} in postgres, {} in elasticsearch; missing {missing:?}, extra {extra:?}, stale {stale:?}",
        kind.as_str(),
        pg.len(),
        es.len()
    )
}
