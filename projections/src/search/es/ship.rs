//! Shipping documents: reading them whole from `read.search_*` at their
//! current version (which may be ahead of the batch: the external version
//! makes shipping a newer one early, or an older one again, harmless), one
//! bulk request, a verdict per item, and sending again what Elasticsearch
//! asked to retry. The indexer, a rebuild and a re-drive all ship through
//! here.

use std::collections::BTreeSet;
use std::time::Duration;

use bazaar_event_store::RecordedEvent;
use elasticsearch::http::request::JsonBody;
use elasticsearch::BulkParts;
use serde_json::Value;
use sqlx::PgPool;

use super::bulk::{lines, verdicts, BulkDoc, Parked, Verdict};
use super::client::{answer, clip, DocKind, EsClient, EsError};
use super::error::IndexError;
use super::health::IndexerHealth;
use crate::search::document::{ORDER_TYPE, STOCK_TYPE};

/// Bulk attempts within one step before the step fails (and the batch is
/// retried from the checkpoint after the worker's back-off).
pub const ATTEMPTS: u32 = 5;

/// The documents `events` touched, current versions, from `read.search_*`.
pub async fn touched_docs(
    pool: &PgPool,
    events: &[RecordedEvent],
) -> Result<Vec<BulkDoc>, IndexError> {
    let ids = |kind: &str| -> Vec<String> {
        let set: BTreeSet<&str> = events
            .iter()
            .filter(|e| e.aggregate_type == kind)
            .map(|e| e.aggregate_id.as_str())
            .collect();
        set.into_iter().map(str::to_owned).collect()
    };
    let mut docs = load(pool, DocKind::Orders, &ids(ORDER_TYPE)).await?;
    docs.extend(load(pool, DocKind::Stock, &ids(STOCK_TYPE)).await?);
    Ok(docs)
}

/// The documents `ids` of `kind`, every one of them.
pub async fn load(
    pool: &PgPool,
    kind: DocKind,
    ids: &[String],
) -> Result<Vec<BulkDoc>, IndexError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = match kind {
        DocKind::Orders => "select order_id, version, doc from read.search_orders where order_id = any($1) order by 1",
        DocKind::Stock => "select stock_id, version, doc from read.search_stock where stock_id = any($1) order by 1",
    };
    let rows: Vec<(String, i64, Value)> = sqlx::query_as(sql).bind(ids).fetch_all(pool).await?;
    if rows.len() != ids.len() {
        let found: BTreeSet<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        let missing = ids.iter().find(|id| !found.contains(id.as_str()));
        return Err(IndexError::Missing(missing.cloned().unwrap_or_default()));
    }
    Ok(rows
        .into_iter()
        .map(|(id, version, source)| BulkDoc {
            kind,
            id,
            version,
            source,
        })
        .collect())
}

/// Sends `docs` to `generation`'s indices until every item is indexed,
/// already newer, or refused (returned, to be parked); items answered 429
/// or 5xx are sent again after a growing pause, [`ATTEMPTS`] times at most.
pub async fn ship(
    es: &EsClient,
    health: &IndexerHealth,
    generation: i32,
    docs: Vec<BulkDoc>,
) -> Result<Vec<Parked>, IndexError> {
    let mut pending = docs;
    let mut parked = Vec::new();
    let mut pause = Duration::from_millis(100).min(es.settings().max_backoff);
    for attempt in 1..=ATTEMPTS {
        if pending.is_empty() {
            return Ok(parked);
        }
        if attempt > 1 {
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(es.settings().max_backoff);
        }
        match send(es, generation, &pending).await {
            Ok(verdicts) => pending = sort(health, pending, verdicts, &mut parked)?,
            Err(error) if error.is_transient() => {
                tracing::warn!(%error, attempt, "bulk request failed; sending it again");
                health.count(0, 0, pending.len() as u64, 0);
            }
            Err(error) => return Err(error.into()),
        }
    }
    if pending.is_empty() {
        return Ok(parked);
    }
    Err(EsError::Status {
        status: 429,
        body: format!(
            "{} documents still refused after {ATTEMPTS} attempts",
            pending.len()
        ),
    }
    .into())
}

async fn send(es: &EsClient, generation: i32, docs: &[BulkDoc]) -> Result<Vec<Verdict>, EsError> {
    let refs: Vec<&BulkDoc> = docs.iter().collect();
    let body: Vec<JsonBody<Value>> = lines(es, generation, &refs)
        .into_iter()
        .map(JsonBody::new)
        .collect();
    let sent = es.client().bulk(BulkParts::None).body(body).send().await;
    match answer(sent).await? {
        (200, body) => verdicts(&body, docs.len()),
        (status, body) => Err(EsError::Status {
            status,
            body: clip(&body.to_string()),
        }),
    }
}

/// Splits `docs` by verdict: returns those to send again, moves refused
/// ones to `parked`, fails on an item that is not the document's fault.
fn sort(
    health: &IndexerHealth,
    docs: Vec<BulkDoc>,
    verdicts: Vec<Verdict>,
    parked: &mut Vec<Parked>,
) -> Result<Vec<BulkDoc>, IndexError> {
    let mut again = Vec::new();
    let (mut indexed, mut conflicts, before) = (0, 0, parked.len());
    for (doc, verdict) in docs.into_iter().zip(verdicts) {
        match verdict {
            Verdict::Indexed => indexed += 1,
            Verdict::AlreadyNewer => conflicts += 1,
            Verdict::Retry(_) => again.push(doc),
            Verdict::Park(refusal) => parked.push(Parked { doc, refusal }),
            Verdict::Fail(refusal) => {
                return Err(IndexError::Refused {
                    id: doc.id,
                    refusal,
                })
            }
        }
    }
    let newly_parked = (parked.len() - before) as u64;
    health.count(indexed, conflicts, again.len() as u64, newly_parked);
    Ok(again)
}
