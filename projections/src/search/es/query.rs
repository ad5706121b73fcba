//! Searches against the aliases: the request bodies and reading the
//! answers into the same pages the Postgres fallback returns.
//!
//! Full text uses `simple_query_string` over the `text` fields (a vendor's
//! own part's `text` in vendor scope) with `and` as the default operator,
//! after turning the web-search `or` into `|`; the fallback reads that
//! string the same way (`crate::search::text`). Everything is a filter (no
//! scoring): hits come newest first, then by id, and pages continue with
//! `search_after` from the cursor. Facets: the `facets` module.

use elasticsearch::SearchParts;
use serde_json::{json, Value};

use super::client::{expect_ok, DocKind, EsClient};
use super::facets::{facets, order_aggs};
use crate::search::criteria::{OrderCriteria, StockCriteria};
use crate::search::document::{OrderDoc, StockDoc};
use crate::search::error::SearchError;
use crate::search::request::{Backend, OrderPage, Scope, StockPage, Total};
use crate::search::scoping::{order_hit, order_page, stock_hit, stock_page};
pub use crate::search::text::simple_query;

/// One page of orders from the orders alias.
pub async fn search_orders(es: &EsClient, c: &OrderCriteria) -> Result<OrderPage, SearchError> {
    let body = run(es, DocKind::Orders, order_body(c)).await?;
    parse_orders(&body, c)
}

/// One page of stock from the stock alias.
pub async fn search_stock(es: &EsClient, c: &StockCriteria) -> Result<StockPage, SearchError> {
    let body = run(es, DocKind::Stock, stock_body(c)).await?;
    parse_stock(&body, c)
}

async fn run(es: &EsClient, kind: DocKind, body: Value) -> Result<Value, SearchError> {
    let alias = es.alias(kind);
    let sent = es
        .client()
        .search(SearchParts::Index(&[&alias]))
        .body(body)
        .send()
        .await;
    expect_ok(sent)
        .await
        .map_err(|e| SearchError::Elasticsearch(e.to_string()))
}

fn text_query(text: &str, field: &str) -> Value {
    json!({ "simple_query_string": {
        "query": simple_query(text),
        "fields": [field],
        "default_operator": "and",
        "flags": "OR|NOT|PHRASE|WHITESPACE",
    }})
}

/// The `_search` body of an order search.
pub fn order_body(c: &OrderCriteria) -> Value {
    let mut body = json!({
        "size": c.size + 1,
        "query": { "bool": { "filter": order_filters(c) } },
        "sort": [ { "placed_at": { "order": "desc" } }, { "order_id": { "order": "desc" } } ],
    });
    if let Some(after) = &c.after {
        body["search_after"] = json!([after.placed_at.timestamp_millis(), after.order_id]);
    } else {
        body["aggs"] = order_aggs(c);
    }
    body
}

fn order_filters(c: &OrderCriteria) -> Vec<Value> {
    let mut filters = Vec::new();
    if let Some(buyer) = &c.buyer_id {
        filters.push(json!({ "term": { "buyer_id": buyer } }));
    }
    if let Some(vendor) = &c.vendor_id {
        filters.push(json!({ "nested": { "path": "vendors", "query": { "term": { "vendors.vendor_id": vendor } } } }));
    }
    let mut placed = serde_json::Map::new();
    if let Some(from) = c.placed_from {
        placed.insert("gte".into(), json!(from));
    }
    if let Some(before) = c.placed_before {
        placed.insert("lt".into(), json!(before));
    }
    if !placed.is_empty() {
        filters.push(json!({ "range": { "placed_at": placed } }));
    }
    match c.vendor_scope() {
        Some(vendor) => {
            let mut own = vec![json!({ "term": { "vendors.vendor_id": vendor } })];
            own.extend(part_filters(c, "vendors."));
            filters.push(
                json!({ "nested": { "path": "vendors", "query": { "bool": { "filter": own } } } }),
            );
        }
        None => filters.extend(part_filters(c, "")),
    }
    filters
}

/// Text, status, currency and amount: on the order, or with `prefix`
/// `vendors.` on the vendor's own part.
fn part_filters(c: &OrderCriteria, prefix: &str) -> Vec<Value> {
    let mut filters = Vec::new();
    if let Some(text) = &c.text {
        filters.push(text_query(text, &format!("{prefix}text")));
    }
    if !c.statuses.is_empty() {
        filters.push(json!({ "terms": { format!("{prefix}status"): c.statuses } }));
    }
    if let Some(currency) = &c.currency {
        filters.push(json!({ "term": { format!("{prefix}currency"): currency } }));
    }
    let amount = if prefix.is_empty() {
        "total".to_owned()
    } else {
        format!("{prefix}subtotal")
    };
    let mut range = serde_json::Map::new();
    if let Some(min) = c.amount_min {
        range.insert("gte".into(), json!(min));
    }
    if let Some(max) = c.amount_max {
        range.insert("lte".into(), json!(max));
    }
    if !range.is_empty() {
        filters.push(json!({ "range": { amount: range } }));
    }
    filters
}

fn total(body: &Value) -> Result<Total, SearchError> {
    let total = &body["hits"]["total"];
    Ok(Total {
        value: total["value"]
            .as_u64()
            .ok_or_else(|| SearchError::unexpected("hits.total.value"))?,
        exact: total["relation"] == "eq",
    })
}

fn sources<D: serde::de::DeserializeOwned>(body: &Value) -> Result<Vec<D>, SearchError> {
    let hits = body["hits"]["hits"]
        .as_array()
        .ok_or_else(|| SearchError::unexpected("hits.hits"))?;
    hits.iter()
        .map(|hit| serde_json::from_value(hit["_source"].clone()).map_err(SearchError::unexpected))
        .collect()
}

/// An order page from a `_search` answer.
pub fn parse_orders(body: &Value, c: &OrderCriteria) -> Result<OrderPage, SearchError> {
    let docs: Vec<OrderDoc> = sources(body)?;
    let (docs, next_cursor) = order_page(docs, c.size);
    let facets = match c.after {
        None => Some(facets(&body["aggregations"], c.vendor_scope().is_some())?),
        Some(_) => None,
    };
    Ok(OrderPage {
        hits: docs.into_iter().map(|d| order_hit(d, &c.scope)).collect(),
        total: total(body)?,
        next_cursor,
        facets,
        backend: Backend::Elasticsearch,
    })
}

/// The `_search` body of a stock search.
pub fn stock_body(c: &StockCriteria) -> Value {
    let mut filters = Vec::new();
    if let Scope::Vendor(vendor) = &c.scope {
        filters.push(json!({ "term": { "vendor_id": vendor } }));
    }
    if let Some(text) = &c.text {
        filters.push(text_query(text, "text"));
    }
    if let Some(sku) = &c.sku {
        filters.push(json!({ "term": { "sku": sku } }));
    }
    if let Some(warehouse) = &c.warehouse_id {
        filters.push(json!({ "term": { "warehouse_id": warehouse } }));
    }
    if let Some(min) = c.min_available {
        filters.push(json!({ "range": { "available": { "gte": min } } }));
    }
    if let Some(before) = c.expiring_before {
        filters.push(json!({ "range": { "next_expiry": { "lt": before } } }));
    }
    let mut body = json!({
        "size": c.size + 1,
        "query": { "bool": { "filter": filters } },
        "sort": [ { "stock_id": { "order": "asc" } } ],
    });
    if let Some(after) = &c.after {
        body["search_after"] = json!([after.stock_id]);
    }
    body
}

/// A stock page from a `_search` answer.
pub fn parse_stock(body: &Value, c: &StockCriteria) -> Result<StockPage, SearchError> {
    let docs: Vec<StockDoc> = sources(body)?;
    let (docs, next_cursor) = stock_page(docs, c.size);
    Ok(StockPage {
        hits: docs.into_iter().map(|d| stock_hit(d, &c.scope)).collect(),
        total: total(body)?,
        next_cursor,
        backend: Backend::Elasticsearch,
    })
}
