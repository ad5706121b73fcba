//! Four orders placed through the real write side, then the `search`,
//! `orders` and `stock` projections caught up:
//!
//! | order | buyer | placed | vendors (subtotal, cents) | status |
//! | --- | --- | --- | --- | --- |
//! | o-1 | buyer-1 | 2 Nov | a 1000 (shipped), b 450, c 1450 | PARTIALLY_SHIPPED |
//! | o-2 | buyer-2 | 2 Nov | b 450 (cancelled) | PAYMENT_EXPIRED |
//! | o-3 | buyer-1 | 3 Nov | c 725 (cancelled by c, refunded), a 200 | PAID |
//! | o-4 | buyer-3 | 3 Nov | a 200 | PAID |

use bazaar_domain::ids::BuyerId;
use bazaar_domain::money::{Currency, FeeRate};
use bazaar_domain::order::{LineInput, OrderCommand};
use bazaar_projections::registry::catch_up_live;
use bazaar_testkit::fixtures::{days, line, minutes, pay, t0, vendor};
use bazaar_testkit::world::World;
use chrono::{DateTime, Utc};

async fn place_at(world: &World, id: &str, buyer: &str, lines: Vec<LineInput>, at: DateTime<Utc>) {
    let command = OrderCommand::PlaceOrder {
        buyer: BuyerId::parse(buyer).unwrap(),
        currency: Currency::parse("EUR").unwrap(),
        fee_rate: FeeRate::from_bps(1_000).unwrap(),
        lines,
        payment_due_at: at + chrono::Duration::minutes(30),
        at,
    };
    world.order(id, command).await;
}

/// Builds the four orders and catches the projections up.
pub(crate) async fn four_orders(world: &World) {
    world.stock_up().await;
    world.three_vendor_order("o-1").await;
    place_at(
        world,
        "o-2",
        "buyer-2",
        vec![line("vendor-b", "bread", 1, 450)],
        t0(),
    )
    .await;
    world.settle(t0()).await;
    world.order("o-1", pay(2_900, minutes(5))).await;
    world.settle(minutes(5)).await;
    let pack = OrderCommand::PackVendorOrder {
        vendor: vendor("vendor-a"),
        at: minutes(60),
    };
    world.order("o-1", pack).await;
    let ship = OrderCommand::ShipVendorOrder {
        vendor: vendor("vendor-a"),
        tracking: "trk-a1".to_owned(),
        lines: vec![(1, 3), (3, 2)],
        at: minutes(90),
    };
    world.order("o-1", ship).await;
    world.settle(minutes(31)).await;
    let o3 = vec![
        line("vendor-c", "cheese", 1, 725),
        line("vendor-a", "apple", 1, 200),
    ];
    place_at(world, "o-3", "buyer-1", o3, days(1)).await;
    place_at(
        world,
        "o-4",
        "buyer-3",
        vec![line("vendor-a", "apple", 1, 200)],
        days(1),
    )
    .await;
    world.settle(days(1)).await;
    world
        .order("o-3", pay(925, days(1) + chrono::Duration::minutes(1)))
        .await;
    world
        .order("o-4", pay(200, days(1) + chrono::Duration::minutes(1)))
        .await;
    world.settle(days(1) + chrono::Duration::minutes(1)).await;
    let cancel = OrderCommand::CancelVendorOrder {
        vendor: vendor("vendor-c"),
        reason: "out of cheese".to_owned(),
        at: days(1) + chrono::Duration::minutes(2),
    };
    world.order("o-3", cancel).await;
    world.settle(days(1) + chrono::Duration::minutes(2)).await;
    catch_up(world).await;
}

/// Applies everything committed to the search, orders and stock projections.
pub(crate) async fn catch_up(world: &World) {
    for name in ["search", "orders", "stock"] {
        catch_up_live(&world.pool, name).await.unwrap();
    }
}

/// The scopes the tests search in, by the id they name.
pub(crate) mod scope {
    use bazaar_projections::search::request::Scope;

    pub(crate) fn buyer(id: &str) -> Scope {
        Scope::Buyer(id.to_owned())
    }

    pub(crate) fn vendor(id: &str) -> Scope {
        Scope::Vendor(id.to_owned())
    }
}
