//! The OpenAPI document, the docs page and Prometheus metrics.

use std::collections::BTreeSet;

use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::fixtures::receive_stock;
use crate::helpers::{admin, spawn_full};

/// Every command and query path the API must describe.
const PATHS: &[&str] = &[
    "/v1/orders",
    "/v1/orders/{order_id}",
    "/v1/orders/{order_id}/payments",
    "/v1/orders/{order_id}/expire",
    "/v1/orders/{order_id}/cancel",
    "/v1/orders/{order_id}/vendors/{vendor_id}/cancel",
    "/v1/orders/{order_id}/vendors/{vendor_id}/pack",
    "/v1/orders/{order_id}/vendors/{vendor_id}/shipments",
    "/v1/orders/{order_id}/vendors/{vendor_id}/delivery",
    "/v1/orders/{order_id}/vendors/{vendor_id}/auto-delivery",
    "/v1/orders/{order_id}/vendors/{vendor_id}/returns",
    "/v1/orders/{order_id}/vendors/{vendor_id}/returns/receipts",
    "/v1/orders/{order_id}/vendors/{vendor_id}/complete",
    "/v1/orders/{order_id}/invoice",
    "/v1/vendors/{vendor_id}/orders",
    "/v1/vendors/{vendor_id}/orders/{order_id}",
    "/v1/vendors/{vendor_id}/balances",
    "/v1/vendors/{vendor_id}/ledger",
    "/v1/vendors/{vendor_id}/order-balances",
    "/v1/stock",
    "/v1/stock/{sku}/{warehouse}",
    "/v1/stock/{sku}/{warehouse}/movements",
    "/v1/stock/{sku}/{warehouse}/batches",
    "/v1/stock/{sku}/{warehouse}/adjustments",
    "/v1/stock/{sku}/{warehouse}/batches/{batch}/write-off",
    "/v1/stock/{sku}/{warehouse}/restocks",
    "/v1/stock/{sku}/{warehouse}/reservations",
    "/v1/stock/{sku}/{warehouse}/reservations/{reservation}/extend",
    "/v1/stock/{sku}/{warehouse}/reservations/{reservation}/commit",
    "/v1/stock/{sku}/{warehouse}/reservations/{reservation}/release",
    "/v1/stock/{sku}/{warehouse}/reservations/{reservation}/expire",
    "/v1/payments/{order_id}",
    "/v1/payments/{order_id}/split",
    "/v1/payments/{order_id}/vendors/{vendor_id}/payout-schedule",
    "/v1/payments/{order_id}/vendors/{vendor_id}/payouts",
    "/v1/payments/{order_id}/vendors/{vendor_id}/payouts/{payout_id}/failure",
    "/v1/payments/{order_id}/refunds",
    "/v1/payments/{order_id}/chargebacks",
    "/v1/platform/fees",
    "/v1/escrows",
    "/v1/escrows/{escrow_id}",
    "/v1/escrows/{escrow_id}/funding",
    "/v1/escrows/{escrow_id}/milestones/{milestone_id}/delivery",
    "/v1/escrows/{escrow_id}/milestones/{milestone_id}/accept",
    "/v1/escrows/{escrow_id}/milestones/{milestone_id}/reject",
    "/v1/escrows/{escrow_id}/milestones/{milestone_id}/lapse",
    "/v1/escrows/{escrow_id}/milestones/{milestone_id}/disputes",
    "/v1/escrows/{escrow_id}/milestones/{milestone_id}/resolution",
    "/v1/escrows/{escrow_id}/milestones/{milestone_id}/release",
    "/v1/escrows/{escrow_id}/milestones/{milestone_id}/partial-release",
    "/v1/escrows/{escrow_id}/refunds",
    "/v1/escrows/{escrow_id}/cancel",
    "/v1/agents/{agent_id}/commissions",
    "/v1/agents/{agent_id}/commissions/monthly",
    "/v1/invoices",
    "/v1/invoices/export",
    "/v1/invoices/{document_id}",
    "/v1/audit/streams/{aggregate_type}/{aggregate_id}/events",
    "/v1/audit/streams/{aggregate_type}/{aggregate_id}/state",
    "/v1/audit/events",
    "/v1/audit/export",
    "/v1/audit/verify",
    "/v1/search/orders",
    "/v1/search/stock",
];

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn the_openapi_document_describes_every_endpoint(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;

    let document: Value = app.get("/openapi.json").await.json().await.unwrap();

    assert!(
        document["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        document["openapi"]
    );
    let described: BTreeSet<&str> = document["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let expected: BTreeSet<&str> = PATHS.iter().copied().collect();
    assert_eq!(described, expected);
    let schemas = document["components"]["schemas"].as_object().unwrap();
    for name in [
        "Accepted",
        "ProblemBody",
        "PlaceOrderBody",
        "OrderDetail",
        "MoneyDoc",
        "InvoiceDetail",
        "OrderInvoices",
    ] {
        assert!(schemas.contains_key(name), "schema {name}");
    }
    assert!(document["components"]["securitySchemes"]["bearer"].is_object());
    let page = app.get("/docs").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("/openapi.json"));
}

/// The schema `reference` points at (`#/components/schemas/Name`).
fn resolve<'a>(document: &'a Value, reference: &Value) -> &'a Value {
    let name = reference["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
        .unwrap_or_else(|| panic!("not a schema reference: {reference}"));
    &document["components"]["schemas"][name]
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn the_document_states_the_servers_rules_and_statuses(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    let document: Value = app.get("/openapi.json").await.json().await.unwrap();
    let paths = &document["paths"];

    // a checkout answers 201 with Location, and every body-reading
    // failure is listed
    let place = &paths["/v1/orders"]["post"]["responses"];
    assert!(place["201"]["headers"]["Location"].is_object(), "{place}");
    assert!(place["200"].is_null(), "{place}");
    for status in [
        "400", "401", "403", "409", "413", "415", "422", "429", "503",
    ] {
        let problem = &place[status]["content"]["application/problem+json"]["schema"];
        assert!(
            problem["required"]
                .as_array()
                .is_some_and(|r| r.contains(&"type".into())),
            "POST /v1/orders {status}: {problem}"
        );
    }
    assert!(paths["/v1/escrows"]["post"]["responses"]["201"]["headers"]["Location"].is_object());

    // request bodies carry the domain's rules
    let line = &document["components"]["schemas"]["LineBody"]["properties"];
    assert_eq!(line["quantity"]["minimum"], 1);
    assert_eq!(line["quantity"]["maximum"], 1_000_000);
    let id = resolve(&document, &line["product"]);
    assert_eq!(id["pattern"], "^[A-Za-z0-9_.:@-]{1,64}$");
    let title = resolve(&document, &line["title"]);
    assert_eq!(
        (title["minLength"].as_u64(), title["maxLength"].as_u64()),
        (Some(1), Some(200))
    );
    let money = &document["components"]["schemas"]["MoneyDoc"]["properties"];
    assert_eq!(money["amount"]["minimum"], 1);
    assert!(resolve(&document, &money["currency"])["enum"]
        .as_array()
        .unwrap()
        .contains(&"EUR".into()));

    // list limits state their maximum
    let limit = paths["/v1/orders"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap();
    assert_eq!(limit["schema"]["maximum"], 200);

    // searches are typed both ways
    let search = &paths["/v1/search/orders"]["post"];
    let body = &search["requestBody"]["content"]["application/json"]["schema"];
    assert_eq!(body["$ref"], "#/components/schemas/OrderQuery");
    let answer = &search["responses"]["200"]["content"]["application/json"]["schema"];
    assert_eq!(answer["$ref"], "#/components/schemas/OrderPage");
    let query = &document["components"]["schemas"]["OrderQuery"];
    assert_eq!(query["additionalProperties"], false, "{query}");
    assert_eq!(query["properties"]["size"]["maximum"], 100);
    assert!(document["components"]["schemas"]["OrderDoc"]["properties"]["vendors"].is_object());
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn metrics_count_requests_commands_and_show_projection_lag(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    receive_stock(&app, "v-1", "apple", 10).await;
    app.get_as(&admin(), "/v1/orders").await;

    let text = app.get("/metrics").await.text().await.unwrap();

    assert!(text.contains("bazaar_http_requests_total{method=\"POST\",route=\"/v1/stock/{sku}/{warehouse}/batches\",status=\"200\"}"), "{text}");
    assert!(text.contains("bazaar_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/orders\",le=\"+Inf\"}"), "{text}");
    assert!(text.contains("bazaar_commands_total{aggregate=\"InventoryReservation\",command=\"ReceiveBatch\",outcome=\"applied\"}"), "{text}");
    assert!(
        text.contains("bazaar_projection_lag_events{projection=\"stock\""),
        "{text}"
    );
}
