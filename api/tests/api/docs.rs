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
