//! `rebuild_all`: the rebuild rate of every read model over a log of real
//! checkouts. A few hundred orders are placed against received stock and
//! paid, and the checkout saga turns them into holds, payment splits and
//! escrows; the whole log is then cloned with `INSERT … SELECT` under new
//! ids (stream ids, and the SKUs, holds and orders named inside payloads,
//! so that each copy is a checkout of its own), and each read model is
//! rebuilt from zero beside the raw copy's rate.

use std::time::Instant;

use bazaar_commands::WriteSide;
use bazaar_domain::ids::{BatchId, PaymentId, Sku, VendorId, WarehouseId};
use bazaar_domain::inventory::{stock_id, InventoryReservationCommand};
use bazaar_domain::order::OrderCommand;
use bazaar_projections::registry;
use bazaar_testkit::bench::env_or;
use bazaar_testkit::fixtures::eur;
use bazaar_testkit::world::World;
use chrono::Utc;
use sqlx::PgPool;

use super::{count, insert_select_rate, meta, place};

/// Orders written through the executors before cloning.
const ORDERS: usize = 200;

async fn receive(app: &WriteSide) {
    for n in 0..4 {
        let (sku, warehouse) = (
            Sku::parse(format!("sku-{n}")).unwrap(),
            WarehouseId::parse("w1").unwrap(),
        );
        let command = InventoryReservationCommand::ReceiveBatch {
            batch: BatchId::parse(format!("b-{n}")).unwrap(),
            sku: sku.clone(),
            warehouse: warehouse.clone(),
            vendor: VendorId::parse(format!("vendor-{}", n % 3)).unwrap(),
            quantity: 1_000_000,
            expires_on: None,
            at: Utc::now(),
        };
        let stock = stock_id(&sku, &warehouse);
        app.stock
            .execute(&stock, command, &meta())
            .await
            .expect("receive");
    }
}

/// What `place(lines)` costs.
fn total(lines: usize) -> i64 {
    (0..lines)
        .map(|n| (1 + n as i64 % 3) * (199 + n as i64))
        .sum()
}

/// Places and pays [`ORDERS`] orders; the saga (run by the test kit's
/// write side, with no timer due yet) does the rest.
async fn checkouts(pool: &PgPool) {
    let world = World::new(pool);
    let app = &world.app;
    receive(app).await;
    for n in 0..ORDERS {
        let id = format!("mix-{n}");
        app.orders
            .execute(&id, place(1 + n % 4), &meta())
            .await
            .expect("place");
    }
    world.settle(Utc::now()).await;
    for n in 0..ORDERS {
        let pay = OrderCommand::ConfirmPayment {
            payment_id: PaymentId::parse(format!("pay-{n}")).unwrap(),
            amount: eur(total(1 + n % 4)),
            at: Utc::now(),
        };
        app.orders
            .execute(&format!("mix-{n}"), pay, &meta())
            .await
            .expect("pay");
    }
    world.settle(Utc::now()).await;
}

/// `payload` with the ids that tie streams together suffixed by `n`.
const REWRITE: &str = "\
    (select jsonb_object_agg(k, case when jsonb_typeof(v) = 'object' then v \
        || case when v ? 'sku' then jsonb_build_object('sku', (v->>'sku') || '-' || n) else '{}' end \
        || case when v ? 'reservation' then jsonb_build_object('reservation', (v->>'reservation') || '-' || n) else '{}' end \
        || case when v ? 'order' then jsonb_build_object('order', (v->>'order') || '-' || n) else '{}' end \
        else v end) from jsonb_each(e.payload) as x(k, v))";

async fn clone(pool: &PgPool, total: u64) {
    let seeded = u64::try_from(count(pool).await).unwrap();
    let copies = total.div_ceil(seeded).saturating_sub(1);
    sqlx::query(&format!(
        "insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
         select e.aggregate_type, e.aggregate_id || '-' || n, e.sequence, e.event_type, e.event_version, \
                {REWRITE}, e.metadata \
           from events e cross join generate_series(1, $1::bigint) n \
          order by n, e.global_position"
    ))
    .bind(i64::try_from(copies).unwrap())
    .execute(pool)
    .await
    .expect("clone");
}

/// Seeds, then rebuilds every read model and prints one line each.
pub(super) async fn rebuild_all(pool: &PgPool) {
    checkouts(pool).await;
    clone(pool, env_or("BENCH_EVENTS", 1_000_000)).await;
    let events = count(pool).await as f64;
    let copy = insert_select_rate(pool, events).await;
    eprintln!("seeded {events} events of checkouts");
    for name in registry::NAMES {
        let started = Instant::now();
        registry::rebuild(pool, name, |_, _| {})
            .await
            .expect("rebuild");
        let rate = events / started.elapsed().as_secs_f64();
        println!(
            "{{\"mode\":\"rebuild_all\",\"projection\":\"{name}\",\"events\":{events},\"events_per_second\":{rate:.0},\
             \"insert_select_rows_per_second\":{copy:.0},\"ratio\":{:.3}}}",
            rate / copy
        );
    }
}
