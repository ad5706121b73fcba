//! Searches against a recording server that answers with a real
//! Elasticsearch search body: the exact request of a scoped order search
//! (filters, sort, `search_after`, facets on the first page only) and the
//! page read back from the answer.

use std::time::Duration;

use axum::http::Method;
use bazaar_projections::search::es::{EsClient, EsSettings};
use bazaar_projections::search::request::{OrderQuery, OrderSearch, Scope};
use bazaar_projections::search::Search;
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgPool;

use super::mock_es::{MockEs, SEARCH_ORDERS};

fn client(mock: &MockEs) -> EsClient {
    let mut settings = EsSettings::new(&mock.url);
    settings.max_backoff = Duration::from_millis(20);
    EsClient::new(settings).unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn searches_send_the_scoped_query_and_read_a_real_answer(pool: PgPool) {
    let mock = MockEs::start().await;
    let search = Search::new(pool.clone(), Some(client(&mock)));
    mock.script(Method::POST, "/bazaar-orders/_search", 200, SEARCH_ORDERS);
    let first = OrderQuery {
        size: Some(1),
        ..OrderQuery::default()
    };
    let page = search
        .orders(&OrderSearch {
            scope: Scope::All,
            query: first,
        })
        .await
        .unwrap();
    assert_eq!(page.hits.len(), 1);
    assert_eq!(page.hits[0].order_id, "order-1");
    assert!(page.hits[0].text.is_empty());
    assert_eq!((page.total.value, page.total.exact), (2, true));
    let facets = page.facets.unwrap();
    assert_eq!(facets.status[0].count, 2);
    assert_eq!(facets.sales.len(), 4);
    assert_eq!(
        (facets.sales[1].vendor_id.as_str(), facets.sales[1].gross),
        ("vendor-a", 1_000)
    );
    let sent = mock.take().remove(0).json();
    assert_eq!(sent["size"], 2);
    assert_eq!(
        sent["sort"],
        json!([{"placed_at": {"order": "desc"}}, {"order_id": {"order": "desc"}}])
    );
    assert!(sent["aggs"]["sales"]["nested"].is_object());
    // the next page, as vendor-a: search_after from the cursor, own part only
    mock.script(Method::POST, "/bazaar-orders/_search", 200, SEARCH_ORDERS);
    let next = OrderQuery {
        text: Some("apples or bread".into()),
        status: vec!["shipped".into()],
        currency: Some("EUR".into()),
        amount_min: Some(100),
        size: Some(1),
        cursor: page.next_cursor,
        ..OrderQuery::default()
    };
    let scope = Scope::Vendor("vendor-a".into());
    let page = search
        .orders(&OrderSearch { scope, query: next })
        .await
        .unwrap();
    assert!(page.facets.is_none());
    assert_eq!(page.hits[0].vendors.len(), 1);
    assert_eq!(
        (page.hits[0].status.as_str(), page.hits[0].total),
        ("SHIPPED", 1_000)
    );
    let placed: DateTime<Utc> = "2026-11-02T09:00:00Z".parse().unwrap();
    assert_eq!(
        mock.take().remove(0).json(),
        json!({
            "size": 2,
            "query": {"bool": {"filter": [{"nested": {"path": "vendors", "query": {"bool": {"filter": [
                {"term": {"vendors.vendor_id": "vendor-a"}},
                {"simple_query_string": {"query": "apples | bread", "fields": ["vendors.text"],
                    "default_operator": "and", "flags": "OR|NOT|PHRASE|WHITESPACE"}},
                {"terms": {"vendors.status": ["SHIPPED"]}},
                {"term": {"vendors.currency": "EUR"}},
                {"range": {"vendors.subtotal": {"gte": 100}}},
            ]}}}}]}},
            "sort": [{"placed_at": {"order": "desc"}}, {"order_id": {"order": "desc"}}],
            "search_after": [placed.timestamp_millis(), "order-1"],
        })
    );
}
