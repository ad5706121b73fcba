//! W3C trace context: a caller's `traceparent` is continued by the
//! request, stored in the metadata of the events it wrote, and carried on
//! by the checkout saga into the events of the commands it runs.

use serde_json::json;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::fixtures::{line, order_when, receive_stock};
use crate::helpers::{buyer, spawn_full};

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// The `traceparent` of every event of `aggregate_type` in the flow
/// `correlation_id`, oldest first.
async fn traceparents(
    pool: &sqlx::PgPool,
    aggregate_type: &str,
    correlation_id: &str,
) -> Vec<Option<String>> {
    sqlx::query_scalar(
        "select metadata->>'traceparent' from events \
         where aggregate_type = $1 and metadata->>'correlation_id' = $2 \
         order by global_position",
    )
    .bind(aggregate_type)
    .bind(correlation_id)
    .fetch_all(pool)
    .await
    .unwrap()
}

/// The reservation events of the flow, once the saga has written any: the
/// saga runs in the background, so a loaded machine may take a while.
async fn saga_reservations(pool: &sqlx::PgPool, correlation_id: &str) -> Vec<Option<String>> {
    for _ in 0..600 {
        let reserved = traceparents(pool, "InventoryReservation", correlation_id).await;
        if !reserved.is_empty() {
            return reserved;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Vec::new()
}

fn trace_of(traceparent: &str) -> (&str, &str) {
    let parts: Vec<&str> = traceparent.split('-').collect();
    assert_eq!(parts.len(), 4, "{traceparent}");
    (parts[1], parts[2])
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_callers_trace_reaches_the_events_and_the_sagas_commands(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    receive_stock(&app, "v-1", "apple", 10).await;

    let response = app
        .client
        .post(format!("{}/v1/orders", app.address))
        .bearer_auth(buyer("buyer-1"))
        .header("traceparent", CALLER)
        .json(&json!({"currency": "EUR", "lines": [line("v-1", "apple", 2, 300)]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let echoed = response.headers()["traceparent"]
        .to_str()
        .unwrap()
        .to_owned();
    let (trace, request_span) = trace_of(&echoed);
    assert_eq!(trace, TRACE, "the request continues the caller's trace");
    assert_ne!(request_span, "00f067aa0ba902b7", "as a span of its own");
    let accepted: serde_json::Value = response.json().await.unwrap();
    let order = accepted["aggregate_id"].as_str().unwrap();
    order_when(&app, order, "AWAITING_PAYMENT").await;

    let correlation: String = sqlx::query_scalar(
        "select metadata->>'correlation_id' from events \
         where aggregate_type = 'Order' and aggregate_id = $1 and sequence = 1",
    )
    .bind(order)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let placed = traceparents(&app.pool, "Order", &correlation).await;
    assert_eq!(placed[0].as_deref(), Some(echoed.as_str()), "OrderPlaced");
    let reserved = saga_reservations(&app.pool, &correlation).await;
    assert!(!reserved.is_empty(), "the saga reserved the stock");
    for traceparent in reserved {
        let traceparent = traceparent.expect("the saga's command carries the trace");
        let (trace, span) = trace_of(&traceparent);
        assert_eq!(trace, TRACE);
        assert_ne!(span, request_span, "the saga's step is a span of its own");
    }
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn without_a_valid_traceparent_a_request_starts_its_own_trace(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    let stored = |stock: &'static str| {
        let pool = app.pool.clone();
        async move {
            let value: Option<String> = sqlx::query_scalar(
                "select metadata->>'traceparent' from events where aggregate_id = $1",
            )
            .bind(stock)
            .fetch_one(&pool)
            .await
            .unwrap();
            value.expect("every event written by a request has a trace context")
        }
    };
    let response = app
        .client
        .post(format!("{}/v1/stock/pear/wh-1/batches", app.address))
        .bearer_auth(crate::helpers::vendor("v-1"))
        .header(
            "traceparent",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        )
        .json(&json!({"batch": "b-1", "quantity": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let traceparent = stored("pear@wh-1").await;
    assert_ne!(trace_of(&traceparent).0, "00000000000000000000000000000000");
    assert_eq!(
        response.headers()["traceparent"].to_str().unwrap(),
        traceparent
    );
}
