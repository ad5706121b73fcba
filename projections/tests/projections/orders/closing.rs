//! Cancellations (one vendor, the whole order) and payment expiry.

use bazaar_domain::order::OrderCommand;
use bazaar_testkit::fixtures::{minutes, pay, t0, vendor};
use bazaar_testkit::world::World;
use chrono::Duration;
use sqlx::PgPool;

use super::rows::{self, project, OrderRow, VendorRow};

/// `(refunded_amount)` of every line, in line order.
async fn line_refunds(pool: &PgPool, id: &str) -> Vec<i64> {
    rows::lines(pool, id)
        .await
        .iter()
        .map(|l| l.refunded_amount)
        .collect()
}

/// o-1 from three vendors, stock reserved, paid at t0 + 5 minutes.
async fn paid_order(pool: &PgPool) -> World {
    let world = World::new(pool);
    world.stock_up().await;
    world.three_vendor_order("o-1").await;
    world.settle(t0()).await;
    world.order("o-1", pay(2_900, minutes(5))).await;
    world.settle(minutes(5)).await;
    world
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_vendor_cancelling_inside_a_paid_order_refunds_only_its_part(pool: PgPool) {
    let world = paid_order(&pool).await;
    let cancelled_at = t0() + Duration::hours(2);
    let cancel = OrderCommand::CancelVendorOrder {
        vendor: vendor("vendor-b"),
        reason: "oven broke".to_owned(),
        at: cancelled_at,
    };
    world.order("o-1", cancel).await;
    world.settle(cancelled_at).await;
    project(&pool).await;

    let order = rows::order(&pool, "o-1").await;
    assert_eq!(
        (
            order.status.as_str(),
            order.total,
            order.refunded_total,
            order.last_sequence
        ),
        ("PAID", 2_900, 450, 3)
    );
    assert_eq!(
        (order.cancelled_at, order.cancel_reason),
        (None, None),
        "the order lives on"
    );
    assert_eq!(order.paid_at, Some(minutes(5)));
    let b = VendorRow {
        refunded: 450,
        cancelled_at: Some(cancelled_at),
        ..VendorRow::placed("vendor-b", "CANCELLED", 450, t0())
    };
    let expected = vec![
        VendorRow::placed("vendor-a", "PAID", 1_000, t0()),
        b,
        VendorRow::placed("vendor-c", "PAID", 1_450, t0()),
    ];
    assert_eq!(rows::vendor_orders(&pool, "o-1").await, expected);
    assert_eq!(line_refunds(&pool, "o-1").await, [0, 450, 0, 0]);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_buyer_cancelling_a_paid_order_refunds_every_vendor_order(pool: PgPool) {
    let world = paid_order(&pool).await;
    let cancel = OrderCommand::CancelOrder {
        reason: "changed my mind".to_owned(),
        at: minutes(20),
    };
    world.order("o-1", cancel).await;
    world.settle(minutes(20)).await;
    project(&pool).await;

    let order = rows::order(&pool, "o-1").await;
    assert_eq!(
        (order.status.as_str(), order.refunded_total),
        ("CANCELLED", 2_900)
    );
    assert_eq!(
        (order.cancelled_at, order.cancel_reason.as_deref()),
        (Some(minutes(20)), Some("changed my mind"))
    );
    let refunded: Vec<(String, i64)> = rows::vendor_orders(&pool, "o-1")
        .await
        .into_iter()
        .inspect(|v| {
            assert_eq!(
                (v.status.as_str(), v.cancelled_at),
                ("CANCELLED", Some(minutes(20)))
            )
        })
        .map(|v| (v.vendor_id, v.refunded))
        .collect();
    let expected = [("vendor-a", 1_000), ("vendor-b", 450), ("vendor-c", 1_450)]
        .map(|(v, r)| (v.to_owned(), r));
    assert_eq!(refunded, expected);
    assert_eq!(line_refunds(&pool, "o-1").await, [600, 450, 400, 1_450]);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn an_unpaid_order_expires_and_a_late_capture_changes_no_money_column(pool: PgPool) {
    let world = World::new(&pool);
    world.stock_up().await;
    world.three_vendor_order("o-1").await;
    world.settle(t0()).await;
    world.settle(minutes(30)).await;
    project(&pool).await;
    let expired = rows::order(&pool, "o-1").await;
    everything_is_closed_at_the_deadline(&pool, &expired).await;

    world.order("o-1", pay(2_900, minutes(45))).await;
    world.settle(minutes(45)).await;
    project(&pool).await;

    let (last_sequence, updated_at) = rows::event_stamp(&pool, "o-1", 0).await;
    assert_eq!(last_sequence, 3, "placed, expired, late capture");
    let moved = OrderRow {
        last_sequence,
        updated_at,
        ..expired
    };
    assert_eq!(
        rows::order(&pool, "o-1").await,
        moved,
        "only the stream position moves"
    );
}

async fn everything_is_closed_at_the_deadline(pool: &PgPool, expired: &OrderRow) {
    let (_, updated_at) = rows::event_stamp(pool, "o-1", 2).await;
    let expected = OrderRow {
        order_id: "o-1".to_owned(),
        buyer_id: "buyer-1".to_owned(),
        currency: "EUR".to_owned(),
        total: 2_900,
        status: "PAYMENT_EXPIRED".to_owned(),
        fee_rate_bps: 1_000,
        placed_at: t0(),
        payment_due_at: minutes(30),
        paid_at: None,
        payment_id: None,
        cancelled_at: Some(minutes(30)),
        cancel_reason: None,
        refunded_total: 0,
        vendor_count: 3,
        last_sequence: 2,
        updated_at,
    };
    assert_eq!(*expired, expected);
    let cancelled = |(v, subtotal)| VendorRow {
        cancelled_at: Some(minutes(30)),
        ..VendorRow::placed(v, "CANCELLED", subtotal, t0())
    };
    let vendors = [("vendor-a", 1_000), ("vendor-b", 450), ("vendor-c", 1_450)];
    let expected: Vec<VendorRow> = vendors.into_iter().map(cancelled).collect();
    assert_eq!(rows::vendor_orders(pool, "o-1").await, expected);
    assert_eq!(line_refunds(pool, "o-1").await, [0, 0, 0, 0]);
}
