//! `/v1/audit`: history, state as of a sequence, the log by correlation,
//! NDJSON export and chain verification, for auditors only.

use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::fixtures::{line, place_order, receive_stock};
use crate::helpers::{auditor, buyer, spawn_full, vendor};

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn auditors_follow_an_order_through_history_state_log_export_and_verify(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    receive_stock(&app, "v-1", "apple", 10).await;
    let placed = place_order(&app, "buyer-1", vec![line("v-1", "apple", 2, 250)]).await;
    let order = placed["aggregate_id"].as_str().unwrap().to_owned();
    app.command(
        &buyer("buyer-1"),
        &format!("/v1/orders/{order}/cancel"),
        &json!({"reason": "changed my mind"}),
        200,
    )
    .await;

    let history = app
        .read(
            &auditor(),
            &format!("/v1/audit/streams/order/{order}/events"),
        )
        .await;
    let events = history["events"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{history}");
    let first = &events[0];
    assert_eq!(first["event_type"], "OrderPlaced");
    assert_eq!(first["actor"], "buyer:buyer-1", "{first}");
    assert_eq!(first["command_id"], placed["command_id"]);

    let before_cancel = app
        .read(
            &auditor(),
            &format!("/v1/audit/streams/order/{order}/state?sequence=1"),
        )
        .await;
    let latest = app
        .read(
            &auditor(),
            &format!("/v1/audit/streams/order/{order}/state"),
        )
        .await;
    assert_ne!(before_cancel, latest);
    assert_eq!(before_cancel["sequence"], 1, "{before_cancel}");

    let correlation = first["correlation_id"].as_str().unwrap();
    // the log shows only events below the cluster-wide commit horizon,
    // which other sessions' transactions may hold back for a moment
    let mut types = Vec::new();
    for _ in 0..400 {
        let flow = app
            .read(
                &auditor(),
                &format!("/v1/audit/events?correlation_id={correlation}"),
            )
            .await;
        types = flow["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["aggregate_type"].as_str().unwrap().to_owned())
            .collect();
        if types.iter().any(|t| t == "InventoryReservation") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(
        types.iter().any(|t| t == "Order") && types.iter().any(|t| t == "InventoryReservation"),
        "the saga's reservation joins the flow: {types:?}"
    );

    let export = app
        .get_as(
            &auditor(),
            &format!("/v1/audit/export?aggregate_type=order&aggregate_id={order}"),
        )
        .await;
    assert_eq!(export.headers()["content-type"], "application/x-ndjson");
    let text = export.text().await.unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);

    let verified = app.read(&auditor(), "/v1/audit/verify").await;
    assert!(verified["broken"].is_null(), "{verified}");
    assert!(verified["events"].as_u64().unwrap() >= 3);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn the_audit_trail_is_closed_to_buyers_and_vendors_and_checks_its_input(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;

    for token in [buyer("buyer-1"), vendor("v-1")] {
        assert_eq!(app.get_as(&token, "/v1/audit/events").await.status(), 403);
        assert_eq!(app.get_as(&token, "/v1/audit/verify").await.status(), 403);
    }
    assert_eq!(
        app.get_as(&auditor(), "/v1/audit/streams/nonsense/x/events")
            .await
            .status(),
        422
    );
    assert_eq!(
        app.get_as(&auditor(), "/v1/audit/streams/order/missing/events")
            .await
            .status(),
        404
    );
    assert_eq!(
        app.get_as(&auditor(), "/v1/audit/events?after=garbage")
            .await
            .status(),
        400
    );
}
