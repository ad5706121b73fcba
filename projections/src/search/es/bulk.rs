//! Bulk requests and the verdict on every item of their answer.
//!
//! A bulk answer of 200 says nothing about its items: each carries its own
//! status. [`verdicts`] reads all of them, in request order:
//! - 200/201: indexed;
//! - 409 `version_conflict_engine_exception`: the index already holds this
//!   version or a newer one (a replay): done;
//! - 429 and 5xx (and any other 409): transient, sent again after a pause;
//! - 400 (mapping and parsing failures): the document itself is refused;
//!   it is parked in `search_parked` and reported, never skipped silently;
//! - anything else (401, 403, 404 index missing, …): not the document's
//!   fault; the batch fails and is retried from the checkpoint.

use serde_json::{json, Value};

use super::client::{clip, DocKind, EsClient, EsError};

/// One document to index.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkDoc {
    /// Its kind (which index).
    pub kind: DocKind,
    /// Its id.
    pub id: String,
    /// Its external version: the sequence of the last event folded into it.
    pub version: i64,
    /// The `_source`.
    pub source: Value,
}

/// The NDJSON lines (action, source, action, source, …) indexing `docs`
/// into `generation`'s indices with external versions.
pub fn lines(es: &EsClient, generation: i32, docs: &[&BulkDoc]) -> Vec<Value> {
    docs.iter()
        .flat_map(|doc| {
            let action = json!({
                "index": {
                    "_index": es.index(doc.kind, generation),
                    "_id": doc.id,
                    "version": doc.version,
                    "version_type": "external",
                }
            });
            [action, doc.source.clone()]
        })
        .collect()
}

/// What became of one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Indexed (200, 201).
    Indexed,
    /// The index already has this version or a newer one (409).
    AlreadyNewer,
    /// Try again later (429, 5xx).
    Retry(Refusal),
    /// The document is refused (400): park it.
    Park(Refusal),
    /// A failure that is not the document's fault: fail the batch.
    Fail(Refusal),
}

/// Why an item was not indexed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The item's HTTP status.
    pub status: u16,
    /// `error.type`, e.g. `document_parsing_exception`.
    pub error_type: Option<String>,
    /// `error.reason` (with its `caused_by` reason, if any).
    pub reason: String,
}

/// The verdict on each of the `sent` items of a bulk answer, in order.
pub fn verdicts(body: &Value, sent: usize) -> Result<Vec<Verdict>, EsError> {
    let items = body["items"].as_array().ok_or_else(|| {
        EsError::Body(format!(
            "bulk answer without items: {}",
            clip(&body.to_string())
        ))
    })?;
    if items.len() != sent {
        return Err(EsError::Body(format!(
            "bulk answer has {} items for {sent} sent",
            items.len()
        )));
    }
    items.iter().map(verdict).collect()
}

fn verdict(item: &Value) -> Result<Verdict, EsError> {
    let result = item
        .as_object()
        .and_then(|o| o.values().next())
        .ok_or_else(|| EsError::Body(format!("bulk item is not an object: {item}")))?;
    let status = result["status"]
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .ok_or_else(|| EsError::Body(format!("bulk item without status: {result}")))?;
    let refusal = || refusal(status, &result["error"]);
    Ok(match status {
        200 | 201 => Verdict::Indexed,
        409 if result["error"]["type"] == "version_conflict_engine_exception" => {
            Verdict::AlreadyNewer
        }
        409 | 429 | 500.. => Verdict::Retry(refusal()),
        400 => Verdict::Park(refusal()),
        _ => Verdict::Fail(refusal()),
    })
}

fn refusal(status: u16, error: &Value) -> Refusal {
    let mut reason = error["reason"]
        .as_str()
        .unwrap_or("no reason given")
        .to_owned();
    if let Some(cause) = error["caused_by"]["reason"].as_str() {
        reason = format!("{reason}: {cause}");
    }
    Refusal {
        status,
        error_type: error["type"].as_str().map(str::to_owned),
        reason,
    }
}

/// A document to park, with Elasticsearch's reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Parked {
    /// The refused document.
    pub doc: BulkDoc,
    /// Why.
    pub refusal: Refusal,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_gets_a_verdict_even_under_a_bulk_200() {
        let body = json!({"errors": true, "items": [
            {"index": {"status": 201}},
            {"index": {"status": 409, "error": {"type": "version_conflict_engine_exception", "reason": "[o-2]: version conflict"}}},
            {"index": {"status": 429, "error": {"type": "es_rejected_execution_exception", "reason": "rejected"}}},
            {"index": {"status": 400, "error": {"type": "document_parsing_exception", "reason": "failed to parse", "caused_by": {"reason": "For input string"}}}},
            {"index": {"status": 404, "error": {"type": "index_not_found_exception", "reason": "no such index"}}},
            {"index": {"status": 503, "error": {"type": "unavailable_shards_exception", "reason": "primary shard is not active"}}},
        ]});
        let verdicts = verdicts(&body, 6).unwrap();
        assert_eq!(verdicts[0], Verdict::Indexed);
        assert_eq!(verdicts[1], Verdict::AlreadyNewer);
        assert!(matches!(
            verdicts[2],
            Verdict::Retry(Refusal { status: 429, .. })
        ));
        let Verdict::Park(parked) = &verdicts[3] else {
            panic!("{:?}", verdicts[3])
        };
        assert_eq!(parked.reason, "failed to parse: For input string");
        assert!(matches!(
            verdicts[4],
            Verdict::Fail(Refusal { status: 404, .. })
        ));
        assert!(matches!(
            verdicts[5],
            Verdict::Retry(Refusal { status: 503, .. })
        ));
    }

    #[test]
    fn an_answer_with_fewer_items_than_sent_is_an_error_not_a_success() {
        let body = json!({"errors": false, "items": [{"index": {"status": 201}}]});
        assert!(verdicts(&body, 2).is_err());
        assert!(verdicts(&json!({"errors": false}), 0).is_err());
    }
}
