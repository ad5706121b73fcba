//! The `stock` read model against a real Postgres: events produced by the
//! real InventoryReservation executor, rows asserted to the unit.

mod failures;
pub(crate) mod world;

use bazaar_commands::WriteSide;
use bazaar_event_store::read_stream;
use bazaar_projections::generation::{self, ensure_live};
use bazaar_projections::read_models::stock::Stock;
use bazaar_projections::Projection;
use bazaar_testkit::read;
use bazaar_testkit::world::all_events;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Value};
use sqlx::PgPool;

use self::world::{at, date, recorded_at, scenario, stream, SKU, WAREHOUSE};

/// A caught-up live generation over the whole scenario.
async fn projected(pool: &PgPool) {
    scenario(&WriteSide::new(pool.clone())).await;
    let generation = read::live(pool, &Stock).await;
    read::catch_up(pool, &Stock, generation).await;
}

#[rustfmt::skip]
type LevelRow = (String, String, String, i64, i64, i64, i32, DateTime<Utc>, i64, DateTime<Utc>);

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn levels_carry_the_latest_availability_and_the_batch_totals(pool: PgPool) {
    projected(&pool).await;

    let levels: Vec<LevelRow> = sqlx::query_as(
        "select sku, warehouse_id, stock_id, available, on_hand, reserved, batches, as_of, \
                last_sequence, updated_at \
           from read.stock_levels",
    )
    .fetch_all(&pool)
    .await
    .unwrap();

    let restocked = recorded_at(&pool, 16).await;
    #[rustfmt::skip]
    let expected = vec![
        (SKU.to_owned(), WAREHOUSE.to_owned(), stream(SKU), 14, 19, 5, 2, at(8, 9, 0), 16, restocked),
    ];
    assert_eq!(levels, expected);
}

#[rustfmt::skip]
type BatchRow = (String, Option<NaiveDate>, i64, i64, i64, bool, Option<NaiveDate>, Option<DateTime<Utc>>, DateTime<Utc>);

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn batches_carry_their_levels_expiry_and_write_off(pool: PgPool) {
    projected(&pool).await;

    let batches: Vec<BatchRow> = sqlx::query_as(
        "select batch_id, expires_on, on_hand, reserved, free, written_off, written_off_on, \
                received_at, updated_at \
           from read.stock_batches where sku = $1 and warehouse_id = $2 order by batch_id",
    )
    .bind(SKU)
    .bind(WAREHOUSE)
    .fetch_all(&pool)
    .await
    .unwrap();

    let (written_off, restocked) = (recorded_at(&pool, 14).await, recorded_at(&pool, 16).await);
    #[rustfmt::skip]
    let expected = vec![
        ("b-early".to_owned(), Some(date(11, 5)), 0, 0, 0, true, Some(date(11, 6)), Some(at(1, 9, 0)), written_off),
        ("b-late".to_owned(), Some(date(12, 31)), 19, 5, 14, false, None, Some(at(1, 9, 1)), restocked),
    ];
    assert_eq!(batches, expected);
}

#[rustfmt::skip]
type HoldRow = (String, i64, String, DateTime<Utc>, NaiveDate, i32, Value, Option<String>, DateTime<Utc>, Option<DateTime<Utc>>);

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn reservations_follow_every_hold_to_its_end(pool: PgPool) {
    projected(&pool).await;

    let holds: Vec<HoldRow> = sqlx::query_as(
        "select reservation_id, quantity, status, expires_at, ship_on, min_shelf_life_days, \
                allocations, release_reason, reserved_at, ended_at \
           from read.stock_reservations where sku = $1 and warehouse_id = $2 \
          order by reservation_id",
    )
    .bind(SKU)
    .bind(WAREHOUSE)
    .fetch_all(&pool)
    .await
    .unwrap();

    #[rustfmt::skip]
    let row = |id: &str, quantity, status: &str, expires_at, ship_on, allocations, reason: Option<&str>, ended_at| {
        let reason = reason.map(str::to_owned);
        (id.to_owned(), quantity, status.to_owned(), expires_at, ship_on, 0, allocations, reason, at(2, 9, 0), ended_at)
    };
    let write_off = Some(at(6, 0, 0));
    #[rustfmt::skip]
    let expected = vec![
        row("r-commit", 3, "committed", at(3, 9, 0), date(11, 3), json!({"b-early": 3}), None, Some(at(2, 9, 10))),
        row("r-expire", 4, "expired", at(2, 9, 30), date(11, 3), json!({"b-early": 1, "b-late": 3}), None, Some(at(2, 9, 30))),
        row("r-lapsed", 1, "expired", at(2, 10, 0), date(11, 3), json!({"b-early": 1}), None, write_off),
        row("r-realloc", 5, "active", at(12, 9, 0), date(11, 5), json!({"b-late": 5}), None, None),
        row("r-release", 2, "released", at(3, 9, 0), date(11, 3), json!({"b-early": 2}), Some("order_cancelled"), Some(at(2, 9, 15))),
    ];
    assert_eq!(holds, expected);
}

type MoveRow = (
    String,
    String,
    Option<String>,
    i64,
    i64,
    i64,
    i64,
    DateTime<Utc>,
);

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn movements_record_each_batch_change_of_each_event(pool: PgPool) {
    projected(&pool).await;

    let moves: Vec<MoveRow> = sqlx::query_as(
        "select kind, batch_id, reservation_id, on_hand_delta, reserved_delta, on_hand_after, \
                reserved_after, occurred_at \
           from read.stock_movements order by position, batch_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();

    let m = |kind: &str,
             batch: &str,
             hold: Option<&str>,
             delta: (i64, i64),
             after: (i64, i64),
             when| {
        let (kind, batch, hold) = (kind.to_owned(), batch.to_owned(), hold.map(str::to_owned));
        (kind, batch, hold, delta.0, delta.1, after.0, after.1, when)
    };
    let (reserved, write_off) = (at(2, 9, 0), at(6, 0, 0));
    #[rustfmt::skip]
    let expected = vec![
        m("received",    "b-early", None,              (12, 0),  (12, 0),  at(1, 9, 0)),
        m("received",    "b-late",  None,              (20, 0),  (20, 0),  at(1, 9, 1)),
        m("reserved",    "b-early", Some("r-realloc"), (0, 5),   (12, 5),  reserved),
        m("reserved",    "b-early", Some("r-commit"),  (0, 3),   (12, 8),  reserved),
        m("reserved",    "b-early", Some("r-release"), (0, 2),   (12, 10), reserved),
        m("reserved",    "b-early", Some("r-lapsed"),  (0, 1),   (12, 11), reserved),
        m("reserved",    "b-early", Some("r-expire"),  (0, 1),   (12, 12), reserved),
        m("reserved",    "b-late",  Some("r-expire"),  (0, 3),   (20, 3),  reserved),
        m("committed",   "b-early", Some("r-commit"),  (-3, -3), (9, 9),   at(2, 9, 10)),
        m("released",    "b-early", Some("r-release"), (0, -2),  (9, 7),   at(2, 9, 15)),
        m("expired",     "b-early", Some("r-expire"),  (0, -1),  (9, 6),   at(2, 9, 30)),
        m("expired",     "b-late",  Some("r-expire"),  (0, -3),  (20, 0),  at(2, 9, 30)),
        m("expired",     "b-early", Some("r-lapsed"),  (0, -1),  (9, 5),   write_off),
        m("reallocated", "b-early", Some("r-realloc"), (0, -5),  (9, 0),   write_off),
        m("reallocated", "b-late",  Some("r-realloc"), (0, 5),   (20, 5),  write_off),
        m("written_off", "b-early", None,              (-9, 0),  (0, 0),   write_off),
        m("adjusted",    "b-late",  None,              (-2, 0),  (18, 5),  at(7, 9, 0)),
        m("restocked",   "b-late",  None,              (1, 0),   (19, 5),  at(8, 9, 0)),
    ];
    assert_eq!(moves, expected);
    let unmatched: i64 = sqlx::query_scalar(
        "select count(*) from read.stock_movements m \
           left join events e on e.event_id = m.event_id and e.global_position = m.position \
                             and e.recorded_at = m.recorded_at \
                             and e.aggregate_id = m.sku || '@' || m.warehouse_id \
          where e.event_id is null",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        unmatched, 0,
        "every movement names its event, stock, position and recorded time"
    );
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_rebuilt_generation_equals_the_one_followed_live(pool: PgPool) {
    let app = WriteSide::new(pool.clone());
    let generation = read::live(&pool, &Stock).await;
    world::receive_and_reserve(&app).await;
    read::catch_up(&pool, &Stock, generation).await;
    world::settle_and_write_off(&app).await;
    read::catch_up(&pool, &Stock, generation).await;

    let mut tx = bazaar_event_store::pool::begin(&pool).await.unwrap();
    let rebuilt = generation::create(&mut tx, &Stock, "building").await;
    let rebuilt = rebuilt.unwrap();
    tx.commit().await.unwrap();
    read::catch_up(&pool, &Stock, rebuilt).await;

    let followed = read::dump_generation(&pool, &Stock, generation).await;
    let sizes: Vec<usize> = followed
        .iter()
        .map(|t| t.as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, vec![1, 2, 5, 18]);
    assert_eq!(
        read::dump_generation(&pool, &Stock, rebuilt).await,
        followed
    );
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn applying_the_same_events_twice_changes_nothing(pool: PgPool) {
    projected(&pool).await;
    let generation = read::live(&pool, &Stock).await;
    let once = read::dump_generation(&pool, &Stock, generation).await;

    // lose the checkpoint: the whole log is applied a second time
    sqlx::query(
        "update projection set tx_id = '0'::xid8, position = 0 \
          where projection_name = $1 and generation = $2",
    )
    .bind(Stock::NAME)
    .bind(generation)
    .execute(&pool)
    .await
    .unwrap();
    read::catch_up(&pool, &Stock, generation).await;

    assert_eq!(read::dump_generation(&pool, &Stock, generation).await, once);
    let row = ensure_live(&pool, &Stock).await.unwrap();
    assert_eq!(row.events_applied, 32, "all 16 events were applied twice");
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn an_old_event_applied_again_after_newer_ones_changes_nothing(pool: PgPool) {
    projected(&pool).await;
    let generation = read::live(&pool, &Stock).await;
    let once = read::dump_generation(&pool, &Stock, generation).await;
    let old = read_stream(&pool, "InventoryReservation", &stream(SKU), 2)
        .await
        .unwrap();

    // a hold made before the commit, release and write-off
    let mut tx = bazaar_event_store::pool::begin(&pool).await.unwrap();
    let schema = generation::schema_name(Stock::NAME, generation);
    let search_path = format!("set local search_path = {schema}, public");
    sqlx::raw_sql(&search_path).execute(&mut *tx).await.unwrap();
    Stock.apply(&mut tx, &old[0]).await.unwrap();
    tx.commit().await.unwrap();

    assert_eq!(old[0].sequence, 3);
    assert_eq!(read::dump_generation(&pool, &Stock, generation).await, once);
}

/// The `sql` blocks of the model's documentation.
fn documented_queries() -> Vec<&'static str> {
    let doc = include_str!("../../../docs/read-models/stock.md");
    let blocks = doc.split("```sql\n").skip(1);
    blocks
        .map(|block| block.split("```").next().unwrap())
        .collect()
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn the_documented_queries_run(pool: PgPool) {
    projected(&pool).await;

    let queries = documented_queries();

    assert!(queries.len() >= 6, "{} queries", queries.len());
    for query in &queries {
        let ran = sqlx::raw_sql(query).execute(&pool).await;
        assert!(ran.is_ok(), "{query}: {ran:?}");
    }
    let reconciliation = queries.last().unwrap();
    let unbalanced = sqlx::query(reconciliation).fetch_all(&pool).await.unwrap();
    assert!(
        unbalanced.is_empty(),
        "movements add up to the batch levels"
    );
    let shrinkage = as_json(&pool, queries[3]).await;
    let month = "2026-11-01T00:00:00+00:00";
    let expected = json!([{"sku": SKU, "month": month, "written_off": 9, "counted_missing": 2}]);
    assert_eq!(shrinkage, expected);
    let sell_through = as_json(&pool, queries[4]).await;
    let expected = json!([{"sku": SKU, "shipped": 3, "received": 32, "sell_through_pct": 9.4}]);
    assert_eq!(sell_through, expected);
}

/// The rows of `query` as a JSON array.
async fn as_json(pool: &PgPool, query: &str) -> Value {
    let query = query.trim().trim_end_matches(';');
    let sql = format!("select jsonb_agg(to_jsonb(q)) from ({query}) q");
    sqlx::query_scalar(&sql).fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn one_set_based_batch_gives_the_rows_of_one_event_at_a_time(pool: PgPool) {
    scenario(&WriteSide::new(pool.clone())).await;
    let events = all_events(&pool).await;

    let single = world::building(&pool).await;
    let mut tx = world::in_generation(&pool, single).await;
    for event in &events {
        Stock.apply(&mut tx, event).await.unwrap();
    }
    tx.commit().await.unwrap();

    // every event twice in one batch: the second copies change nothing
    let twice: Vec<_> = events.iter().chain(events.iter()).cloned().collect();
    let batched = world::building(&pool).await;
    let mut tx = world::in_generation(&pool, batched).await;
    Stock.apply_batch(&mut tx, &twice).await.unwrap();
    tx.commit().await.unwrap();

    let rows = read::dump_generation(&pool, &Stock, single).await;
    for table in &rows {
        assert!(table.as_array().is_some_and(|t| !t.is_empty()), "{rows:?}");
    }
    assert_eq!(read::dump_generation(&pool, &Stock, batched).await, rows);
}

/// The stock's totals and its batch sums: (on hand, reserved, batches) of
/// its `stock_levels` row, and the same summed over its `stock_batches`.
async fn totals(tx: &mut sqlx::PgConnection) -> (Vec<(i64, i64, i64)>, Vec<(i64, i64, i64)>) {
    let kept = sqlx::query_as(
        "select on_hand, reserved, batches::int8 from stock_levels order by sku, warehouse_id",
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    let summed = sqlx::query_as(
        "select sum(on_hand)::int8, sum(reserved)::int8, count(*) from stock_batches \
          group by sku, warehouse_id order by sku, warehouse_id",
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    (kept, summed)
}

/// A batch loads only the batch rows its events name and adds to the
/// stock's totals what they changed by: after every batch, whatever its
/// size, the totals equal the sums over the stock's batches, and the rows
/// are those of one event at a time.
#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn totals_kept_by_difference_equal_the_sums_over_the_batches(pool: PgPool) {
    scenario(&WriteSide::new(pool.clone())).await;
    let events = all_events(&pool).await;
    let mut dumps = Vec::new();
    for size in [1, 2, 3, 5] {
        let generation = world::building(&pool).await;
        for chunk in events.chunks(size) {
            let mut tx = world::in_generation(&pool, generation).await;
            Stock.apply_batch(&mut tx, chunk).await.unwrap();
            let (kept, summed) = totals(&mut tx).await;
            assert_eq!(kept, summed, "batches of {size}");
            tx.commit().await.unwrap();
        }
        dumps.push(read::dump_generation(&pool, &Stock, generation).await);
    }
    assert!(dumps.iter().all(|dump| *dump == dumps[0]));
}
