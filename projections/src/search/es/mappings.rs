//! The index templates: explicit mappings (`dynamic: strict`, so a field
//! the mapping does not know is refused and parked, never guessed) applied
//! to every index of the kind's pattern.
//!
//! Amounts are `long` minor units; ids, statuses and currencies `keyword`;
//! `text` fields are analysed with the `standard` analyzer (no stemming, as
//! the Postgres fallback's `simple` configuration). Vendor parts are
//! `nested` so a vendor's filters and the sales facet look at one part at a
//! time, not at a mix of several vendors' fields.

use serde_json::{json, Value};

use super::client::{DocKind, EsClient, MAPPING_VERSION};

/// `PUT _index_template/<name>` body of `kind`.
pub fn template(es: &EsClient, kind: DocKind) -> Value {
    json!({
        "index_patterns": [format!("{}-*", es.template(kind))],
        "priority": 500,
        "template": {
            "settings": {
                "number_of_shards": 1,
                "number_of_replicas": es.settings().replicas,
            },
            "mappings": mappings(kind),
        },
        "_meta": {
            "managed_by": "bazaar",
            "mapping_version": MAPPING_VERSION,
        },
    })
}

/// The mappings of `kind`.
pub fn mappings(kind: DocKind) -> Value {
    let properties = match kind {
        DocKind::Orders => orders(),
        DocKind::Stock => stock(),
    };
    json!({
        "dynamic": "strict",
        "_meta": { "mapping_version": MAPPING_VERSION },
        "properties": properties,
    })
}

fn keyword() -> Value {
    json!({ "type": "keyword" })
}

fn long() -> Value {
    json!({ "type": "long" })
}

fn date() -> Value {
    json!({ "type": "date" })
}

fn text() -> Value {
    json!({ "type": "text", "analyzer": "standard" })
}

fn orders() -> Value {
    json!({
        "order_id": keyword(),
        "buyer_id": keyword(),
        "status": keyword(),
        "currency": keyword(),
        "total": long(),
        "refunded": long(),
        "placed_at": date(),
        "paid_at": date(),
        "cancelled_at": date(),
        "updated_at": date(),
        "text": text(),
        "vendors": {
            "type": "nested",
            "properties": {
                "vendor_id": keyword(),
                "status": keyword(),
                "subtotal": long(),
                "refunded": long(),
                "currency": keyword(),
                "placed_at": date(),
                "tracking": keyword(),
                "packed_at": date(),
                "shipped_at": date(),
                "delivered_at": date(),
                "completed_at": date(),
                "cancelled_at": date(),
                "text": text(),
                "lines": { "properties": lines() },
            },
        },
    })
}

fn lines() -> Value {
    json!({
        "line_no": { "type": "integer" },
        "product_id": keyword(),
        "sku": keyword(),
        "warehouse_id": keyword(),
        "title": {
            "type": "text",
            "analyzer": "standard",
            "fields": { "keyword": { "type": "keyword", "ignore_above": 256 } },
        },
        "quantity": { "type": "integer" },
        "unit_price": long(),
        "line_total": long(),
        "shipped": { "type": "integer" },
        "returned": { "type": "integer" },
        "refunded": long(),
    })
}

fn stock() -> Value {
    json!({
        "stock_id": keyword(),
        "sku": keyword(),
        "warehouse_id": keyword(),
        "vendor_id": keyword(),
        "available": long(),
        "on_hand": long(),
        "reserved": long(),
        "as_of": date(),
        "next_expiry": date(),
        "updated_at": date(),
        "text": text(),
        "batches": {
            "properties": {
                "batch_id": keyword(),
                "expires_on": date(),
                "on_hand": long(),
                "reserved": long(),
                "free": long(),
                // no longer in documents (a written-off batch holds no
                // units, so it is not listed); kept so that documents of
                // earlier `search` generations stay valid in indices of
                // this mapping version; dropped with its next version
                "written_off": { "type": "boolean" },
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::document::{OrderDoc, StockDoc};

    /// Every field of a serialized document is mapped (`dynamic: strict`
    /// would refuse the document otherwise).
    fn unmapped(doc: &Value, mapping: &Value, path: &str, out: &mut Vec<String>) {
        let Some(fields) = doc.as_object() else {
            return;
        };
        for (name, value) in fields {
            let Some(field) = mapping.get(name) else {
                out.push(format!("{path}{name}"));
                continue;
            };
            let inner = &field["properties"];
            let values = value
                .as_array()
                .cloned()
                .unwrap_or_else(|| vec![value.clone()]);
            for value in values.iter().filter(|v| v.is_object()) {
                unmapped(value, inner, &format!("{path}{name}."), out);
            }
        }
    }

    #[test]
    fn every_document_field_is_mapped() {
        let order: OrderDoc = serde_json::from_str(include_str!(
            "../../../tests/fixtures/search/order_doc.json"
        ))
        .unwrap();
        let stock: StockDoc = serde_json::from_str(include_str!(
            "../../../tests/fixtures/search/stock_doc.json"
        ))
        .unwrap();
        let mut missing = Vec::new();
        let orders = mappings(DocKind::Orders);
        unmapped(
            &serde_json::to_value(order).unwrap(),
            &orders["properties"],
            "",
            &mut missing,
        );
        let stocks = mappings(DocKind::Stock);
        unmapped(
            &serde_json::to_value(stock).unwrap(),
            &stocks["properties"],
            "",
            &mut missing,
        );
        assert!(missing.is_empty(), "unmapped fields: {missing:?}");
    }
}
