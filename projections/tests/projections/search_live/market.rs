//! A few hundred orders through the real write side (commands, the
//! checkout saga, timers), varied enough that every filter and facet
//! bucket has something to count: three vendors over four days, nine
//! buyers, paid, partly cancelled and refunded, expired unpaid.
//!
//! | `i` | what happens to order `m-i` |
//! | --- | --- |
//! | every order | placed on day `i % 4` at minute `i` by `buyer-(i % 9)`; lines from vendors a (apple 2.00), b (bread 4.50), c (cheese 7.25) by the bits of `1 + i % 7`, `1 + i % 3` of each |
//! | `i % 3 != 0` | paid in full five minutes after placing |
//! | paid, `i % 5 == 0`, with cheese | vendor c cancels its part (refunded) |
//! | `i % 3 == 0` | never paid: the payment deadline expires it |

use bazaar_domain::ids::BuyerId;
use bazaar_domain::money::{Currency, FeeRate};
use bazaar_domain::order::{LineInput, OrderCommand};
use bazaar_projections::registry::catch_up_live;
use bazaar_testkit::fixtures::{days, line, pay, t0, vendor};
use bazaar_testkit::world::World;
use chrono::{DateTime, Duration, Utc};

/// Units of each product in stock: more than the orders take.
const STOCK: u32 = 100_000;

/// Vendor, sku and unit price of the three products.
const PRODUCTS: [(&str, &str, i64); 3] = [
    ("vendor-a", "apple", 200),
    ("vendor-b", "bread", 450),
    ("vendor-c", "cheese", 725),
];

/// Order `i`'s lines and total in cents.
pub(crate) fn lines_of(i: usize) -> (Vec<LineInput>, i64) {
    let pick = 1 + i % 7;
    let quantity = 1 + (i % 3) as u32;
    let lines: Vec<LineInput> = PRODUCTS
        .iter()
        .enumerate()
        .filter(|(bit, _)| pick & (1 << bit) != 0)
        .map(|(_, (v, sku, cents))| line(v, sku, quantity, *cents))
        .collect();
    let total = PRODUCTS
        .iter()
        .enumerate()
        .filter(|(bit, _)| pick & (1 << bit) != 0)
        .map(|(_, p)| p.2 * i64::from(quantity))
        .sum();
    (lines, total)
}

/// When order `i` is placed.
pub(crate) fn placed(i: usize) -> DateTime<Utc> {
    days((i % 4) as i64) + Duration::minutes(i as i64)
}

/// Places order `m-i` (payment due 30 minutes later).
pub(crate) async fn place(world: &World, i: usize) {
    let (lines, _) = lines_of(i);
    let command = OrderCommand::PlaceOrder {
        buyer: BuyerId::parse(format!("buyer-{}", i % 9)).unwrap(),
        currency: Currency::parse("EUR").unwrap(),
        fee_rate: FeeRate::from_bps(1_000).unwrap(),
        lines,
        payment_due_at: placed(i) + Duration::minutes(30),
        at: placed(i),
    };
    world.order(&format!("m-{i}"), command).await;
}

/// Stock for every order [`place`] can make.
pub(crate) async fn stock(world: &World) {
    for (_, sku, _) in PRODUCTS {
        world.receive(sku, STOCK).await;
    }
}

/// `count` orders as the table above says, then the search, orders and
/// stock projections caught up.
pub(crate) async fn market(world: &World, count: usize) {
    stock(world).await;
    for i in 0..count {
        place(world, i).await;
        if i % 40 == 39 {
            // the saga reserves as orders arrive, as it would in production
            world.settle(t0()).await;
        }
    }
    world.settle(t0()).await;
    for i in (0..count).filter(|i| i % 3 != 0) {
        let (_, total) = lines_of(i);
        let at = placed(i) + Duration::minutes(5);
        world.order(&format!("m-{i}"), pay(total, at)).await;
        if i % 40 == 38 {
            world.settle(t0()).await;
        }
    }
    world.settle(t0()).await;
    for i in (0..count).filter(|i| i % 3 != 0 && i % 5 == 0 && (1 + i % 7) & 4 != 0) {
        let cancel = OrderCommand::CancelVendorOrder {
            vendor: vendor("vendor-c"),
            reason: "out of cheese".to_owned(),
            at: placed(i) + Duration::minutes(10),
        };
        world.order(&format!("m-{i}"), cancel).await;
    }
    world.settle(days(10)).await;
    for name in ["search", "orders", "stock"] {
        catch_up_live(&world.pool, name).await.unwrap();
    }
}
