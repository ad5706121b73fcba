//! The facets of an order search: the aggregations asked for and their
//! answer read back — counts by status (vendor parts' statuses in vendor
//! scope), and sales (paid, not cancelled vendor parts) by vendor, UTC day
//! and currency, summed as exact integers or not at all.

use chrono::NaiveDate;
use serde_json::{json, Value};

use crate::search::criteria::{OrderCriteria, NOT_SALES};
use crate::search::error::SearchError;
use crate::search::request::{OrderFacets, SalesBucket, StatusCount};

/// Largest integer a double holds exactly.
const EXACT_DOUBLE: f64 = 9_007_199_254_740_992.0;
/// Most vendors (and statuses, currencies) a facet lists.
const FACET_TERMS: u32 = 1_000;

pub(super) fn order_aggs(c: &OrderCriteria) -> Value {
    let terms = |field: &str| json!({ "terms": { "field": field, "size": FACET_TERMS } });
    let mut paid =
        vec![json!({ "bool": { "must_not": { "terms": { "vendors.status": NOT_SALES } } } })];
    let status = match c.vendor_scope() {
        Some(vendor) => {
            paid.push(json!({ "term": { "vendors.vendor_id": vendor } }));
            json!({ "nested": { "path": "vendors" }, "aggs": { "own": {
                "filter": { "term": { "vendors.vendor_id": vendor } },
                "aggs": { "status": terms("vendors.status") } } } })
        }
        None => terms("status"),
    };
    let currency = json!({ "terms": { "field": "vendors.currency", "size": FACET_TERMS }, "aggs": {
        "gross": { "sum": { "field": "vendors.subtotal" } },
        "refunded": { "sum": { "field": "vendors.refunded" } } } });
    let day = json!({ "date_histogram": { "field": "vendors.placed_at", "calendar_interval": "day",
        "time_zone": "UTC", "min_doc_count": 1, "format": "yyyy-MM-dd" }, "aggs": { "currency": currency } });
    json!({
        "status": status,
        "sales": { "nested": { "path": "vendors" }, "aggs": { "paid": {
            "filter": { "bool": { "filter": paid } },
            "aggs": { "vendor": { "terms": { "field": "vendors.vendor_id", "size": FACET_TERMS },
                                  "aggs": { "day": day } } } } } },
    })
}

fn buckets(agg: &Value) -> Result<&Vec<Value>, SearchError> {
    agg["buckets"]
        .as_array()
        .ok_or_else(|| SearchError::unexpected("aggregation without buckets"))
}

fn count(bucket: &Value) -> Result<u64, SearchError> {
    bucket["doc_count"]
        .as_u64()
        .ok_or_else(|| SearchError::unexpected("bucket without doc_count"))
}

/// A sum of minor units as an integer, if the double holds it exactly.
fn exact(sum: &Value) -> Result<i64, SearchError> {
    let value = sum["value"]
        .as_f64()
        .ok_or_else(|| SearchError::unexpected("sum without value"))?;
    if value.fract() != 0.0 || value.abs() > EXACT_DOUBLE {
        return Err(SearchError::unexpected(format!(
            "money sum {value} is not an exact integer"
        )));
    }
    Ok(value as i64)
}

pub(super) fn facets(aggs: &Value, vendor_scope: bool) -> Result<OrderFacets, SearchError> {
    let status_agg = match vendor_scope {
        true => &aggs["status"]["own"]["status"],
        false => &aggs["status"],
    };
    let mut status = buckets(status_agg)?
        .iter()
        .map(|b| {
            Ok(StatusCount {
                status: b["key"]
                    .as_str()
                    .ok_or_else(|| SearchError::unexpected("status key"))?
                    .to_owned(),
                count: count(b)?,
            })
        })
        .collect::<Result<Vec<_>, SearchError>>()?;
    status.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.status.cmp(&b.status)));
    let mut sales = Vec::new();
    for vendor in buckets(&aggs["sales"]["paid"]["vendor"])? {
        let vendor_id = vendor["key"]
            .as_str()
            .ok_or_else(|| SearchError::unexpected("vendor key"))?;
        for day in buckets(&vendor["day"])? {
            let key = day["key_as_string"]
                .as_str()
                .ok_or_else(|| SearchError::unexpected("day key"))?;
            let date =
                NaiveDate::parse_from_str(key, "%Y-%m-%d").map_err(SearchError::unexpected)?;
            for currency in buckets(&day["currency"])? {
                sales.push(SalesBucket {
                    vendor_id: vendor_id.to_owned(),
                    day: date,
                    currency: currency["key"]
                        .as_str()
                        .ok_or_else(|| SearchError::unexpected("currency key"))?
                        .to_owned(),
                    orders: count(currency)?,
                    gross: exact(&currency["gross"])?,
                    refunded: exact(&currency["refunded"])?,
                });
            }
        }
    }
    sales.sort_by(|a, b| {
        (&a.vendor_id, a.day, &a.currency).cmp(&(&b.vendor_id, b.day, &b.currency))
    });
    // Elasticsearch aggregates every match
    Ok(OrderFacets {
        status,
        sales,
        exact: true,
        counted_since: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_exact_integer_sums_become_money() {
        assert_eq!(exact(&json!({"value": 1450.0})).unwrap(), 1450);
        assert!(exact(&json!({"value": 0.5})).is_err());
        assert!(exact(&json!({"value": 1.0e17})).is_err());
    }
}
