//! Every read model, followed live by its worker while a mixed workload
//! runs, equals the same model rebuilt from zero.

// shares the balances tests' helpers, not all of them
#![allow(dead_code)]

#[path = "balances/rows.rs"]
mod rows;
#[path = "balances/scenario.rs"]
mod scenario;
#[path = "balances/world.rs"]
mod world;

use bazaar_domain::order::OrderCommand;
use bazaar_projections::registry::{self, NAMES};
use chrono::Duration;
use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use tokio::sync::watch;

use world::{line, pay, t0, vendor, World};

/// Every row of every `read` view, as JSON, in a stable order.
async fn dump(pool: &PgPool) -> Vec<(String, Value)> {
    let views: Vec<String> = sqlx::query_scalar(
        "select table_name::text from information_schema.views where table_schema = 'read' order by 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut rows = Vec::new();
    for view in views {
        let sql = format!("select coalesce(json_agg(t order by t::text), '[]') from read.{view} t");
        let all: Value = sqlx::query_scalar(&sql).fetch_one(pool).await.unwrap();
        rows.push((view, all));
    }
    rows
}

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
    world.order("o-3", pay(925, 10)).await;
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
    // every worker holds a lease and a LISTEN connection: more than the
    // default test pool once the writers need theirs too
    let pool = PgPoolOptions::new()
        .max_connections(32)
        .connect_with(connect)
        .await
        .unwrap();
    let world = World::new(&pool);
    let (stop, stopped) = watch::channel(false);
    let wait = || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        }
    };
    let workload = async {
        scenario::eventful_history(&world).await;
        more_orders(&world).await;
        let _ = stop.send(true);
    };
    tokio::join!(workload, registry::run_all(&pool, None, wait));
    for name in NAMES {
        registry::catch_up_live(&pool, name).await.unwrap();
    }
    let live = dump(&pool).await;
    let live_indexes = indexes(&pool).await;

    for name in NAMES {
        registry::rebuild(&pool, name, |_, _| {}).await.unwrap();
    }
    let rebuilt = dump(&pool).await;

    assert!(
        live.len() >= 12,
        "every model exposes its tables: {:?}",
        live.iter().map(|(v, _)| v).collect::<Vec<_>>()
    );
    assert!(live
        .iter()
        .any(|(view, rows)| view == "orders" && rows.as_array().unwrap().len() == 4));
    assert_eq!(live, rebuilt);
    // a rebuild that deferred its secondary indexes built every one of them
    assert_eq!(indexes(&pool).await, live_indexes);
    assert!(live_indexes
        .iter()
        .any(|i| i.starts_with("orders_buyer_idx ")));
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
