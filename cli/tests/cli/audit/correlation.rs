//! One checkout followed by its correlation id across every aggregate it
//! touched: the order, the stock it reserved and committed, the payment
//! split and the escrow, and nothing of another checkout.

use std::collections::BTreeSet;
use std::time::Duration;

use bazaar_event_store::audit::{
    export_to_string, read_log, AuditEvent, ExportSelection, LogFilter, PageRequest,
};
use bazaar_testkit::fixtures::{minutes, t0};
use bazaar_testkit::world::World;
use sqlx::PgPool;
use uuid::Uuid;

use super::checkout::{in_flow, pay, place};

/// Every event of `filter`, page by page, once the log has no more for now
/// and at least `want` arrived.
async fn log(pool: &PgPool, filter: &LogFilter, want: usize) -> Vec<AuditEvent> {
    let read = async {
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = read_log(
                pool,
                filter,
                &PageRequest {
                    after,
                    limit: Some(5),
                },
            )
            .await
            .unwrap();
            seen.extend(page.events);
            after = Some(page.next);
            if !page.more {
                if seen.len() >= want {
                    return seen;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .expect("the flow is readable")
}

fn types(events: &[AuditEvent]) -> BTreeSet<&str> {
    events.iter().map(|e| e.aggregate_type.as_str()).collect()
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn the_correlation_filter_follows_one_checkout_across_its_aggregates(pool: PgPool) {
    let world = World::new(&pool);
    world.stock_up().await;
    let (mine, theirs) = (Uuid::now_v7(), Uuid::now_v7());
    world.order_as("o-1", place(), &in_flow(mine)).await;
    world.order_as("o-2", place(), &in_flow(theirs)).await;
    world.settle(t0()).await;
    world.order_as("o-1", pay(minutes(5)), &in_flow(mine)).await;
    world.settle(minutes(5)).await;
    let order_events: i64 = sqlx::query_scalar(
        "select count(*) from events where aggregate_type = 'Order' and aggregate_id = 'o-1'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();

    let filter = LogFilter {
        correlation_id: Some(mine),
        ..LogFilter::default()
    };
    let flow = log(&pool, &filter, 8).await;

    assert_eq!(
        types(&flow),
        BTreeSet::from(["Escrow", "InventoryReservation", "Order", "PaymentSplit"])
    );
    let mine_text = mine.to_string();
    assert!(flow
        .iter()
        .all(|e| e.correlation_id.as_deref() == Some(mine_text.as_str())));
    assert!(flow.iter().all(|e| e.aggregate_id != "o-2"));
    let orders = flow.iter().filter(|e| e.aggregate_type == "Order").count();
    assert_eq!(orders as i64, order_events, "every event of the order");
    let stock: BTreeSet<&str> = flow
        .iter()
        .filter(|e| e.aggregate_type == "InventoryReservation")
        .map(|e| e.event_type.as_str())
        .collect();
    assert_eq!(
        stock,
        BTreeSet::from(["ReservationCommitted", "StockReserved"]),
        "reserved at placement, committed at payment"
    );
    assert!(flow.iter().all(|e| e.event_type != "BatchReceived"));
    // the saga's commands are caused by the checkout's events
    let saga = flow
        .iter()
        .filter(|e| e.actor.as_deref() == Some("system:checkout-saga"));
    let event_ids: BTreeSet<String> = flow.iter().map(|e| e.event_id.to_string()).collect();
    assert!(saga.clone().count() > 0);
    assert!(saga
        .clone()
        .all(|e| event_ids.contains(e.causation_id.as_deref().unwrap())));

    let exported = export_to_string(pool.clone(), ExportSelection::Log(filter))
        .await
        .unwrap();
    let exported: Vec<AuditEvent> = exported
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(exported, flow);
}
