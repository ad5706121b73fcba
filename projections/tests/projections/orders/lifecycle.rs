//! A three-vendor order through payment, partial and full shipment,
//! delivery by the buyer and automatically, returns and completion.

use bazaar_domain::order::{OrderCommand, ReturnReceipt};
use bazaar_testkit::fixtures::{days, minutes, pay, t0, vendor};
use bazaar_testkit::world::World;
use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::rows::{self, project, LineRow, OrderRow, VendorRow};

fn ship(vendor_id: &str, tracking: &str, lines: Vec<(u32, u32)>, day: i64) -> OrderCommand {
    OrderCommand::ShipVendorOrder {
        vendor: vendor(vendor_id),
        tracking: tracking.to_owned(),
        lines,
        at: days(day),
    }
}

fn pack(vendor_id: &str, day: i64) -> OrderCommand {
    OrderCommand::PackVendorOrder {
        vendor: vendor(vendor_id),
        at: days(day),
    }
}

fn confirm(vendor_id: &str, day: i64) -> OrderCommand {
    OrderCommand::ConfirmDelivery {
        vendor: vendor(vendor_id),
        at: days(day),
    }
}

fn request_return(vendor_id: &str, lines: Vec<(u32, u32)>, day: i64) -> OrderCommand {
    OrderCommand::RequestReturn {
        vendor: vendor(vendor_id),
        lines,
        reason: "not as described".to_owned(),
        at: days(day),
    }
}

/// `(line_no, vendor, quantity, unit price, line total)` with the given
/// shipped, requested, returned, damaged units and refund.
fn line_row(fixed: (i32, &str, i32, i64, i64), moved: (i32, i32, i32, i32, i64)) -> LineRow {
    let (line_no, vendor_id, quantity, unit_price, line_total) = fixed;
    let (shipped, requested, returned, damaged, refunded) = moved;
    LineRow {
        line_no,
        vendor_id: vendor_id.to_owned(),
        quantity,
        unit_price,
        line_total,
        shipped_quantity: shipped,
        return_requested_quantity: requested,
        returned_quantity: returned,
        damaged_quantity: damaged,
        refunded_amount: refunded,
    }
}

/// Runs order o-1 to its end: A ships in two parcels, B and A are
/// confirmed by the buyer, C automatically; C returns both cheeses (one
/// damaged), A asks to return one apple, B is completed.
pub(crate) async fn full_lifecycle(world: &World) {
    world.stock_up().await;
    world.three_vendor_order("o-1").await;
    world.settle(t0()).await;
    world.order("o-1", pay(2_900, minutes(5))).await;
    world.settle(minutes(5)).await;
    world.order("o-1", pack("vendor-a", 1)).await;
    let parcel = ship("vendor-a", "trk-a1", vec![(1, 3)], 1);
    world.order("o-1", parcel).await;
    world.order("o-1", pack("vendor-b", 1)).await;
    world
        .order("o-1", ship("vendor-b", "trk-b", vec![(2, 1)], 1))
        .await;
    partially_shipped_is_visible(&world.pool).await;
    let parcel = ship("vendor-a", "trk-a2", vec![(3, 2)], 2);
    world.order("o-1", parcel).await;
    world.order("o-1", pack("vendor-c", 2)).await;
    world
        .order("o-1", ship("vendor-c", "trk-c", vec![(4, 2)], 2))
        .await;
    deliver_return_and_complete(world).await;
}

async fn deliver_return_and_complete(world: &World) {
    world.order("o-1", confirm("vendor-a", 3)).await;
    world.order("o-1", confirm("vendor-b", 3)).await;
    // C's buyer stays silent: auto-confirmed 14 days after its parcel
    world.settle(days(16)).await;
    let cheeses = request_return("vendor-c", vec![(4, 2)], 17);
    world.order("o-1", cheeses).await;
    let apple = request_return("vendor-a", vec![(1, 1)], 17);
    world.order("o-1", apple).await;
    let receipt = ReturnReceipt {
        line_no: 4,
        received: 2,
        damaged: 1,
    };
    let receive = OrderCommand::ReceiveReturn {
        vendor: vendor("vendor-c"),
        lines: vec![receipt],
        at: days(20),
    };
    world.order("o-1", receive).await;
    world.settle(days(20)).await;
    let complete = OrderCommand::CompleteVendorOrder {
        vendor: vendor("vendor-b"),
        at: days(20),
    };
    world.order("o-1", complete).await;
}

/// After A's first parcel and B's only one (events 1 to 6).
async fn partially_shipped_is_visible(pool: &PgPool) {
    project(pool).await;
    let order = rows::order(pool, "o-1").await;
    assert_eq!(
        (order.status.as_str(), order.last_sequence),
        ("PARTIALLY_SHIPPED", 6)
    );
    let a = rows::vendor_orders(pool, "o-1").await.remove(0);
    let expected = VendorRow {
        tracking: Some("trk-a1".to_owned()),
        packed_at: Some(days(1)),
        shipped_at: Some(days(1)),
        ..VendorRow::placed("vendor-a", "PARTIALLY_SHIPPED", 1_000, t0())
    };
    assert_eq!(a, expected);
    let shipped: Vec<i32> = rows::lines(pool, "o-1")
        .await
        .iter()
        .map(|l| l.shipped_quantity)
        .collect();
    assert_eq!(shipped, [3, 1, 0, 0]);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_three_vendor_order_is_followed_from_placement_to_a_damaged_return(pool: PgPool) {
    let world = World::new(&pool);
    full_lifecycle(&world).await;
    project(&pool).await;

    the_order_is_delivered_with_the_return_refunded(&pool).await;
    the_lines_count_shipped_returned_and_damaged_units(&pool).await;
    the_vendor_orders_carry_their_milestones(&pool).await;
    each_vendor_order_was_updated_by_its_last_event(&pool).await;
}

async fn the_order_is_delivered_with_the_return_refunded(pool: &PgPool) {
    let (last_sequence, updated_at) = rows::event_stamp(pool, "o-1", 0).await;
    assert_eq!(last_sequence, 16, "16 order events");
    let expected = OrderRow {
        order_id: "o-1".to_owned(),
        buyer_id: "buyer-1".to_owned(),
        currency: "EUR".to_owned(),
        total: 2_900,
        status: "DELIVERED".to_owned(),
        fee_rate_bps: 1_000,
        placed_at: t0(),
        payment_due_at: minutes(30),
        paid_at: Some(minutes(5)),
        payment_id: Some("pay-1".to_owned()),
        cancelled_at: None,
        cancel_reason: None,
        refunded_total: 1_450,
        vendor_count: 3,
        last_sequence,
        updated_at,
    };
    assert_eq!(rows::order(pool, "o-1").await, expected);
}

async fn the_lines_count_shipped_returned_and_damaged_units(pool: &PgPool) {
    let expected = vec![
        line_row((1, "vendor-a", 3, 200, 600), (3, 1, 0, 0, 0)),
        line_row((2, "vendor-b", 1, 450, 450), (1, 0, 0, 0, 0)),
        line_row((3, "vendor-a", 2, 200, 400), (2, 0, 0, 0, 0)),
        line_row((4, "vendor-c", 2, 725, 1_450), (2, 2, 2, 1, 1_450)),
    ];
    assert_eq!(rows::lines(pool, "o-1").await, expected);
    let fact = |n: i32, sku: &str, v: &str| {
        let (product, title) = (format!("p-{sku}"), format!("{sku} from {v}"));
        (
            n,
            product,
            sku.to_owned(),
            "w1".to_owned(),
            title,
            "EUR".to_owned(),
        )
    };
    let facts = vec![
        fact(1, "apple", "vendor-a"),
        fact(2, "bread", "vendor-b"),
        fact(3, "apple", "vendor-a"),
        fact(4, "cheese", "vendor-c"),
    ];
    assert_eq!(rows::line_facts(pool, "o-1").await, facts);
}

async fn the_vendor_orders_carry_their_milestones(pool: &PgPool) {
    let a = VendorRow {
        tracking: Some("trk-a2".to_owned()),
        packed_at: Some(days(1)),
        shipped_at: Some(days(2)),
        delivered_at: Some(days(3)),
        delivery_confirmed_by: Some("BUYER".to_owned()),
        auto_confirm_at: Some(days(16)),
        ..VendorRow::placed("vendor-a", "DELIVERED", 1_000, t0())
    };
    let b = VendorRow {
        tracking: Some("trk-b".to_owned()),
        packed_at: Some(days(1)),
        shipped_at: Some(days(1)),
        delivered_at: Some(days(3)),
        delivery_confirmed_by: Some("BUYER".to_owned()),
        auto_confirm_at: Some(days(15)),
        completed_at: Some(days(20)),
        ..VendorRow::placed("vendor-b", "COMPLETED", 450, t0())
    };
    let c = VendorRow {
        refunded: 1_450,
        tracking: Some("trk-c".to_owned()),
        packed_at: Some(days(2)),
        shipped_at: Some(days(2)),
        delivered_at: Some(days(16)),
        delivery_confirmed_by: Some("AUTOMATIC".to_owned()),
        auto_confirm_at: Some(days(16)),
        ..VendorRow::placed("vendor-c", "DELIVERED", 1_450, t0())
    };
    assert_eq!(rows::vendor_orders(pool, "o-1").await, vec![a, b, c]);
}

/// A's return request (event 14), B's completion (16), C's receipt (15).
async fn each_vendor_order_was_updated_by_its_last_event(pool: &PgPool) {
    let touched: Vec<(String, DateTime<Utc>)> =
        sqlx::query_as("select vendor_id, updated_at from read.vendor_orders order by vendor_id")
            .fetch_all(pool)
            .await
            .unwrap();
    for ((vendor_id, updated_at), sequence) in touched.into_iter().zip([14, 16, 15]) {
        let (_, recorded_at) = rows::event_stamp(pool, "o-1", sequence).await;
        assert_eq!(updated_at, recorded_at, "{vendor_id}");
    }
}
