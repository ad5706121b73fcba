//! Read models under test: a generation caught up with the log, its rows
//! dumped as JSON for equality, and the check every model must pass: the
//! generation its worker followed live while commands ran equals the same
//! model rebuilt from zero, row for row.

use std::future::Future;
use std::time::Duration;

use bazaar_projections::generation::{ensure_live, generations, schema_name, Generation};
use bazaar_projections::registry::{self, NAMES};
use bazaar_projections::{runtime, Projection};
use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use tokio::sync::watch;

/// The live generation of `projection`, created if need be.
pub async fn live<P: Projection>(pool: &PgPool, projection: &P) -> i32 {
    ensure_live(pool, projection).await.unwrap().generation
}

/// Catches `generation` up with every event committed so far (60 s at most).
pub async fn catch_up<P: Projection>(pool: &PgPool, projection: &P, generation: i32) -> Generation {
    let run = runtime::catch_up_fully(pool, projection, generation, |_| {});
    tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the projection catches up")
        .unwrap();
    generations(pool, P::NAME)
        .await
        .unwrap()
        .into_iter()
        .find(|g| g.generation == generation)
        .expect("the generation exists")
}

/// Brings the live generation of `projection` (created if need be) up to
/// every committed event.
pub async fn project<P: Projection>(pool: &PgPool, projection: &P) -> Generation {
    let generation = live(pool, projection).await;
    catch_up(pool, projection, generation).await
}

/// Every row of `schema.table`, as one JSON array in a stable order.
pub async fn dump_table(pool: &PgPool, schema: &str, table: &str) -> Value {
    let sql = format!(
        "select coalesce(jsonb_agg(to_jsonb(t) order by to_jsonb(t)::text), '[]'::jsonb) \
           from {schema}.{table} t"
    );
    sqlx::query_scalar(&sql).fetch_one(pool).await.unwrap()
}

/// Every exposed table of `projection`'s `generation`, as [`dump_table`]s.
pub async fn dump_generation<P: Projection>(
    pool: &PgPool,
    projection: &P,
    generation: i32,
) -> Vec<Value> {
    let schema = schema_name(P::NAME, generation);
    let mut tables = Vec::new();
    for table in projection.exposed() {
        tables.push(dump_table(pool, &schema, table).await);
    }
    tables
}

/// Every `read` view, by name.
pub async fn read_views(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "select table_name::text from information_schema.views where table_schema = 'read' order by 1",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

/// Every row of each of `views` (in `read`), as JSON in a stable order.
pub async fn dump_views(pool: &PgPool, views: &[String]) -> Vec<(String, Value)> {
    let mut rows = Vec::new();
    for view in views {
        let sql = format!("select coalesce(json_agg(t order by t::text), '[]') from read.{view} t");
        let all: Value = sqlx::query_scalar(&sql).fetch_one(pool).await.unwrap();
        rows.push((view.clone(), all));
    }
    rows
}

/// A pool for [`follow_live`]: every worker holds a lease and a LISTEN
/// connection, more than the default test pool once the writers need
/// theirs too.
pub async fn workers_pool(connect: PgConnectOptions) -> PgPool {
    PgPoolOptions::new()
        .max_connections(32)
        .connect_with(connect)
        .await
        .unwrap()
}

/// Runs `workload` while every read model's worker follows the log live
/// (as `bazaar serve` runs them), stops the workers once it is done, and
/// catches each live generation up with what they had not applied yet.
pub async fn follow_live(pool: &PgPool, workload: impl Future<Output = ()>) {
    let (stop, stopped) = watch::channel(false);
    let wait = || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        }
    };
    let workload = async {
        workload.await;
        let _ = stop.send(true);
    };
    tokio::join!(workload, registry::run_all(pool, None, wait));
    for name in NAMES {
        registry::catch_up_live(pool, name).await.unwrap();
    }
}

/// Rebuilds each of `models` from zero and asserts that `views` show the
/// rows they showed from the live generations, row for row; returns those
/// rows (as [`dump_views`]).
pub async fn assert_rebuild_equals_live(
    pool: &PgPool,
    models: &[&str],
    views: &[String],
) -> Vec<(String, Value)> {
    let live = dump_views(pool, views).await;
    for name in models {
        registry::rebuild(pool, name, |_, _| {}).await.unwrap();
    }
    let rebuilt = dump_views(pool, views).await;
    assert_eq!(live, rebuilt, "the rebuild of {models:?} differs from live");
    live
}
