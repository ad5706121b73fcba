//! Every read model, followed live by its worker while a mixed workload
//! runs, equals the same model rebuilt from zero.

use bazaar_domain::order::OrderCommand;
use bazaar_projections::registry::NAMES;
use bazaar_testkit::fixtures::{line, minutes, pay, t0, vendor};
use bazaar_testkit::read::{assert_rebuild_equals_live, follow_live, read_views, workers_pool};
use bazaar_testkit::world::World;
use chrono::Duration;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

use crate::balances::scenario;

/// Three more stories beside the eventful one: an order that expires
/// unpaid, one where a vendor cancels after payment, one rejected as short.
async fn more_orders(world: &World) {
    world
        .place("o-2", "buyer-2", vec![line("vendor-b", "bread", 1, 450)])
        .await;
    let lines = vec![
        line("vendor-a", "apple", 1, 200),
        line("vendor-c", "cheese", 1, 725),
    ];
    world.place("o-3", "buyer-3", lines).await;
    world
        .place("o-4", "buyer-4", vec![line("vendor-c", "cheese", 99, 725)])
        .await;
    world.settle(t0()).await;
    world.order("o-3", pay(925, minutes(10))).await;
    world.settle(t0() + Duration::minutes(10)).await;
    let cancel = OrderCommand::CancelVendorOrder {
        vendor: vendor("vendor-c"),
        reason: "out of season".into(),
        at: t0() + Duration::hours(1),
    };
    world.order("o-3", cancel).await;
    world.settle(t0() + Duration::days(40)).await;
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn every_live_read_model_equals_its_rebuild_after_a_mixed_workload(
    _: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let pool = workers_pool(connect).await;
    let world = World::new(&pool);
    let workload = async {
        scenario::eventful_history(&world).await;
        more_orders(&world).await;
    };
    follow_live(&pool, workload).await;
    let live_indexes = indexes(&pool).await;
    let live_tables = tables(&pool).await;

    let views = read_views(&pool).await;
    let live = assert_rebuild_equals_live(&pool, NAMES, &views).await;
    assert!(
        live.len() >= 12,
        "every model exposes its tables: {:?}",
        live.iter().map(|(v, _)| v).collect::<Vec<_>>()
    );
    assert!(live
        .iter()
        .any(|(view, rows)| view == "orders" && rows.as_array().unwrap().len() == 4));
    // a rebuild that deferred its secondary indexes built every one of them
    assert_eq!(indexes(&pool).await, live_indexes);
    assert!(live_indexes
        .iter()
        .any(|i| i.starts_with("orders_buyer_idx ")));
    // a rebuild that deferred its foreign keys added every one of them
    // back, and its tables are logged like the live ones
    assert_eq!(tables(&pool).await, live_tables);
    assert!(live_tables
        .iter()
        .any(|t| t.starts_with("vendor_orders p vendor_orders_order_id_fkey FOREIGN KEY")));
    assert!(live_tables.iter().all(|t| t.split(' ').nth(1) == Some("p")));
}

/// The tables of the live generations: name, persistence (`p` logged,
/// `u` unlogged) and each constraint, schema names removed.
async fn tables(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "select c.relname || ' ' || c.relpersistence::text || ' ' || \
                coalesce(k.conname || ' ' || regexp_replace(pg_get_constraintdef(k.oid), 'rm_[a-z]+_g[0-9]+\\.', ''), '') \
           from pg_class c join pg_namespace n on n.oid = c.relnamespace \
           join projection p on n.nspname = 'rm_' || p.projection_name || '_g' || p.generation \
           left join pg_constraint k on k.conrelid = c.oid \
          where p.status = 'live' and c.relkind = 'r' order by 1",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

/// The index definitions of the live generations, schema names removed.
async fn indexes(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "select i.indexname || ' ' || regexp_replace(i.indexdef, ' ON rm_[a-z]+_g[0-9]+\\.', ' ON ') \
           from pg_indexes i join projection p \
             on i.schemaname = 'rm_' || p.projection_name || '_g' || p.generation \
          where p.status = 'live' order by 1",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}
